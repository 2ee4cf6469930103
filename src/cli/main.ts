#!/usr/bin/env node
// den-lab: the command-line face of the DEN Lab engine.
//   den-lab train <experiment> [--tasks N | --until t] [--from <run> [--task t]] [--into dir] [--out dir] [--method m] [--backend b] [--json]
//   den-lab eval <run> [--backend b] [--json]
//   den-lab sweep <experiment> --grid field=v1,v2,… [--grid …] [--from <run> --task t] [--tasks N] [--jobs J] [--out dir] [--max-points M] [--quality q]
//                 [--executor local|slurm [--slurm-partition P] [--slurm-time T] [--slurm-cpus C] [--slurm-extra="…"] [--slurm-poll S] [--detach]] [--json]
//   den-lab sweep --status <sweep folder> [--wait] [--json] | --cancel <sweep folder> [--json]
import * as os from 'os';
import { parseArgs } from 'util';
import { version } from '../../package.json'; // esbuild bundles only this field
import { BackendChoice, METHODS, MethodName } from '../engine/experiment';
import { ThreadsChoice, badThreads, parseThreads } from '../engine/wasmThreadsChoice';
import { isExplainedFailure, isInputError } from '../engine/errorKinds';
import { evaluateRun } from '../engine/evaluateRun';
import { train } from '../engine/session';
import { DEFAULT_POLL_SECONDS } from '../engine/sweep/slurm';
import type { DenEvent } from '../common/protocol';
import { eventLine, lossStatus, matrixReport, summaryReport } from './format';
import { onInterrupt } from './interrupt';
import { sweepCommand } from './sweepCommand';
import { positiveInt, UsageError } from './usage';

const USAGE = `Usage:
  den-lab train <experiment.den.json> [options]   train tasks of an experiment
      --tasks N        train N tasks now (default: all remaining; 1 with --task)
      --until t        train up to task t (nothing to do if the run has it already)
      --from <run>     continue this run folder after its last completed task
      --task t         with --from: retrain task t (or train the run's next task) into a new
                       branch of the run
      --into <dir>     train in the run folder <dir>: created (with --from/--task: as that
                       branch) or, if an earlier attempt completed tasks there, continued
      --out <dir>      where new run folders go (default: runs/ next to the experiment)
      --method m       overrides the experiment's method: ${METHODS.join(' | ')}
      --backend b      auto | tensorflow-gpu | tensorflow | wasm | cpu
      --threads t      WASM threads: auto (default: the threaded build where it was measured
                       faster on this machine) or a count; also DEN_LAB_WASM_THREADS
      --json           print every event as one JSON line (machine-readable)
  den-lab eval <run> [--backend b] [--json]      re-evaluate every checkpoint of a run
  den-lab sweep <experiment.den.json> --grid field=v1,v2,… [options]
                                                 train every combination of the grid
      --grid f=v,…     a numeric field of den, training or baselines and its values
                       (repeatable); a per-layer list in brackets: 'den.gamma=0.001,[0.001,0.01]'
      --from <run>     with --task t: every point retrains task t from the run's
                       checkpoint after task t−1 (default: every point starts from scratch)
      --task t         see --from
      --tasks N        tasks each point trains (default: 1 with --from, else all)
      --jobs J         points trained at once, each in its own process (default: ${os.availableParallelism()}, the cores;
                       with Slurm: every point)
      --out <dir>      where sweep folders go (default: sweeps/ next to the experiment)
      --max-points M   refuse a grid of more than M points (default: 200)
      --quality q      acc | auroc | validationAcc | validationAuroc: the score of the Pareto
                       front (default: on the validation parts when the experiment has them;
                       mean AUROC for one-vs-rest tasks, else ACC)
      --executor e     local: child processes of this one (default) | slurm: one Slurm job
                       array, a task per point (the sweep folder, node and den-lab must be
                       on a file system the nodes share)
      --slurm-partition P, --slurm-time T (e.g. 00:30:00), --slurm-cpus C (default 1)
                       the array's sbatch --partition, --time and --cpus-per-task
      --slurm-extra="…" further sbatch options, e.g. --slurm-extra="--account=abc --mem=4G"
      --slurm-poll S   seconds between looks at the Slurm queue (default ${DEFAULT_POLL_SECONDS})
      --detach         with Slurm: submit the array and return; --status follows it later
      --json           print the sweep's events as JSON lines
  den-lab sweep --status <sweep folder> [--wait] [--json]
                                                 the sweep's points now (a detached Slurm sweep:
                                                 read from the queue); --wait: follow them to the end
  den-lab sweep --cancel <sweep folder> [--json] stop the points of a running sweep
  den-lab --help | --version`;

const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/** Options each command takes (parseArgs knows them all). */
const COMMAND_OPTIONS: Record<string, string[]> = {
  train: ['tasks', 'until', 'from', 'task', 'into', 'out', 'method', 'backend', 'threads', 'json'],
  eval: ['backend', 'json'],
  sweep: ['grid', 'from', 'task', 'tasks', 'jobs', 'out', 'max-points', 'quality', 'json', 'executor', 'detach', 'status', 'cancel', 'wait', 'slurm-partition', 'slurm-time', 'slurm-cpus', 'slurm-extra', 'slurm-poll'],
};

