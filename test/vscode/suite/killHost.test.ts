// Not a test that finishes: it starts a training and tells test/vscode/run.mjs the pids of this
// extension host and of the trainer, then waits. run.mjs SIGKILLs this host and checks that the
// trainer exits within a few seconds (nothing else will read its results).
import * as vscode from 'vscode';
import type { DenLabApi } from '../../../src/extension/extension';

suite('the extension host is killed while training', () => {
  test('train, report the pids, wait to be killed', async () => {
    const api = await vscode.extensions.getExtension<DenLabApi>('den-lab.den-lab')!.activate();
    const inTask2 = new Promise<void>((resolve) => {
      const sub = api.training.onEvent((e) => {
        if (e.type === 'stage-start' && e.task === 2) {
          sub.dispose();
          resolve();
        }
      });
    });
    void vscode.commands.executeCommand('denLab.trainRemaining', vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'slow.den.json'));
    await inTask2;
    console.log(`kill-host: host ${process.pid} trainer ${api.training.trainerPid}`);
    await new Promise(() => undefined); // until killed
  });
});
