// npm run bench:sweep: the parallel speed-up of `den-lab sweep`, measured as a ratio in one run.
// Trains the base run (tasks 1..t−1), then the same grid retraining task t twice, with --jobs 1 and
// with --jobs 2, each into a fresh folder; prints the wall times, their ratio, the machine's load
// while each ran, and the sweep's table, and checks that both gave the same numbers.
//   node scripts/sweep-speedup.mjs [--experiment f] [--task t] [--grid field=v,…]… [--jobs-max J]
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { parseArgs } from 'util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'cli.js');
const { values } = parseArgs({
  options: {
    experiment: { type: 'string', default: path.join(root, 'examples', 'one-vs-rest-mnist.den.json') },
    task: { type: 'string', default: '2' },
    grid: { type: 'string', multiple: true, default: ['den.tau=0.01,0.2', 'den.k=10,25'] },
    'jobs-max': { type: 'string', default: '2' },
  },
});
const task = Number(values.task);
const jobsMax = Number(values['jobs-max']);

/** Runs den-lab; resolves with its stdout, wall seconds and the 1-minute load average sampled every second. */
function den(args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const load = [];
    const timer = setInterval(() => load.push(os.loadavg()[0]), 1000);
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code !== 0) return reject(new Error(`den-lab ${args.join(' ')} exited with ${code}`));
      resolve({ stdout, seconds: (performance.now() - started) / 1000, load: load.length ? load.reduce((a, b) => a + b) / load.length : os.loadavg()[0] });
    });
  });
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'den-sweep-speedup-'));
try {
  const gridArgs = values.grid.flatMap((g) => ['--grid', g]);
  let from = [];
  if (task > 1) {
    const base = await den(['train', values.experiment, '--tasks', String(task - 1), '--out', path.join(work, 'base'), '--json']);
    from = ['--from', JSON.parse(base.stdout.trim().split('\n').pop()).runDir, '--task', String(task)];
    console.log(`base run: tasks 1..${task - 1} in ${base.seconds.toFixed(1)} s`);
  }
  const results = [];
  for (let jobs = 1; jobs <= jobsMax; jobs++) {
    const loadBefore = os.loadavg()[0];
    const r = await den(['sweep', values.experiment, ...from, ...gridArgs, '--jobs', String(jobs), '--out', path.join(work, `jobs${jobs}`), '--json']);
    const sweep = JSON.parse(r.stdout.trim().split('\n').pop()).sweep;
    results.push({ jobs, seconds: r.seconds, loadBefore, load: r.load, sweep });
    console.log(`--jobs ${jobs}: ${sweep.points.length} points in ${r.seconds.toFixed(1)} s (load average ${loadBefore.toFixed(2)} before, ${r.load.toFixed(2)} during)`);
  }
  const numbers = (s) => JSON.stringify(s.points.map((p) => [p.id, p.status, p.result?.accuracyRows, p.result?.aurocRows, p.result?.params]));
  const same = results.every((r) => numbers(r.sweep) === numbers(results[0].sweep));
  console.log(`\nsame numbers with every --jobs: ${same ? 'yes' : 'NO'}`);
  console.log(`machine: ${os.availableParallelism()} cores (${os.cpus()[0].model}), Node ${process.version}\n`);
  console.log('| --jobs | wall time | speed-up | mean training time per point | load average during |');
  console.log('|---|---|---|---|---|');
  for (const r of results) {
    const perPoint = r.sweep.points.reduce((a, p) => a + (p.result?.seconds ?? 0), 0) / r.sweep.points.length;
    console.log(`| ${r.jobs} | ${r.seconds.toFixed(1)} s | ${(results[0].seconds / r.seconds).toFixed(2)}× | ${perPoint.toFixed(1)} s | ${r.load.toFixed(2)} |`);
  }
  const last = results[results.length - 1].sweep;
  const metric = last.quality === 'acc' ? 'ACC' : 'mean AUROC';
  console.log(`\n| point | ${last.grid.map((a) => a.field).join(' | ')} | ${metric} | BWT | params | % of STL | units | +added | split | front |`);
  console.log(`|---|${last.grid.map(() => '---|').join('')}---|---|---|---|---|---|---|---|`);
  for (const p of last.points) {
    const r = p.result;
    const score = last.quality === 'acc' ? r.acc : r.auroc;
    console.log(
      `| ${p.id} | ${last.grid.map((a) => JSON.stringify(p.values[a.field])).join(' | ')} | ${score.toFixed(4)} | ${(100 * r.bwt).toFixed(2)} pts | ${r.params.toLocaleString('en-US')} | ${r.stlPercent.toFixed(1)}% | [${r.units.join(', ')}] | ${r.added.join(', ')} | ${r.split.join(', ')} | ${p.pareto ? '★' : ''} |`,
    );
  }
  if (!same) process.exitCode = 1;
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
