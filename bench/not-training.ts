// What of a whole DEN run is not training, before and after a change: trains an experiment with
// the CLI of one build, then of another, one after the other (so that each has the machine to
// itself), and prints each run's wall time and breakdown (src/bench/breakdown.ts) from its summary.
// Usage: npx tsx bench/not-training.ts <experiment.den.json> <old cli.js> <new cli.js> [rounds=1]
// (build each version with npm run build and copy its dist/ away; the runs go to a temp folder).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { breakdownLine, nonTrainingShare, timeBreakdown } from '../src/bench/breakdown';
import type { RunSummary } from '../src/common/protocol';

const [experiment, oldCli, newCli, roundsArg] = process.argv.slice(2);
if (!experiment || !oldCli || !newCli) {
  console.error('usage: npx tsx bench/not-training.ts <experiment.den.json> <old cli.js> <new cli.js> [rounds=1]');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 1);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'den-not-training-'));
console.log(`${experiment}, ${rounds} round(s), old ${oldCli}, new ${newCli}; load average before: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
// GNU time, where installed, gives each run's peak RSS
const time = fs.existsSync('/usr/bin/time');
const totals: Record<string, { wall: number[]; share: number[] }> = { old: { wall: [], share: [] }, new: { wall: [], share: [] } };
for (let r = 1; r <= rounds; r++) {
  for (const [name, cli] of [['old', oldCli], ['new', newCli]] as const) {
    const into = path.join(dir, `${name}-${r}`);
    const start = performance.now();
    const args = [cli, 'train', experiment, '--into', into];
    const res = time ? spawnSync('/usr/bin/time', ['-f', 'peak RSS %M KB', process.execPath, ...args], { encoding: 'utf8' }) : spawnSync(process.execPath, args, { encoding: 'utf8' });
    const wall = (performance.now() - start) / 1000;
    if (res.status !== 0) throw new Error(`${name} failed (${res.status}): ${res.stderr}`);
    const rss = time ? ` ${res.stderr.trim().split('\n').at(-1)},` : '';
    const summary = JSON.parse(fs.readFileSync(path.join(into, 'summary.json'), 'utf8')) as RunSummary;
    const b = timeBreakdown(summary);
    if (!b) throw new Error(`${name}: the summary has no phases`);
    totals[name].wall.push(wall);
    totals[name].share.push(nonTrainingShare(b));
    console.log(`\nround ${r}, ${name}: ${wall.toFixed(1)} s of wall time (process),${rss} ACC ${summary.accuracy.at(-1)!.reduce((a, v) => a + (v ?? 0), 0) / summary.accuracy.length}`);
    console.log(breakdownLine(b));
  }
  // a change that only moves work around must leave every float as it was
  const same = (file: string) => fs.readFileSync(path.join(dir, `old-${r}`, file)).equals(fs.readFileSync(path.join(dir, `new-${r}`, file)));
  const last = fs.readdirSync(path.join(dir, `old-${r}`, 'tasks')).sort().at(-1)!;
  const metrics = (name: string) => {
    const s = JSON.parse(fs.readFileSync(path.join(dir, `${name}-${r}`, 'summary.json'), 'utf8')) as RunSummary;
    return JSON.stringify([s.accuracy, s.auroc, s.validation, s.tasks.map((t) => t.tauStatistic)]);
  };
  console.log(`round ${r}: the last checkpoint's weights (${last}) ${same(path.join('tasks', last, 'weights.bin')) ? 'identical' : 'DIFFER'}; accuracy, AUROC, validation and τ statistics ${metrics('old') === metrics('new') ? 'identical' : 'DIFFER'}`);
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(
  `\nmedian wall time old ${median(totals.old.wall).toFixed(1)} s, new ${median(totals.new.wall).toFixed(1)} s (${(median(totals.old.wall) / median(totals.new.wall)).toFixed(2)}×); ` +
    `not training old ${(100 * median(totals.old.share)).toFixed(1)}%, new ${(100 * median(totals.new.share)).toFixed(1)}%; load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
);
fs.rmSync(dir, { recursive: true, force: true });