function backendOf(value: string | undefined): BackendChoice | undefined {
  if (value !== undefined && !BACKENDS.includes(value)) throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got '${value}'`);
  return value as BackendChoice | undefined;
}

function threadsOf(value: string | undefined): ThreadsChoice | undefined {
  if (value === undefined) return undefined;
  const threads = parseThreads(value);
  if (threads === undefined) throw new UsageError(badThreads('--threads', value));
  return threads;
}

function methodOf(value: string | undefined): MethodName | undefined {
  if (value !== undefined && !(METHODS as readonly string[]).includes(value)) throw new UsageError(`--method must be one of ${METHODS.join(', ')}, got '${value}'`);
  return value as MethodName | undefined;
}

/** Prints events: JSON lines, or readable lines plus a live loss status on a terminal. */
function printer(json: boolean) {
  let tasksTotal = 0;
  let statusShown = false;
  const tty = process.stdout.isTTY === true;
  return (e: DenEvent) => {
    if (json) {
      process.stdout.write(JSON.stringify(e) + '\n');
      return;
    }
    if (e.type === 'run-start') tasksTotal = e.taskNames.length;
    if (e.type === 'loss') {
      if (tty) {
        process.stdout.write(`\r\x1b[2K${lossStatus(e, tasksTotal)}`);
        statusShown = true;
      }
      return;
    }
    const line = eventLine(e, tasksTotal);
    if (line === null) return;
    if (statusShown) process.stdout.write('\r\x1b[2K');
    statusShown = false;
    process.stdout.write(line + '\n');
  };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tasks: { type: 'string' },
      until: { type: 'string' },
      from: { type: 'string' },
      task: { type: 'string' },
      into: { type: 'string' },
      out: { type: 'string' },
      method: { type: 'string' },
      backend: { type: 'string' },
      threads: { type: 'string' },
      grid: { type: 'string', multiple: true },
      jobs: { type: 'string' },
      'max-points': { type: 'string' },
      quality: { type: 'string' },
      executor: { type: 'string' },
      detach: { type: 'boolean' },
      status: { type: 'string' },
      cancel: { type: 'string' },
      wait: { type: 'boolean' },
      'slurm-partition': { type: 'string' },
      'slurm-time': { type: 'string' },
      'slurm-cpus': { type: 'string' },
      'slurm-extra': { type: 'string' },
      'slurm-poll': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.version) {
    console.log(version);
    return 0;
  }
  const [command, target, ...rest] = positionals;
  if (rest.length) throw new UsageError(`unexpected argument '${rest[0]}'`);
  if (!command) throw new UsageError('no command given');
  if (!COMMAND_OPTIONS[command]) throw new UsageError(`unknown command '${command}'`);
  const stray = Object.keys(values).find((o) => !['help', 'version'].includes(o) && !COMMAND_OPTIONS[command].includes(o));
  if (stray) throw new UsageError(`--${stray} is not an option of ${command}`);
  const json = values.json === true;
  const backend = backendOf(values.backend);
  const method = methodOf(values.method);

  if (command === 'train') {
    if (!target) throw new UsageError('train needs an experiment file');
    const retrainTask = positiveInt('--task', values.task);
    if (retrainTask !== undefined && !values.from) throw new UsageError('--task needs --from <run>: the run whose task to retrain');
    if (values.into !== undefined && values.from !== undefined && retrainTask === undefined) throw new UsageError('--into with --from needs --task t: the task the new run folder retrains');
    if (values.until !== undefined && values.tasks !== undefined) throw new UsageError('give --tasks N or --until t, not both');
    const abort = new AbortController();
    const uninstall = onInterrupt('at the next step', json, () => abort.abort(), () => process.exit(130));
    try {
      const result = await train({
        experimentFile: target,
        runDir: values.from,
        retrainTask,
        tasks: positiveInt('--tasks', values.tasks),
        until: positiveInt('--until', values.until),
        into: values.into,
        runsDir: values.out,
        backend,
        threads: threadsOf(values.threads),
        method,
        emit: printer(json),
        signal: abort.signal,
      });
      if (json) process.stdout.write(JSON.stringify({ type: 'result', runDir: result.runDir, cancelled: result.cancelled, summary: result.summary }) + '\n');
      else if (result.summary.tasks.length) console.log('\n' + summaryReport(result.summary, result.runDir));
      return result.cancelled ? 130 : 0;
    } finally {
      uninstall();
    }
  }
  if (command === 'sweep') {
    const { help: _h, version: _v, ...options } = values;
    return sweepCommand(target, options, __filename);
  }
  if (command === 'eval') {
    if (!target) throw new UsageError('eval needs a run folder');
    const ev = await evaluateRun(target, backend);
    if (json) {
      process.stdout.write(JSON.stringify({ type: 'evaluation', ...ev, summary: undefined }) + '\n');
    } else {
      console.log(`run ${ev.runDir} · backend ${ev.backend.name} ${ev.backend.version}`);
      console.log(matrixReport('accuracy R[i][j] (recomputed from each checkpoint):', ev.accuracy));
      console.log(matrixReport('AUROC:', ev.auroc));
      console.log(`largest difference from summary.json: ${ev.maxDifference.toExponential(2)}${ev.maxDifference < 1e-6 ? ' (matches)' : ''}`);
      console.log('\n' + summaryReport(ev.summary, ev.runDir));
    }
    return 0;
  }
  throw new UsageError(`unknown command '${command}'`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    const usage = err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    // Bad input (exit 2) gets its message only; a training failure exits 1; anything else is a bug and shows its stack.
    const badInput = usage || isInputError(err);
    process.stderr.write(`den-lab: ${err.message}\n${usage ? '\n' + USAGE + '\n' : ''}`);
    if (!badInput && !isExplainedFailure(err)) process.stderr.write(`${err.stack}\n`);
    process.exit(badInput ? 2 : 1);
  },
);
