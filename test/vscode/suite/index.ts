// Loaded INSIDE the real extension host: the workbench `require`s this file (the payload's
// extensionTestsPath) and awaits run(). Resolving reports exit code 0 to the browser, rejecting 1.
// mocha comes from the project's node_modules (it is external to this bundle).
import * as path from 'path';
import Mocha = require('mocha');

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 300_000, reporter: 'spec', forbidOnly: true });
  mocha.addFile(path.join(__dirname, 'extension.test.js'));
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
