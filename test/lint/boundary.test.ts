// The lint boundary (eslint.config.mjs): the engine, the CLI, the trainer, the protocol, the
// dashboard and the vscode-free modules of src/extension cannot import `vscode`, nor a module of
// src/extension that does. Checked with ESLint's own API on in-memory sources at real paths, with
// the project's config (type-aware rules off: these sources are not on disk for the type checker).
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const root = path.resolve(__dirname, '../..');
const eslint = new ESLint({ cwd: root, overrideConfig: tseslint.configs.disableTypeChecked });

/** The boundary errors ESLint reports for `source` placed at `file` (relative to the repository). */
async function boundaryErrors(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const importsVscode = (text: string) => /^import\b[^;]*\bfrom 'vscode';/m.test(text);

describe('lint: the vscode boundary', function () {
  this.timeout(60_000);

  it('refuses vscode in the engine, bench, CLI, trainer, protocol and dashboard, also as a type', async () => {
    for (const file of ['src/engine/probe.ts', 'src/engine/run/probe.ts', 'src/bench/probe.ts', 'src/cli/probe.ts', 'src/trainer/probe.ts', 'src/protocol.ts', 'src/protocolGuards.ts', 'webview/probe.ts', 'webview/charts/probe.ts']) {
      const errors = await boundaryErrors(file, "import * as vscode from 'vscode';\nexport const x = vscode.version;\n");
      assert.equal(errors.length, 1, `${file}: ${JSON.stringify(errors)}`);
      assert.match(errors[0], /free of the vscode API/);
      assert.equal((await boundaryErrors(file, "import type { Uri } from 'vscode';\nexport type U = Uri;\n")).length, 1, `${file}: a type import`);
    }
  });

  it('lets the vscode modules of src/extension import vscode, and the engine import its own modules', async () => {
    assert.deepEqual(await boundaryErrors('src/extension/runsTree.ts', "import * as vscode from 'vscode';\nexport const x = vscode.version;\n"), []);
    assert.deepEqual(await boundaryErrors('src/extension/dashboard/dashboardPanel.ts', "import * as vscode from 'vscode';\nexport const x = vscode.version;\n"), []);
    // src/engine/training.ts shares its name with src/extension/training.ts (which uses vscode)
    assert.deepEqual(await boundaryErrors('src/engine/session.ts', "import { trainStage } from './training';\nexport const x = trainStage;\n"), []);
    assert.deepEqual(await boundaryErrors('src/extension/dashboard/eventCache.ts', "import { readEvents } from '../../engine/run/runFolder';\nexport const x = readEvents;\n"), []);
  });

  it('refuses a vscode module of src/extension in a vscode-free module', async () => {
    assert.equal((await boundaryErrors('src/extension/liveStatus.ts', "import { Training } from './training';\nexport const x = Training;\n")).length, 1);
    assert.equal((await boundaryErrors('src/extension/dashboard/thresholdEdits.ts', "import { DashboardPanel } from './dashboardPanel';\nexport const x = DashboardPanel;\n")).length, 1);
    assert.equal((await boundaryErrors('src/extension/dashboard/adoptEdit.ts', "import { RunsTree } from '../runsTree';\nexport const x = RunsTree;\n")).length, 1);
    assert.equal((await boundaryErrors('webview/probe.ts', "import { Training } from '../src/extension/training';\nexport const x = Training;\n")).length, 1);
  });

  it('covers every module of src/extension that does not import vscode today (a new one must be listed)', async () => {
    const modules = fs.readdirSync(path.join(root, 'src/extension'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const free = modules.filter((f) => !importsVscode(fs.readFileSync(path.join(root, 'src/extension', f), 'utf8')));
    assert.ok(free.length >= 10 && free.length < modules.length, `${free.length} of ${modules.length} modules are vscode-free`);
    for (const f of free) {
      const file = path.join('src/extension', f);
      const text = fs.readFileSync(path.join(root, file), 'utf8');
      const errors = await boundaryErrors(file, `${text}\nimport * as vscodeProbe from 'vscode';\nexport const probe = vscodeProbe;\n`);
      assert.equal(errors.length, 1, `${file} imports no vscode: add it to VSCODE_FREE_EXTENSION_MODULES in eslint.config.mjs`);
    }
  });
});
