// The trainer child process, owned by one object with one lifetime: start a job, stream its
// events, cancel it, notice when it dies, kill it on dispose. No vscode import: it is tested with
// a real forked process in the unit tests.
//
// The job's promise settles exactly once, on the first of: 'close' (the process ended and its
// pipes are drained; at most 2 s after 'exit'), a spawn 'error' (the program could not start; Node
// then never fires 'exit'), or the ready timeout. A trainer that ignores a cancel is killed after
// its grace period.
import { ChildProcess, fork } from 'child_process';
import * as os from 'os';
import * as readline from 'readline';
import { EventEmitter } from 'events';
import { checkTrainerToHost } from './protocolGuards';
import type { DenEvent, HostToTrainer, RunSummary, TrainJob } from './protocol';

/**
 * The trainer's nice value. Training is background work: on a machine whose cores are all busy the
 * scheduler then serves the editor (its extension host, the dashboard) first, and when a core is
 * free the trainer runs as fast as before.
 */
export const TRAINER_NICE = 10;

export interface TrainerOptions {
  /** The bundled trainer entry (dist/trainer.js). */
  script: string;
  /** Node executable to run it with (the `denLab.nodePath` setting); default: the editor's own (process.execPath). */
  nodePath?: string;
  /** Working directory (the workspace folder): the trainer also looks for @tensorflow/tfjs-node in its node_modules. */
  cwd?: string;
  /** A folder whose node_modules holds @tensorflow/tfjs-node(-gpu) (the `denLab.nodeModulesPath` setting). */
  nodeModulesPath?: string;
  /** Receives the trainer's log lines and stderr. */
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** How long a cancelled job may take to stop before the process is killed. */
  cancelGraceMs?: number;
  /** How long the process may take to say 'ready' (a program that is not Node never does). */
  readyTimeoutMs?: number;
  /** The trainer's nice value (0–19); default TRAINER_NICE. */
  nice?: number;
}

export interface TrainOutcome {
  runDir: string;
  cancelled: boolean;
  summary: RunSummary;
}

/** The job failed with an error the engine reported (bad experiment, missing data, NaN loss…). */
export class TrainingFailedError extends Error {
  constructor(readonly kind: string, message: string) {
    super(message);
    this.name = 'TrainingFailedError';
  }
}

/** The trainer process could not be started (a wrong `denLab.nodePath`, a missing bundle). */
export class TrainerStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainerStartError';
  }
}

/** The trainer process ended without finishing its job (crash, out of memory, killed). */
export class TrainerCrashedError extends Error {
  constructor(
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderrTail: string,
    /** True when it was killed because it did not stop within the grace period after a cancel. */
    readonly killedAfterCancel = false,
  ) {
    super(
      killedAfterCancel
        ? 'the trainer process did not stop in time after Stop and was killed'
        : `the trainer process ${signal ? `was killed (${signal})` : `exited with code ${exitCode}`} before finishing the task${stderrTail ? `: ${stderrTail.split('\n').filter(Boolean).pop()}` : ''}`,
    );
    this.name = 'TrainerCrashedError';
  }
}

/** Why the program could not start, naming the setting to fix. */
function startFailure(err: NodeJS.ErrnoException, nodePath: string | undefined, script: string): TrainerStartError {
  const program = nodePath || process.execPath;
  const why = err.code === 'ENOENT' ? 'does not exist' : err.code === 'EACCES' ? 'is not executable' : `cannot be run (${err.code ?? err.message})`;
  if (nodePath) return new TrainerStartError(`cannot start the trainer: denLab.nodePath is "${nodePath}", which ${why}. Set denLab.nodePath to a Node 20+ executable, or clear it to use the editor's own Node.`);
  return new TrainerStartError(`cannot start the trainer with ${program} ${script} (${err.code ?? err.message}); reinstall DEN Lab`);
}

export class TrainerProcess {
  private child: ChildProcess | null = null;
  private readonly events = new EventEmitter();
  private stderrTail = '';
  private cancelTimer: NodeJS.Timeout | null = null;
  private cancelledByKill = false;

  constructor(private readonly options: TrainerOptions) {}

  /** Engine events of the running job. */
  onEvent(listener: (event: DenEvent) => void): () => void {
    this.events.on('event', listener);
    return () => this.events.off('event', listener);
  }

