// npm run bench: the benchmark of every method on the default suites (or given experiment files),
// plus training throughput. Measurements are printed and written, never asserted.
//   npm run bench [-- --quick] [--suite <experiment file>]... [--methods den,stl,...] [--out <dir>] [--backend b] [--no-throughput]
// Results: <out>/<suite>-<yyyy-mm-dd>.json and .md (default out: bench/results, quick: bench/results/quick).
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { initBackend } from '../engine/backend';
import { BackendChoice, METHODS, MethodName, validateExperiment } from '../engine/experiment';
import { prepareTasks } from '../engine/session';
import { resultsTable, suiteMarkdown, targetChecks } from './report';
import { runSuite } from './suite';
import { ThroughputRow, measureThroughput } from './throughput';

const root = path.resolve(__dirname, '..');
const DEFAULT_SUITES = ['examples/permuted-mnist.den.json', 'examples/one-vs-rest-mnist.den.json'];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      suite: { type: 'string', multiple: true },
      methods: { type: 'string' },
      out: { type: 'string' },
      backend: { type: 'string' },
      'no-throughput': { type: 'boolean', default: false },
    },
  });
  const quick = values.quick === true;
  const methods = (values.methods ? values.methods.split(',').map((m) => m.trim()) : [...METHODS]) as MethodName[];
  const unknown = methods.filter((m) => !(METHODS as readonly string[]).includes(m));
  if (unknown.length) throw new Error(`unknown method ${unknown.join(', ')}; methods: ${METHODS.join(', ')}`);
  const suites = values.suite ?? DEFAULT_SUITES.map((s) => path.join(root, s));
  const out = path.resolve(values.out ?? path.join(root, 'bench', 'results', ...(quick ? ['quick'] : [])));
  const backend = values.backend as BackendChoice | undefined;
  const log = (line: string) => console.log(line);

  let throughput: ThroughputRow[] = [];
  if (!values['no-throughput']) {
    const exp = validateExperiment({ name: 'bench', tasks: { type: 'permuted', count: 1 } });
    console.log(`Training throughput, 784-${exp.network.hidden.join('-')}-10, batch ${exp.training.batchSize}, ${quick ? 'quick' : 'full'} mode:`);
    throughput = await measureThroughput(exp, prepareTasks(exp, process.cwd())[0], quick ? 20 : 120, log);
  }
  await initBackend(backend ?? 'auto');

  fs.mkdirSync(out, { recursive: true });
  for (const suite of suites) {
    console.log(`\nSuite ${suite}${quick ? ' (quick)' : ''}: ${methods.join(', ')}`);
    const result = await runSuite(suite, methods, { quick, backend, log });
    // inside the repository the suite file is recorded relative to it (results are committed)
    const relative = path.relative(root, result.experimentFile);
    if (!relative.startsWith('..') && !path.isAbsolute(relative)) result.experimentFile = relative.split(path.sep).join('/');
    const base = path.join(out, `${result.suite}-${result.date}`);
    fs.writeFileSync(`${base}.json`, JSON.stringify({ format: 'den-lab-bench', formatVersion: 1, ...result, throughput, targets: targetChecks(result) }, null, 2) + '\n');
    fs.writeFileSync(`${base}.md`, suiteMarkdown(result, throughput));
    console.log(`\n${resultsTable(result.methods)}\n`);
    for (const c of targetChecks(result)) console.log(`  DEN target: ${c.target}: ${c.measured} → ${c.met ? 'met' : 'NOT met'}`);
    console.log(`written: ${base}.json, ${base}.md`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
