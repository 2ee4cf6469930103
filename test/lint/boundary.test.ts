// The lint boundary (eslint.config.mjs): only src/extension may import `vscode`, and nothing outside
// src/extension may import it. Checked with ESLint's own API on in-memory sources at real paths, with
// the project's config (type-aware rules off: these sources are not on disk for the type checker),
// and once through the `eslint` command on a real file, to see that a violation fails the lint.
import assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const root = path.resolve(__dirname, '../..');
/** Everything but src/extension (and the tests) */
const VSCODE_FREE = ['src/engine', 'src/common', 'src/cli', 'src/trainer', 'src/bench', 'webview'];
const eslint = new ESLint({ cwd: root, overrideConfig: tseslint.configs.disableTypeChecked });

/** The boundary errors ESLint reports for `source` placed at `file` (relative to the repository). */
async function boundaryErrors(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const useVscode = "import * as vscode from 'vscode';\nexport const x = vscode.version;\n";
const importsVscode = (text: string) => /^import\b[^;]*\bfrom 'vscode';/m.test(text);

describe('lint: the vscode boundary', function () {
  this.timeout(60_000);

  it('refuses vscode everywhere outside src/extension, also as a type', async () => {
    const files = [...VSCODE_FREE.map((dir) => `${dir}/probe.ts`), 'src/engine/probe.ts', 'src/engine/run/probe.ts', 'src/common/probe.ts', 'src/common/protocol.ts', 'src/common/dashboard/probe.ts', 'src/bench/probe.ts', 'src/cli/probe.ts', 'src/trainer/probe.ts', 'webview/probe.ts', 'webview/charts/probe.ts'];
    for (const file of files) {
      const errors = await boundaryErrors(file, useVscode);
      assert.equal(errors.length, 1, `${file}: ${JSON.stringify(errors)}`);
      assert.match(errors[0], /Only src\/extension may use the vscode API/);
      assert.equal((await boundaryErrors(file, "import type { Uri } from 'vscode';\nexport type U = Uri;\n")).length, 1, `${file}: a type import`);
    }
  });

  it('lets src/extension import vscode and src/common, and the engine import its own modules', async () => {
    assert.deepEqual(await boundaryErrors('src/extension/runsTree.ts', useVscode), []);
    assert.deepEqual(await boundaryErrors('src/extension/dashboard/dashboardPanel.ts', useVscode), []);
    assert.deepEqual(await boundaryErrors('src/extension/training.ts', "import { LiveStatus } from '../common/liveStatus';\nexport const x = LiveStatus;\n"), []);
    // src/engine/training.ts shares its name with src/extension/training.ts (which uses vscode)
    assert.deepEqual(await boundaryErrors('src/engine/session.ts', "import { trainStage } from './training';\nexport const x = trainStage;\n"), []);
    assert.deepEqual(await boundaryErrors('src/common/dashboard/eventCache.ts', "import { readEvents } from '../../engine/run/runFolder';\nexport const x = readEvents;\n"), []);
    // the in-host suites read the extension's API types
    assert.deepEqual(await boundaryErrors('test/vscode/suite/probe.ts', "import type { DenLabApi } from '../../../src/extension/extension';\nexport type A = DenLabApi;\n"), []);
  });

  it('refuses any import of src/extension from outside it', async () => {
    const cases: [string, string][] = [
      ['src/common/liveStatus.ts', '../extension/training'],
      ['src/common/dashboard/thresholdEdits.ts', '../../extension/dashboard/dashboardPanel'],
      ['src/engine/session.ts', '../extension/runsTree'],
      ['src/cli/main.ts', '../extension/commands'],
      ['webview/probe.ts', '../src/extension/training'],
      ['webview/charts/probe.ts', '../../src/extension/extension'],
      ['test/extension/probe.test.ts', '../../src/extension/workspaceRuns'],
    ];
    for (const [file, specifier] of cases) {
      const errors = await boundaryErrors(file, `import { X } from '${specifier}';\nexport const x = X;\n`);
      assert.equal(errors.length, 1, `${file} importing ${specifier}: ${JSON.stringify(errors)}`);
      assert.match(errors[0], /Nothing outside src\/extension may import it/);
    }
  });

  it('finds no vscode-free module left in src/extension, and no vscode import outside it', () => {
    const modules = (dir: string) => fs.readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f));
    const free = modules('src/extension').filter((f) => !importsVscode(fs.readFileSync(path.join(root, f), 'utf8')));
    assert.deepEqual(free, [], 'a module of src/extension that does not use vscode belongs in src/common');
    const elsewhere = VSCODE_FREE.flatMap(modules);
    assert.ok(elsewhere.length > 50, `${elsewhere.length} modules outside src/extension`);
    assert.deepEqual(elsewhere.filter((f) => importsVscode(fs.readFileSync(path.join(root, f), 'utf8'))), []);
  });

  it('fails `eslint` (exit status 1) on a real file that breaks the boundary', () => {
    const probe = path.join(root, 'src/common/boundaryProbe.ts');
    fs.writeFileSync(probe, useVscode);
    try {
      assert.throws(
        () => execFileSync(process.execPath, [path.join(root, 'node_modules/eslint/bin/eslint.js'), path.relative(root, probe)], { cwd: root, encoding: 'utf8', stdio: 'pipe' }),
        (e: any) => e.status === 1 && /no-restricted-imports/.test(e.stdout) && /Only src\/extension may use the vscode API/.test(e.stdout),
      );
    } finally {
      fs.rmSync(probe, { force: true });
    }
  });
});