  get running(): boolean {
    return this.child !== null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Forks a trainer for `job`; resolves when it is done (or cancelled), rejects if it fails, cannot start or dies. */
  start(job: TrainJob): Promise<TrainOutcome> {
    if (this.child) return Promise.reject(new Error('a training is already running'));
    const { script, nodePath, cwd, nodeModulesPath, log } = this.options;
    const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_RUN_AS_NODE: '1' }; // under desktop VS Code, execPath is Electron: make it plain Node
    if (nodeModulesPath) env.DEN_LAB_NODE_MODULES = nodeModulesPath;
    const child = fork(script, [], {
      execPath: nodePath || process.execPath,
      execArgv: [], // not the host's (--inspect under F5 would collide)
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    const nice = this.options.nice ?? TRAINER_NICE;
    if (child.pid !== undefined && nice !== 0) {
      try {
        // threads the trainer starts later (WASM's, libuv's) inherit it
        os.setPriority(child.pid, nice);
      } catch (err) {
        log('warn', `could not lower the trainer's priority: ${(err as Error).message}`);
      }
    }
    this.stderrTail = '';
    this.cancelledByKill = false;
    if (child.pid !== undefined) log('info', `trainer started (pid ${child.pid}, ${nodePath || process.execPath}${cwd ? `, in ${cwd}` : ''})`);
    // a log entry per line: a chunk can end in the middle of a line (or of a UTF-8 character)
    if (child.stdout) readline.createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (l) => l && log('info', `trainer: ${l}`));
    if (child.stderr) {
      readline.createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (l) => {
        this.stderrTail = (this.stderrTail + l + '\n').slice(-4000);
        if (l) log('error', `trainer: ${l}`);
      });
    }
    const send = (msg: HostToTrainer) => {
      if (child.connected) child.send(msg, (err) => err && log('warn', `could not send '${msg.type}' to the trainer: ${err.message}`));
    };

    return new Promise<TrainOutcome>((resolve, reject) => {
      let outcome: { ok: TrainOutcome } | { err: Error } | null = null;
      let settled = false;
      const readyTimer = setTimeout(() => {
        outcome ??= { err: new TrainerStartError(`the trainer (${nodePath || process.execPath}) did not start within ${Math.round((this.options.readyTimeoutMs ?? 60_000) / 1000)} s; is denLab.nodePath a Node 20+ executable?`) };
        child.kill('SIGKILL');
        settle(); // not Node: whatever it started may hold our pipes open for long
      }, this.options.readyTimeoutMs ?? 60_000);
      const settle = () => {
        if (settled) return;
        settled = true;
        clearTimeout(readyTimer);
        if (this.cancelTimer) clearTimeout(this.cancelTimer);
        this.cancelTimer = null;
        this.child = null;
        if (outcome && 'ok' in outcome) resolve(outcome.ok);
        else if (outcome) reject(outcome.err);
        else reject(new TrainerCrashedError(child.exitCode, child.signalCode, this.stderrTail, this.cancelledByKill));
      };
      child.on('message', (msg: unknown) => {
        const checked = checkTrainerToHost(msg);
        if (!checked.ok) {
          log('warn', `ignored a malformed message from the trainer: ${checked.problem}`);
          return;
        }
        const m = checked.value;
        switch (m.type) {
          case 'ready':
            clearTimeout(readyTimer);
            log('info', `trainer ready (Node ${m.node})`);
            send({ type: 'train', job });
            break;
          case 'event':
            this.events.emit('event', m.event);
            break;
          case 'done':
            outcome = { ok: { runDir: m.runDir, cancelled: m.cancelled, summary: m.summary } };
            send({ type: 'shutdown' });
            break;
          case 'failed':
            outcome = { err: new TrainingFailedError(m.name, m.message) };
            send({ type: 'shutdown' });
            break;
          case 'log':
            log(m.level, m.message);
            break;
        }
      });
      child.on('error', (err: NodeJS.ErrnoException) => {
        if (child.pid === undefined) {
          // spawn failed: 'exit' never comes (and 'close' may not either)
          outcome = { err: startFailure(err, nodePath, script) };
          log('error', outcome.err.message);
          settle();
        } else log('warn', `trainer process error: ${err.message}`);
      });
      // 'close' waits for the pipes, which a grandchild may hold: settle a little after 'exit' at the latest
      child.on('exit', () => setTimeout(settle, 2000).unref());
      child.on('close', (code, signal) => {
        if (child.pid !== undefined) log(code === 0 ? 'info' : 'warn', `trainer exited (${signal ?? `code ${code}`})`);
        settle();
      });
    });
  }

  /** Asks the job to stop at the next step; kills the process if it does not stop in time. */
  cancel(): void {
    const child = this.child;
    if (!child) return;
    if (child.connected) child.send({ type: 'cancel' } satisfies HostToTrainer, () => undefined);
    this.cancelTimer ??= setTimeout(() => {
      this.options.log('warn', `the trainer did not stop within ${(this.options.cancelGraceMs ?? 15000) / 1000} s; killing it`);
      this.cancelledByKill = true;
      child.kill('SIGKILL');
    }, this.options.cancelGraceMs ?? 15000);
  }

  /** Kills the process at once (the run stays at its last completed task). */
  kill(): void {
    this.child?.kill('SIGKILL');
  }

  dispose(): void {
    this.kill();
    this.events.removeAllListeners();
  }
}
