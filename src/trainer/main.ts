// The trainer process: forked by the extension host, it runs one training job with the engine
// and streams the engine's events back over IPC. The extension host itself never trains.
// When the host goes away (closed window, crashed or killed extension host) nothing will read the
// results: the job stops at its next step and the process exits, at the latest after EXIT_GRACE_MS.
import { checkHostToTrainer } from '../common/protocolGuards';
import type { TrainJob, TrainerToHost } from '../common/protocol';
import { isExplainedFailure } from '../engine/errorKinds';
import { train } from '../engine/session';

const EXIT_GRACE_MS = 5000;

/** Sends to the host if it is still there; a message to a host that left is dropped. */
function send(msg: TrainerToHost): void {
  if (!process.connected) return;
  process.send?.(msg, undefined, undefined, () => undefined);
}

let abort: AbortController | null = null;
let busy = false;
let exitWhenIdle = false;

async function run(job: TrainJob): Promise<void> {
  busy = true;
  abort = new AbortController();
  try {
    const result = await train({ ...job, emit: (event) => send({ type: 'event', event }), signal: abort.signal });
    send({ type: 'done', runDir: result.runDir, cancelled: result.cancelled, summary: result.summary });
  } catch (err) {
    const e = err as Error;
    send({ type: 'failed', name: e.name ?? 'Error', message: e.message ?? String(err) });
    if (!isExplainedFailure(e)) process.stderr.write(`${e.stack ?? e}\n`);
  } finally {
    busy = false;
    abort = null;
    if (exitWhenIdle) shutdown();
  }
}

function shutdown(): void {
  // let the IPC channel flush before leaving
  if (process.connected) process.disconnect();
  setImmediate(() => process.exit(0));
}

process.on('message', (msg: unknown) => {
  const checked = checkHostToTrainer(msg);
  if (!checked.ok) {
    send({ type: 'log', level: 'error', message: `trainer: ignored a malformed message: ${checked.problem}` });
    return;
  }
  const m = checked.value;
  switch (m.type) {
    case 'train':
      if (busy) send({ type: 'failed', name: 'BusyError', message: 'the trainer is already training; stop it first' });
      else void run(m.job);
      break;
    case 'cancel':
      abort?.abort();
      break;
    case 'shutdown':
      exitWhenIdle = true;
      if (busy) abort?.abort();
      else shutdown();
      break;
  }
});

// The host went away: stop at the next step and exit; a step that never ends does not keep us alive.
process.on('disconnect', () => {
  exitWhenIdle = true;
  abort?.abort();
  if (!busy) process.exit(0);
  setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
});
// The host's end of our pipes may close first: writing to them must not crash the job.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

send({ type: 'ready', pid: process.pid, node: process.version });
