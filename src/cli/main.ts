#!/usr/bin/env node
// den-lab: the command-line face of the DEN Lab engine.
//   den-lab train <experiment> [--tasks N] [--from <run> [--task t]] [--out dir] [--method m] [--backend b] [--json]
//   den-lab eval <run> [--backend b] [--json]
import { parseArgs } from 'util';
import { BackendChoice, METHODS, MethodName } from '../engine/experiment';
import { isExplainedFailure, isInputError } from '../engine/errorKinds';
import { evaluateRun } from '../engine/evaluateRun';
import { train } from '../engine/session';
import type { DenEvent } from '../protocol';
import { eventLine, lossStatus, matrixReport, summaryReport } from './format';

const USAGE = `Usage:
  den-lab train <experiment.den.json> [options]   train tasks of an experiment
      --tasks N        train N tasks now (default: all remaining; 1 with --task)
      --from <run>     continue this run folder after its last completed task
      --task t         with --from: retrain task t into a new branch of the run
      --out <dir>      where new run folders go (default: runs/ next to the experiment)
      --method m       overrides the experiment's method: ${METHODS.join(' | ')}
      --backend b      auto | tensorflow-gpu | tensorflow | wasm | cpu
      --json           print every event as one JSON line (machine-readable)
  den-lab eval <run> [--backend b] [--json]      re-evaluate every checkpoint of a run
  den-lab --help | --version`;

const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

class UsageError extends Error {}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer, got '${value}'`);
  return n;
}

function backendOf(value: string | undefined): BackendChoice | undefined {
  if (value !== undefined && !BACKENDS.includes(value)) throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got '${value}'`);
  return value as BackendChoice | undefined;
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
      from: { type: 'string' },
      task: { type: 'string' },
      out: { type: 'string' },
      method: { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.version) {
    console.log(require('../../package.json').version);
    return 0;
  }
  const [command, target, ...rest] = positionals;
  if (rest.length) throw new UsageError(`unexpected argument '${rest[0]}'`);
  const json = values.json === true;
  const backend = backendOf(values.backend);
  const method = methodOf(values.method);

  if (command === 'train') {
    if (!target) throw new UsageError('train needs an experiment file');
    const retrainTask = positiveInt('--task', values.task);
    if (retrainTask !== undefined && !values.from) throw new UsageError('--task needs --from <run>: the run whose task to retrain');
    const abort = new AbortController();
    let interrupts = 0;
    const onSigint = () => {
      if (++interrupts > 1) process.exit(130);
      if (!json) process.stderr.write('\nstopping at the next step (Ctrl-C again to quit at once)…\n');
      abort.abort();
    };
    process.on('SIGINT', onSigint);
    try {
      const result = await train({
        experimentFile: target,
        runDir: values.from,
        retrainTask,
        tasks: positiveInt('--tasks', values.tasks),
        runsDir: values.out,
        backend,
        method,
        emit: printer(json),
        signal: abort.signal,
      });
      if (json) process.stdout.write(JSON.stringify({ type: 'result', runDir: result.runDir, cancelled: result.cancelled, summary: result.summary }) + '\n');
      else if (result.summary.tasks.length) console.log('\n' + summaryReport(result.summary, result.runDir));
      return result.cancelled ? 130 : 0;
    } finally {
      process.off('SIGINT', onSigint);
    }
  }
  if (command === 'eval') {
    if (!target) throw new UsageError('eval needs a run folder');
    if (method) throw new UsageError('--method is for train; eval uses the run\'s own method');
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
  throw new UsageError(command ? `unknown command '${command}'` : 'no command given');
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
