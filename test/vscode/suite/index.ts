// Loaded INSIDE the real extension host: the workbench `require`s this file (the payload's
// extensionTestsPath) and awaits run(). Resolving reports exit code 0 to the browser, rejecting 1.
// mocha comes from the project's node_modules (it is external to this bundle). The workspace
// folder's name picks the suite (test/vscode/run.mjs opens each in its own window):
//   tests      extension.test.js   the extension in a trusted workspace
//   untrusted  untrusted.test.js   the same workspace (with its runs) in restricted mode
//   kill-host  killHost.test.js    starts a training and waits for run.mjs to kill this host
//   slurm      slurm.test.js       the sweep command on the one-node Slurm cluster of test/slurm/run.sh
// DEN_LAB_TEST_GREP (run.mjs's --grep): only the tests whose titles match it (while working on a few).
import * as path from 'path';
import Mocha = require('mocha'); // eslint-disable-line @typescript-eslint/no-require-imports -- mocha's CommonJS export is a class: this is TypeScript's import for it
import * as vscode from 'vscode';

const SUITES: Record<string, string> = { tests: 'extension.test.js', untrusted: 'untrusted.test.js', 'kill-host': 'killHost.test.js', slurm: 'slurm.test.js' };

export function run(): Promise<void> {
  const folder = path.basename(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '');
  const suite = SUITES[folder];
  if (!suite) return Promise.reject(new Error(`no in-host suite for a workspace named '${folder}'`));
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 300_000, reporter: 'spec', forbidOnly: true, grep: process.env.DEN_LAB_TEST_GREP || undefined });
  mocha.addFile(path.join(__dirname, suite));
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const passed = runner.stats?.passes ?? 0;
      // read by test/vscode/run.mjs, which prints the overall "N passed, N failed"
      console.log(`in-host results: ${passed} passed, ${failures} failed`);
      if (failures) reject(new Error(`${failures} in-host test(s) failed`));
      else if (passed === 0) reject(new Error('no in-host test ran'));
      else resolve();
    });
  });
}
