// npm run bench: every method on the default suites (or given experiment files), on several seeds,
// the baselines under both weight-decay protocols, plus training throughput. Each run trains in
// its own process, `--jobs` at a time. Measurements are printed and written; `--check` makes the
// exit status say whether DEN's targets were met.
//   npm run bench [-- --quick] [--suite <experiment file>]... [--methods den,stl,...] [--seeds 1,2,3] [--baseline-seeds 1]
//                 [--protocols coupled,decoupled] [--jobs N] [--out <dir>] [--backend b] [--no-throughput] [--check]
//   npm run bench -- --from <suite result .json>... [--out <dir>] [--check]: the report again from the runs
//                 recorded in result files of one suite (e.g. methods that ran in separate invocations)
// Results: <out>/<suite>-<yyyy-mm-dd>.json and .md, and the figures <suite>-<yyyy-mm-dd>-<figure>.svg
// (default out: bench/results, quick: bench/results/quick).
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { initBackend } from '../engine/backend';
import { BackendChoice, METHODS, MethodName, loadExperiment, validateExperiment } from '../engine/experiment';
import { prepareTasks } from '../engine/session';
import { aggregate } from './aggregate';
import { breakdownLine } from './breakdown';
import { suiteFigures } from './figures';
import { suiteMarkdown, targetChecks } from './report';
import { Protocol, RunResult, RunSpec, SuiteInfo, label, runOne, suiteInfo } from './run';
import { ThroughputRow, measureThroughput } from './throughput';

const root = path.resolve(__dirname, '..');
const DEFAULT_SUITES = ['examples/permuted-mnist.den.json', 'examples/one-vs-rest-mnist.den.json'];
const PROTOCOLS: Protocol[] = ['coupled', 'decoupled'];
/**
 * The methods whose shared layers keep training on every task, where the weight-decay protocol
 * decides how much they forget; the others (DEN and its ablations, stl, progressive) freeze or do
 * not share what earlier tasks use and run in the experiment's own protocol only.
 */
const SHARED_TRAINING: readonly MethodName[] = ['finetune', 'l2', 'ewc', 'joint'];

const localDate = (d = new Date()) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

/** Splits a comma-separated option and checks every item. */
function list<T extends string>(value: string | undefined, fallback: readonly T[], allowed: readonly string[] | null, what: string): T[] {
  const items = value ? value.split(',').map((v) => v.trim()).filter(Boolean) : [...fallback];
  const bad = allowed ? items.filter((v) => !allowed.includes(v)) : [];
  if (bad.length) throw new Error(`unknown ${what} ${bad.join(', ')}; allowed: ${allowed!.join(', ')}`);
  return items as T[];
}

