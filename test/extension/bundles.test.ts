// What the .vsix runs (npm test builds dist/ first): the extension host's bundle without TensorFlow.js,
// and dist/trainer.js, which is also the den-lab CLI when given arguments (src/trainer/entry.ts), so
// that the extension's sweeps need no second copy of TensorFlow.js (dist/cli.js is not packaged).
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const dist = path.resolve(__dirname, '../../dist');
const { version } = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { version: string };

describe('bundles', () => {
  it('dist/extension.js holds no TensorFlow.js (the host never trains)', () => {
    const text = fs.readFileSync(path.join(dist, 'extension.js'), 'utf8');
    // esbuild marks each bundled module with a `// <path>` line
    const modules = text.match(/^\/\/ node_modules\/\S+/gm) ?? [];
    assert.ok(modules.some((m) => m.includes('jsonc-parser')), 'the module markers are there');
    assert.deepEqual(modules.filter((m) => m.includes('@tensorflow')), []);
    assert.ok(text.length < 1_500_000, `dist/extension.js is ${text.length} bytes`);
  });

  it('dist/trainer.js given arguments is the den-lab CLI', () => {
    const v = spawnSync(process.execPath, [path.join(dist, 'trainer.js'), '--version'], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stdout.trim(), version);
    const bad = spawnSync(process.execPath, [path.join(dist, 'trainer.js'), 'eval'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^den-lab: eval needs a run folder/);
  });
});
