// 220 generated malformed experiment files through the built CLI (dist/cli.js), as a user runs it:
// each must exit with status 2 and one line that names the file and the field, with no stack trace,
// and leave no run folder. Slow (one Node process per file): npm run test:faults, in CI.
import assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { malformedExperiment, messageProblem, type MalformedCase } from './malformedExperiments';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist', 'cli.js');
const CASES = 220;

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `fn` over `items`, `width` at a time (the machine has two cores). */
async function inParallel<T>(items: T[], width: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  }));
}

describe('den-lab train on malformed experiment files (fuzzing the built CLI)', function () {
  this.timeout(600_000);
  let dir: string;
  before(() => {
    assert.ok(fs.existsSync(cli), 'dist/cli.js exists (npm run test:faults builds it first)');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'den-cli-fuzz-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** What is wrong with the CLI's answer to one case, or null. */
  async function verdict(c: MalformedCase, i: number): Promise<string | null> {
    const file = path.join(dir, `case-${i}.den.json`);
    const out = path.join(dir, `runs-${i}`);
    fs.writeFileSync(file, c.bytes);
    const r = await runCli(['train', file, '--tasks', '1', '--out', out]);
    if (r.code !== 2) return `exit status ${r.code} (stderr: ${r.stderr.slice(0, 300)})`;
    if (!r.stderr.startsWith('den-lab: ') || !r.stderr.endsWith('\n') || r.stderr.indexOf('\n') !== r.stderr.length - 1) return `not one line on stderr: ${JSON.stringify(r.stderr.slice(0, 300))}`;
    const problem = messageProblem(r.stderr.slice('den-lab: '.length, -1), file, c);
    if (problem) return problem;
    if (fs.existsSync(out) && fs.readdirSync(out).length) return `left ${fs.readdirSync(out).join(', ')} in the runs folder`;
    return null;
  }

  it(`${CASES} generated malformed files: each exits 2 with one line naming the file and the field, and leaves no run folder`, async () => {
    const cases = fc.sample(malformedExperiment, { numRuns: CASES, seed: Number(process.env.FUZZ_SEED ?? 424242) });
    const failures: string[] = [];
    await inParallel(cases, 2, async (c, i) => {
      const problem = await verdict(c, i);
      if (problem) failures.push(`case ${i} (${c.what}): ${problem}`);
    });
    console.log(`      fuzz: ${CASES - failures.length} of ${CASES} malformed files rejected cleanly (exit 2, one line naming the field, no run folder)`);
    assert.deepEqual(failures, []);
  });

  it('a 20 MB file, 10,000 levels of nesting, __proto__ and invalid UTF-8, one by one', async () => {
    const cases: MalformedCase[] = [
      { what: '20 MB', bytes: Buffer.concat([Buffer.from('{"name": "big", "pad": "'), Buffer.alloc(20 << 20, 0x61), Buffer.from('"}')]), field: null },
      { what: '10,000 levels', bytes: Buffer.from(`{"name": "deep", "den": ${'{"a": '.repeat(10000)}1${'}'.repeat(10000)}}`), field: null },
      { what: '__proto__', bytes: Buffer.from('{"name": "p", "__proto__": {"den": {"tau": 1e309}}}'), field: '__proto__' },
      { what: 'invalid UTF-8', bytes: Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]), field: null },
    ];
    for (const [i, c] of cases.entries()) assert.equal(await verdict(c, 1000 + i), null, c.what);
  });
});
