#!/usr/bin/env node
// The search behind DEN Lab's defaults, re-runnable: `den-lab sweep` grids around the defaults on
// both default suites, and the baselines' λ on permuted MNIST under both weight-decay protocols.
// Every point is judged on the VALIDATION parts (never the test parts); the report lists both.
//   node scripts/search-defaults.mjs [--jobs N] [--only den|baselines] [--report-only]
// Sweep folders: bench/search/sweeps/ (git-ignored; re-running resumes them). Report:
// bench/results/search-defaults.md and .json. Needs `npm run build` first.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { values } = parseArgs({ options: { jobs: { type: 'string' }, only: { type: 'string' }, 'report-only': { type: 'boolean', default: false } } });
const out = path.join(root, 'bench', 'search', 'sweeps');
const cli = path.join(root, 'dist', 'cli.js');

/** What is searched: the experiment, the grid, and the validation score that decides. */
const SEARCHES = [
  {
    group: 'den',
    title: 'DEN on one-vs-rest MNIST: τ × σ',
    file: 'examples/one-vs-rest-mnist.den.json',
    grid: ['den.tau=0.12,0.15,0.2', 'den.sigma=0.05,0.08'],
    score: 'validationAuroc',
  },
  {
    group: 'den',
    title: 'DEN on permuted MNIST: σ × k',
    file: 'examples/permuted-mnist.den.json',
    grid: ['den.sigma=0.05,0.08', 'den.k=18,25'],
    score: 'validationAcc',
  },
  { group: 'baselines', title: 'l2 (coupled weight decay): λ', file: 'bench/search/l2-coupled.den.json', grid: ['baselines.l2Lambda=0.003,0.01,0.03,0.1,0.3'], score: 'validationAcc' },
  { group: 'baselines', title: 'l2 (decoupled weight decay): λ', file: 'bench/search/l2-decoupled.den.json', grid: ['baselines.l2Lambda=0.003,0.01,0.03,0.1,0.3'], score: 'validationAcc' },
  { group: 'baselines', title: 'ewc (coupled weight decay): λ', file: 'bench/search/ewc-coupled.den.json', grid: ['baselines.ewcLambda=10,30,100,300,1000'], score: 'validationAcc' },
  { group: 'baselines', title: 'ewc (decoupled weight decay): λ', file: 'bench/search/ewc-decoupled.den.json', grid: ['baselines.ewcLambda=10,30,100,300,1000'], score: 'validationAcc' },
].filter((s) => !values.only || s.group === values.only);

const f4 = (v) => (typeof v === 'number' ? v.toFixed(4) : '—');
const pct = (v) => (typeof v === 'number' ? `${Math.round(100 * v)}%` : '—');

const results = [];
for (const s of SEARCHES) {
  const args = [cli, 'sweep', path.join(root, s.file), ...s.grid.flatMap((g) => ['--grid', g]), '--out', out, '--quality', s.score, '--json'];
  if (values.jobs) args.push('--jobs', values.jobs);
  if (!values['report-only']) {
    console.log(`\n${s.title}: den-lab ${args.slice(1).join(' ')}`);
    const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`${s.title}: the sweep exited ${r.status}`);
  }
  // the sweep's folder: the one whose sweep.json has this experiment and grid
  const dirs = fs.existsSync(out) ? fs.readdirSync(out).map((d) => path.join(out, d)) : [];
  const sweeps = dirs
    .filter((d) => fs.existsSync(path.join(d, 'sweep.json')))
    .map((d) => JSON.parse(fs.readFileSync(path.join(d, 'sweep.json'), 'utf8')))
    .filter((w) => path.resolve(w.experimentFile) === path.join(root, s.file) && JSON.stringify(w.grid.map((a) => a.field)) === JSON.stringify(s.grid.map((g) => g.split('=')[0])));
  const sweep = sweeps.sort((a, b) => b.updated.localeCompare(a.updated))[0];
  if (!sweep) throw new Error(`${s.title}: no sweep folder under ${out}; run without --report-only`);
  const done = sweep.points.filter((p) => p.status === 'done' && p.result);
  const best = done.reduce((a, p) => (a === null || (p.result[s.score] ?? -1) > (a.result[s.score] ?? -1) ? p : a), null);
  results.push({ ...s, sweepId: sweep.id, best: best?.id ?? null, points: sweep.points.map((p) => ({ id: p.id, values: p.values, status: p.status, result: p.result })) });
}

const lines = [
  '# The search behind the defaults',
  '',
  'Re-run with `npm run build && node scripts/search-defaults.mjs` (sweep folders in `bench/search/sweeps/`, resumed when run again). ' +
    'Every point trains the whole suite (10 tasks, seed 1) in its own process; the point marked **best** has the highest score on the ' +
    'validation parts (mean AUROC for one-vs-rest, ACC for permuted). The test scores are listed but never chose anything. ' +
    'For DEN the defaults must also leave every mechanism acting and stay within the capacity targets, so the chosen default can be a point ' +
    'next to the best (see the README).',
];
for (const r of results) {
  const fields = r.grid.map((g) => g.split('=')[0]);
  lines.push('', `## ${r.title}`, '', `\`${r.file}\`, scored by ${r.score === 'validationAuroc' ? 'mean AUROC' : 'ACC'} on the validation parts.`, '');
  lines.push(`| point | ${fields.join(' | ')} | validation ACC | validation AUROC | test ACC | test AUROC | BWT | % of STL | τ-skipped | pruned | tasks with a split | old weights changed | |`);
  lines.push(`|${' :-- |'.repeat(fields.length + 1)}${' --: |'.repeat(10)} :-- |`);
  for (const p of r.points) {
    const x = p.result;
    const m = x?.mechanisms;
    lines.push(
      `| ${p.id} | ${fields.map((f) => JSON.stringify(p.values[f])).join(' | ')} | ${f4(x?.validationAcc)} | ${f4(x?.validationAuroc)} | ${f4(x?.acc)} | ${f4(x?.auroc)} | ${f4(x?.bwt)} | ` +
        `${x?.stlPercent?.toFixed(1) ?? '—'}% | ${m ? m.skippedTasks : '—'} | ${m ? pct(m.prunedShare) : '—'} | ${m ? m.splitTasks : '—'} | ${m ? pct(m.changedShare) : '—'} | ${p.id === r.best ? '**best**' : p.status === 'done' ? '' : p.status} |`,
    );
  }
}
const resultsDir = path.join(root, 'bench', 'results');
fs.mkdirSync(resultsDir, { recursive: true });
fs.writeFileSync(path.join(resultsDir, 'search-defaults.md'), lines.join('\n') + '\n');
fs.writeFileSync(path.join(resultsDir, 'search-defaults.json'), JSON.stringify({ format: 'den-lab-search', searches: results }, null, 2) + '\n');
console.log(`\nwritten: bench/results/search-defaults.md, .json`);
