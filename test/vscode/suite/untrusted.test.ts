// DEN Lab in a workspace that is NOT trusted (restricted mode; code-server started with workspace
// trust on): runs can be viewed, the dashboard works, training is refused with the trust message,
// and the settings that start programs are not read from the workspace. The workspace is a copy of
// the trusted suite's, with the runs it trained, and .vscode/settings.json naming a nodePath.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { DenLabApi } from '../../../src/extension/extension';
import type { TrainOutcome } from '../../../src/common/trainerProcess';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

suite('DEN Lab in an untrusted workspace', () => {
  let api: DenLabApi;
  const folder = () => vscode.workspace.workspaceFolders![0].uri;

  test('the workspace is not trusted and DEN Lab activates, listing the runs', async () => {
    assert.strictEqual(vscode.workspace.isTrusted, false, 'this window must be in restricted mode');
    const ext = vscode.extensions.getExtension<DenLabApi>('den-lab.den-lab');
    assert.ok(ext);
    api = await ext.activate();
    await api.runs.ready();
    const runs = api.tree.getChildren().filter((n) => n.kind === 'run');
    assert.ok(runs.length >= 1, 'the runs trained in the trusted window are listed');
  });

  test('a workspace cannot point the trainer at a program: denLab.nodePath and nodeModulesPath are not read from it', () => {
    const settings = fs.readFileSync(path.join(folder().fsPath, '.vscode', 'settings.json'), 'utf8');
    assert.match(settings, /denLab\.nodePath/);
    const config = vscode.workspace.getConfiguration('denLab');
    assert.strictEqual(config.get('nodePath'), '', 'the workspace value is ignored');
    assert.strictEqual(config.get('nodeModulesPath'), '');
  });

  test('"Train Next Task" is refused with the trust message; no run is created and no trainer starts', async () => {
    const before = fs.readdirSync(path.join(folder().fsPath, 'runs')).sort();
    const w = vscode.window as unknown as Record<string, unknown>;
    const original = w.showWarningMessage;
    const shown: string[] = [];
    w.showWarningMessage = (m: string) => {
      shown.push(m);
      return Promise.resolve(undefined);
    };
    try {
      const outcome = await vscode.commands.executeCommand<TrainOutcome | undefined>('denLab.trainNext', vscode.Uri.joinPath(folder(), 'tiny.den.json'));
      assert.strictEqual(outcome, undefined);
      const retrain = await vscode.commands.executeCommand<TrainOutcome | undefined>('denLab.retrainTask', { runDir: path.join(folder().fsPath, 'runs', before[0]), task: 1 });
      assert.strictEqual(retrain, undefined);
    } finally {
      w.showWarningMessage = original;
    }
    assert.ok(shown.length >= 2 && shown.every((m) => /training starts a Node process and needs a trusted workspace/.test(m)), JSON.stringify(shown));
    assert.strictEqual(api.training.running, false);
    await sleep(500);
    assert.deepStrictEqual(fs.readdirSync(path.join(folder().fsPath, 'runs')).sort(), before);
  });

  test('the dashboard opens and shows a run', async () => {
    await vscode.commands.executeCommand('denLab.openDashboard');
    const end = Date.now() + 30_000;
    while (!api.dashboard.sent.some((m) => m.type === 'snapshot' && m.run !== null)) {
      if (Date.now() > end) throw new Error(`no snapshot with a run; sent: ${api.dashboard.sent.map((m) => m.type).join(', ')}`);
      await sleep(100);
    }
    assert.ok(api.dashboard.isOpen);
    const snapshot = api.dashboard.sent.find((m) => m.type === 'snapshot' && m.run !== null);
    assert.ok(snapshot?.type === 'snapshot' && snapshot.run!.events.length > 0 && snapshot.training.running === false);
  });
});
