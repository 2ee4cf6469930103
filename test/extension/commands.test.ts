// The command ids of src/common/commandIds.ts (which src/extension/commandMap.ts must type exactly,
// or the build fails) against package.json: the same commands in the same order, and every command
// a menu or a welcome link names is one of them. That each is registered is checked in VS Code
// (test/vscode/suite/extension.test.ts, the first test).
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { COMMAND_IDS } from '../../src/common/commandIds';

const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'));

describe('the command map against package.json', () => {
  it('names exactly the contributed commands, in their order', () => {
    assert.deepEqual([...COMMAND_IDS], pkg.contributes.commands.map((c: { command: string }) => c.command));
  });

  it('has every command the menus and the welcome view name', () => {
    const inMenus = Object.values(pkg.contributes.menus as Record<string, { command: string }[]>).flat().map((m) => m.command);
    const inWelcome = (pkg.contributes.viewsWelcome as { contents: string }[]).flatMap((v) => [...v.contents.matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]));
    assert.ok(inMenus.length > 20 && inWelcome.length >= 2);
    const ours = new Set<string>(COMMAND_IDS);
    // workbench.trust.manage is VS Code's own (the untrusted workspace's welcome link)
    assert.deepEqual([...new Set([...inMenus, ...inWelcome])].filter((c) => !ours.has(c) && c !== 'workbench.trust.manage'), []);
  });
});
