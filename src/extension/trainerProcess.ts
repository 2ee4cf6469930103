// The trainer child process, owned by one object with one lifetime: start a job, stream its
// events, cancel it, notice when it dies, kill it on dispose. No vscode import: it is tested with
// a real forked process in the unit tests.
import { ChildProcess, fork } from 'child_process';
import { EventEmitter } from 'events';
import { checkTrainerToHost } from '../protocolGuards';
import type { DenEvent, RunSummary, TrainJob, TrainerToHost } from '../protocol';

export interface TrainerOptions {
  /** The bundled trainer entry (dist/trainer.js). */
  script: string;
  /** Node executable to run it with; default: the editor's own (process.execPath). */
  nodePath?: string;
  /** Receives the trainer's log lines and stderr. */
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** How long a cancelled job may take to stop before the process is killed. */
  cancelGraceMs?: number;
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

/** The trainer process ended without finishing its job (crash, out of memory, killed). */
export class TrainerCrashedError extends Error {
  constructor(readonly exitCode: number | null, readonly signal: NodeJS.Signals | null, readonly stderrTail: string) {
    super(`the trainer process ${signal ? `was killed (${signal})` : `exited with code ${exitCode}`} before finishing the task${stderrTail ? `: ${stderrTail.split('\n').filter(Boolean).pop()}` : ''}`);
    this.name = 'TrainerCrashedError';
  }
}

export class TrainerProcess {
  private child: ChildProcess | null = null;
  private readonly events = new EventEmitter();
  private stderrTail = '';
  private cancelTimer: NodeJS.Timeout | null = null;

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

  /** Forks a trainer for `job`; resolves when it is done (or cancelled), rejects if it fails or dies. */
  start(job: TrainJob): Promise<TrainOutcome> {
    if (this.child) return Promise.reject(new Error('a training is already running'));
    const { script, nodePath, log } = this.options;
    const child = fork(script, [], {
      execPath: nodePath || process.execPath,
      // under desktop VS Code, execPath is Electron: make it behave as plain Node
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    this.stderrTail = '';
    log('info', `trainer started (pid ${child.pid}, ${nodePath || process.execPath})`);
    child.stdout?.on('data', (d: Buffer) => d.toString().split('\n').filter(Boolean).forEach((l) => log('info', `trainer: ${l}`)));
    child.stderr?.on('data', (d: Buffer) => {
      const text = d.toString();
      this.stderrTail = (this.stderrTail + text).slice(-4000);
      text.split('\n').filter(Boolean).forEach((l) => log('error', `trainer: ${l}`));
    });

    return new Promise<TrainOutcome>((resolve, reject) => {
      let outcome: { ok: TrainOutcome } | { err: Error } | null = null;
      child.on('message', (msg: unknown) => {
        const problem = checkTrainerToHost(msg);
        if (problem) {
          log('warn', `ignored a malformed message from the trainer: ${problem}`);
          return;
        }
        const m = msg as TrainerToHost;
        switch (m.type) {
          case 'ready':
            log('info', `trainer ready (Node ${m.node})`);
            child.send({ type: 'train', job });
            break;
          case 'event':
            this.events.emit('event', m.event);
            break;
          case 'done':
            outcome = { ok: { runDir: m.runDir, cancelled: m.cancelled, summary: m.summary } };
            child.send({ type: 'shutdown' });
            break;
          case 'failed':
            outcome = { err: new TrainingFailedError(m.name, m.message) };
            child.send({ type: 'shutdown' });
            break;
          case 'log':
            log(m.level, m.message);
            break;
        }
      });
      child.on('error', (err) => {
        outcome ??= { err };
      });
      child.on('exit', (code, signal) => {
        this.child = null;
        if (this.cancelTimer) clearTimeout(this.cancelTimer);
        this.cancelTimer = null;
        log(code === 0 ? 'info' : 'warn', `trainer exited (${signal ?? `code ${code}`})`);
        if (outcome && 'ok' in outcome) resolve(outcome.ok);
        else if (outcome) reject(outcome.err);
        else reject(new TrainerCrashedError(code, signal, this.stderrTail));
      });
    });
  }

  /** Asks the job to stop at the next step; kills the process if it does not stop in time. */
  cancel(): void {
    const child = this.child;
    if (!child) return;
    if (child.connected) child.send({ type: 'cancel' });
    this.cancelTimer ??= setTimeout(() => {
      this.options.log('warn', 'the trainer did not stop in time; killing it');
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