/** Runs one spec in a child process (this script with --worker) and returns its result. */
function runInChild(spec: RunSpec, log: (line: string) => void): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [__filename, '--worker', JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      err += d;
      for (const line of String(d).split('\n').filter(Boolean)) log(line);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as RunResult);
      else reject(new Error(`${label(spec)} failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

/** Runs every spec, `jobs` at a time, in the order given. */
async function runAll(specs: RunSpec[], jobs: number, log: (line: string) => void): Promise<RunResult[]> {
  const results: RunResult[] = new Array(specs.length);
  let next = 0;
  const worker = async () => {
    while (next < specs.length) {
      const i = next++;
      const start = Date.now();
      const r = await runInChild(specs[i], log);
      results[i] = r;
      const f = (v: number | null) => (v === null ? '—' : v.toFixed(4));
      log(`  ${label(specs[i]).padEnd(40)} ACC ${f(r.acc)}  BWT ${f(r.bwt)}  AUROC ${f(r.meanAuroc)}  params ${r.paramsPctStl.toFixed(1)}% of STL  units [${r.units.join(',')}]  ${((Date.now() - start) / 1000).toFixed(0)}s${r.tensorGrowth ? '  TENSORS GREW' : ''}`);
      if (r.spec.method === 'den' && r.timeBreakdown) log(`    where the time went: ${breakdownLine(r.timeBreakdown)}`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, specs.length)) }, worker));
  return results;
}

async function worker(json: string): Promise<void> {
  const spec = JSON.parse(json) as RunSpec;
  await initBackend(spec.backend ?? 'auto');
  const result = await runOne(spec, (line) => console.error(line));
  process.stdout.write(JSON.stringify(result) + '\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      suite: { type: 'string', multiple: true },
      methods: { type: 'string' },
      seeds: { type: 'string' },
      'baseline-seeds': { type: 'string' },
      protocols: { type: 'string' },
      jobs: { type: 'string' },
      out: { type: 'string' },
      backend: { type: 'string' },
      'no-throughput': { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      worker: { type: 'string' },
      from: { type: 'string', multiple: true },
    },
  });
  if (values.worker) {
    await worker(values.worker);
    return 0;
  }
  if (values.from) {
    const record = mergeRecords(values.from.map((f) => path.resolve(f)));
    const met = writeSuite(path.resolve(values.out ?? path.dirname(path.resolve(values.from[0]))), record);
    return values.check && !met ? checkFailed() : 0;
  }
  const quick = values.quick === true;
  const methods = list<MethodName>(values.methods, METHODS, METHODS, 'method');
  const seedList = (option: string, given: string | undefined, fallback: string[]) =>
    list<string>(given, fallback, null, 'seed').map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0) throw new Error(`--${option}: ${s} is not a seed (a non-negative integer)`);
      return n;
    });
  const seeds = seedList('seeds', values.seeds, quick ? ['1'] : ['1', '2', '3']);
  // the methods whose shared layers keep training may run on fewer seeds (the full bench's time goes to them twice, once per protocol)
  const baselineSeeds = seedList('baseline-seeds', values['baseline-seeds'], seeds.map(String));
  const protocols = list<Protocol>(values.protocols, PROTOCOLS, PROTOCOLS, 'protocol');
  const jobs = values.jobs ? Number(values.jobs) : Math.max(1, os.cpus().length);
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs must be a positive integer, got ${values.jobs}`);
  const suites = (values.suite ?? DEFAULT_SUITES.map((s) => path.join(root, s))).map((s) => path.resolve(s));
  const out = path.resolve(values.out ?? path.join(root, 'bench', 'results', ...(quick ? ['quick'] : [])));
  const backend = values.backend as BackendChoice | undefined;
  const log = (line: string) => console.log(line);

  let throughput: ThroughputRow[] = [];
  if (!values['no-throughput']) {
    const exp = validateExperiment({ name: 'bench', tasks: { type: 'permuted', count: 1 } });
    console.log(`Training throughput, 784-${exp.network.hidden.join('-')}-10, batch ${exp.training.batchSize}, ${quick ? 'quick' : 'full'} mode:`);
    throughput = await measureThroughput(exp, prepareTasks(exp, process.cwd())[0], quick ? 20 : 120, root, log);
  }
  await initBackend(backend ?? 'auto');

  fs.mkdirSync(out, { recursive: true });
  let allMet = true;
  for (const suite of suites) {
    // the methods that keep training shared layers run in every protocol asked for, the others in the experiment's own
    const denProtocol: Protocol = loadExperiment(suite).experiment.training.decoupledWeightDecay ? 'decoupled' : 'coupled';
    const specs: RunSpec[] = methods.flatMap((method) =>
      (SHARED_TRAINING.includes(method) ? protocols.map((p) => [p, baselineSeeds] as const) : [[denProtocol, seeds] as const]).flatMap(([protocol, runSeeds]) =>
        runSeeds.map((seed) => ({ suite, method, seed, protocol, quick, backend })),
      ),
    );
    const seedsSaid = baselineSeeds.join() === seeds.join() ? `seeds ${seeds.join(', ')}` : `seeds ${seeds.join(', ')}; ${SHARED_TRAINING.join(', ')}: ${baselineSeeds.join(', ')}`;
    console.log(`\nSuite ${suite}${quick ? ' (quick)' : ''}: ${specs.length} runs (${methods.join(', ')}; ${seedsSaid}), ${jobs} at a time`);
    const info = suiteInfo(specs[0]);
    const relative = path.relative(root, info.experimentFile);
    // inside the repository the suite file is recorded relative to it (results are committed)
    if (!relative.startsWith('..') && !path.isAbsolute(relative)) info.experimentFile = relative.split(path.sep).join('/');
    const runs = await runAll(specs, jobs, log);
    if (!writeSuite(out, { info, date: localDate(), quick, seeds, baselineSeeds, protocols, denProtocol, throughput, runs })) allMet = false;
  }
  return values.check && !allMet ? checkFailed() : 0;
}

function checkFailed(): number {
  console.error('bench --check: some DEN targets were not met (see above)');
  return 1;
}

/** What a suite's result file records: the suite, how it was run, and every run. */
interface SuiteRecord {
  info: SuiteInfo;
  date: string;
  quick: boolean;
  seeds: number[];
  baselineSeeds: number[];
  protocols: Protocol[];
  denProtocol: Protocol;
  throughput: ThroughputRow[];
  runs: RunResult[];
}

/** Writes the suite's JSON, figures and Markdown; true when every DEN target was met. */
function writeSuite(out: string, r: SuiteRecord): boolean {
  fs.mkdirSync(out, { recursive: true });
  const stats = aggregate(r.runs);
  const checks = targetChecks(r.info, stats, r.denProtocol);
  const base = path.join(out, `${r.info.suite}-${r.date}`);
  const { info, date, quick, seeds, baselineSeeds, protocols, denProtocol, throughput } = r;
  fs.writeFileSync(
    `${base}.json`,
    JSON.stringify({ format: 'den-lab-bench', formatVersion: 2, ...info, date, quick, seeds, baselineSeeds, protocols, denProtocol, methods: stats, throughput, targets: checks }, null, 2) + '\n',
  );
  const figures = suiteFigures(info, stats).map((f) => {
    const file = `${base}-${f.name}.svg`;
    fs.writeFileSync(file, f.svg);
    return { file: path.basename(file), title: f.title };
  });
  fs.writeFileSync(`${base}.md`, suiteMarkdown(info, date, quick, stats, checks, denProtocol, throughput, figures));
  for (const c of checks) console.log(`  DEN target: ${c.target}: ${c.measured} → ${c.met ? 'met' : 'NOT met'}`);
  console.log(`written: ${base}.json, ${base}.md, ${figures.map((f) => f.file).join(', ')}`);
  return checks.every((c) => c.met);
}

/** One suite's record from its result files: their runs together (a run may be in only one), the latest date. */
function mergeRecords(files: string[]): SuiteRecord {
  const records = files.map((file) => {
    const j = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (j.format !== 'den-lab-bench' || j.formatVersion !== 2) throw new Error(`--from: ${file} is not a bench result (format den-lab-bench, version 2)`);
    const { suite, experimentFile, taskType, tasks, hidden, loss, inputDim, stlParams } = j;
    const info: SuiteInfo = { suite, experimentFile, taskType, tasks, hidden, loss, inputDim, stlParams };
    const runs = (j.methods as { runs: RunResult[] }[]).flatMap((m) => m.runs);
    return { file, info, date: j.date as string, quick: j.quick === true, protocols: j.protocols as Protocol[], denProtocol: j.denProtocol as Protocol, throughput: j.throughput as ThroughputRow[], runs };
  });
  const [first] = records;
  for (const r of records) {
    if (JSON.stringify(r.info) !== JSON.stringify(first.info) || r.quick !== first.quick || r.denProtocol !== first.denProtocol) {
      throw new Error(`--from: ${r.file} is not the same suite, mode and protocol as ${first.file}`);
    }
  }
  const seen = new Map<string, string>();
  for (const r of records) {
    for (const run of r.runs) {
      const key = label(run.spec);
      if (seen.has(key)) throw new Error(`--from: ${key} is in both ${seen.get(key)} and ${r.file}`);
      seen.set(key, r.file);
    }
  }
  const union = <T>(xs: T[][]) => [...new Set(xs.flat())].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // the seeds are those of the runs (a file's own lists say how its invocation was asked, not what the merge holds)
  const runs = records.flatMap((r) => r.runs);
  const seedsOf = (shared: boolean) => union([runs.filter((run) => SHARED_TRAINING.includes(run.spec.method) === shared).map((run) => run.spec.seed)]);
  const [own, shared] = [seedsOf(false), seedsOf(true)];
  return {
    info: first.info,
    date: records.map((r) => r.date).sort().pop()!,
    quick: first.quick,
    seeds: own.length ? own : shared,
    baselineSeeds: shared.length ? shared : own,
    protocols: union(records.map((r) => r.protocols)),
    denProtocol: first.denProtocol,
    throughput: records.find((r) => r.throughput.length)?.throughput ?? [],
    runs,
  };
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
