// A sweep's points as the tasks of one Slurm job array. start() writes slurm/job.sh, whose array
// task i runs point i's den-lab command on a node, in the sweep folder, appending to the point's log
// as a local point does, and submits it with `sbatch --array=0-N%J`. Then it watches the queue:
// squeue for the tasks Slurm still holds (the controller forgets an ended job after MinJobAge,
// 300 s by default), sacct for those that have left it. The array runs on without this process:
// detach() lets go of it, and a later process rebuilds the executor from sweep.json's record
// (fromRecord) to follow or cancel it.
import { execFile, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFileAtomic } from '../atomicFile';
import type { SlurmExecutorRecord } from '../../common/protocol';
import { commandLine, DetachableExecutor, PointJob, PointUpdate } from './executor';
import { SweepError } from './grid';

export const SLURM_SCRIPT = 'slurm/job.sh';
export const DEFAULT_POLL_SECONDS = 10;
/** Consecutive failed looks at the queue (squeue unreachable) before following gives up. */
const MAX_FAILED_POLLS = 30;

export interface SlurmOptions {
  /** Array tasks at once (sbatch --array=…%jobs); default: every point. */
  jobs?: number;
  partition?: string;
  time?: string;
  /** sbatch --cpus-per-task (default 1: a point trains on one thread with WASM). */
  cpus?: number;
  /** Further sbatch options, one per element (e.g. "--account=abc", "--mem=4G"). */
  extra?: string[];
  /** Seconds between looks at the queue (default 10). */
  poll?: number;
  /** What the nodes run: Node.js and den-lab's dist/cli.js, at the same paths as here. */
  node: string;
  cli: string;
}

/**
 * Checks a time limit in one of sbatch's formats: minutes, minutes:seconds, hours:minutes:seconds,
 * days-hours, days-hours:minutes, days-hours:minutes:seconds (e.g. 30, 00:30:00, 1-00:00:00), or
 * UNLIMITED. Returns the problem in words, or null.
 */
export function slurmTimeProblem(text: string): string | null {
  const n = '\\d+';
  const forms = [`${n}`, `${n}:${n}`, `${n}:${n}:${n}`, `${n}-${n}`, `${n}-${n}:${n}`, `${n}-${n}:${n}:${n}`];
  if (/^(unlimited|infinite)$/i.test(text) || forms.some((f) => new RegExp(`^${f}$`).test(text))) return null;
  return `'${text}' is not a Slurm time limit: give minutes (30), hours:minutes:seconds (00:30:00) or days-hours:minutes:seconds (1-00:00:00)`;
}

/** Quotes for bash: the text as one word, nothing expanded. */
export const shellQuote = (s: string): string => (/^[\w./=,:%+@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** Splits `--slurm-extra` into sbatch options: at whitespace, except inside single or double quotes. */
export function splitOptions(text: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  for (const c of text) {
    if (quote) {
      if (c === quote) quote = null;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote) throw new SweepError(`--slurm-extra: a ${quote} is not closed in ${JSON.stringify(text)}`);
  if (word !== null) words.push(word);
  return words;
}

/** sbatch's options for the array, but --array: the job's name, folder, output files, requeue, limits, and the user's own. */
function sbatchOptions(dir: string, name: string, r: Pick<SlurmExecutorRecord, 'cpus' | 'partition' | 'time' | 'extra'>): string[] {
  return [
    `--job-name=den-lab-${name.replace(/[^\w.-]+/g, '-')}`,
    `--chdir=${dir}`,
    // The array tasks' own output (Slurm's messages, e.g. "CANCELLED DUE TO TIME LIMIT"); the point's goes to its log.
    `--output=${path.join(dir, 'slurm', '%A_%a.out')}`,
    '--open-mode=append',
    '--requeue',
    `--cpus-per-task=${r.cpus}`,
    ...(r.partition ? [`--partition=${r.partition}`] : []),
    ...(r.time ? [`--time=${r.time}`] : []),
    ...r.extra,
  ];
}

/** The job script: array task i trains point i (`tasks[i]`), the paths it runs checked on the node. */
export function jobScript(o: { dir: string; name: string; node: string; cli: string; tasks: PointJob[]; submit: string[] }): string {
  const cases = o.tasks.map((t, i) => `  ${i}) point=${shellQuote(t.id)}; run=${shellQuote(t.run)}; line=${shellQuote(commandLine(t.args))}; set -- ${t.args.map(shellQuote).join(' ')} ;;`);
  return `#!/bin/bash
# DEN Lab sweep ${JSON.stringify(o.name)}: task i of this Slurm job array trains point i below with the
# den-lab command a local sweep runs, in the sweep folder, appending its output to logs/<point>.log.
# Written by den-lab on ${os.hostname()} at ${new Date().toISOString()}; submitted with
#   ${o.submit.map(shellQuote).join(' ')}
# The nodes run the paths below, which must be there what they are on ${os.hostname()}: the sweep
# folder, Node.js and DEN Lab's dist/cli.js (and the experiment's data) must be on a file system
# that the nodes share.
set -u
sweep=${shellQuote(o.dir)}
node=${shellQuote(o.node)}
cli=${shellQuote(o.cli)}
here=$(hostname)
if ! cd "$sweep" 2>/dev/null; then
  echo "den-lab: the sweep folder $sweep is not on node $here: it must be on a file system that the nodes share" >&2
  exit 2
fi
case "\${SLURM_ARRAY_TASK_ID:-}" in
${cases.join('\n')}
  *) echo "den-lab: no point is task '\${SLURM_ARRAY_TASK_ID:-}' of this job array (0 to ${o.tasks.length - 1}); submit it with sbatch --array" >&2; exit 2 ;;
esac
exec >>"logs/$point.log" 2>&1
printf '\\n# %s in %s (Slurm job %s_%s on %s, restart %s)\\n$ %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$sweep" "\${SLURM_ARRAY_JOB_ID:-?}" "$SLURM_ARRAY_TASK_ID" "$here" "\${SLURM_RESTART_COUNT:-0}" "$line"
for need in "$node" "$cli"; do
  if [ ! -e "$need" ]; then
    echo "den-lab: $need is not on node $here: Node.js and DEN Lab's dist/cli.js must be on a file system that the nodes share, at the same paths"
    exit 2
  fi
done
# An earlier attempt of this task that was killed on another node (its node failed, or it outlived
# KillWait) left the run's lock there. Slurm runs one attempt of a task at a time, and the sweep
# submits no array while one of its arrays is in the queue, so that lock is stale: remove it.
if [ -f "$run/run.lock" ] && ! grep -q "\\"host\\":\\"$here\\"" "$run/run.lock"; then
  echo "# $run/run.lock of an earlier attempt on another node, removed: $(cat "$run/run.lock")"
  rm -f "$run/run.lock"
fi
# Slurm sends SIGTERM to every process of the job (scancel, time limit, preemption): train stops at
# its next step, keeping its completed tasks. A requeued task runs this script again, and
# train --into continues after the last completed task.
trap 'echo "# SIGTERM from Slurm"' TERM
"$node" "$cli" "$@" </dev/null &
train=$!
wait "$train"
status=$?
while kill -0 "$train" 2>/dev/null; do
  wait "$train"
  status=$?
done
echo "# exit $status"
exit "$status"
`;
}

/** An array task as Slurm reports it (squeue or sacct). */
export interface TaskState {
  state: string;
  exitCode: number | null;
  /** The signal that ended the job script, if one did. */
  signal: number | null;
  start: string | null;
  end: string | null;
  restarts: number;
  /** Why it waits (squeue only). */
  reason: string | null;
}

/** squeue --Format fields, '|'-separated; --noheader --array --states=all lists every task the controller still holds. */
export const SQUEUE_FORMAT = 'ArrayTaskID:|,State:|,exit_code:|,StartTime:|,EndTime:|,RestartCnt:|,Reason:|';
export const SACCT_FORMAT = 'JobID,State,ExitCode,Start,End';

/** Slurm's local time (2026-12-01T15:57:25) as ISO, or null for N/A, Unknown, None. */
function slurmTime(t: string | undefined): string | null {
  if (!t || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(t)) return null;
  return new Date(t).toISOString();
}

/** Parses squeue's lines (SQUEUE_FORMAT) into the tasks' states, by array task id. */
export function parseSqueue(text: string): Map<number, TaskState> {
  const tasks = new Map<number, TaskState>();
  for (const line of text.split('\n')) {
    const [task, state, status, start, end, restarts, reason] = line.split('|').map((f) => f.trim());
    if (!/^\d+$/.test(task ?? '') || !state) continue;
    const wait = Number(status);
    const ended = Number.isInteger(wait) && wait > 0;
    tasks.set(Number(task), {
      state,
      exitCode: ended ? wait >> 8 : Number.isInteger(wait) ? 0 : null,
      signal: ended && wait & 0x7f ? wait & 0x7f : null,
      start: slurmTime(start),
      end: slurmTime(end),
      restarts: Number(restarts) || 0,
      reason: reason && reason !== 'None' ? reason : null,
    });
  }
  return tasks;
}

/** Parses sacct's lines (--parsable2, SACCT_FORMAT) for the tasks of job array `jobId`. */
export function parseSacct(text: string, jobId: string): Map<number, TaskState> {
  const tasks = new Map<number, TaskState>();
  for (const line of text.split('\n')) {
    const [id, state, exit, start, end] = line.split('|');
    const m = new RegExp(`^${jobId}_(\\d+)$`).exec(id ?? '');
    if (!m || !state) continue;
    const [code, signal] = (exit ?? '').split(':').map(Number);
    tasks.set(Number(m[1]), {
      state: state.split(' ')[0], // "CANCELLED by 1000"
      exitCode: Number.isInteger(code) ? code : null,
      signal: signal || null,
      start: slurmTime(start),
      end: slurmTime(end),
      restarts: 0,
      reason: null,
    });
  }
  return tasks;
}

const RUNNING = new Set(['RUNNING', 'COMPLETING', 'CONFIGURING', 'SUSPENDED', 'STOPPED', 'SIGNALING', 'STAGE_OUT', 'RESIZING']);
const ENDED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'PREEMPTED', 'NODE_FAIL', 'BOOT_FAIL', 'DEADLINE', 'OUT_OF_MEMORY', 'SPECIAL_EXIT', 'REVOKED']);
/** Reasons a task waits that are its ordinary turn in the queue, not worth a line. */
const ORDINARY_WAIT = new Set(['Priority', 'Resources', 'JobArrayTaskLimit', 'BeginTime']);
const HINTS: Record<string, string> = {
  TIMEOUT: 'it reached its time limit; raise --slurm-time',
  OUT_OF_MEMORY: 'it ran out of memory; ask for more with --slurm-extra=--mem=…',
  PREEMPTED: 'a job of higher priority took its node',
  NODE_FAIL: 'its node failed',
  BOOT_FAIL: 'its node failed to boot',
  DEADLINE: 'its deadline passed',
};

const signalName = (n: number): string => Object.entries(os.constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;

/** Where a task is, for the sweep: queued, running or ended (and how), with a key that changes when it moves on. */
export interface TaskReport {
  key: string;
  where: 'queued' | 'running' | 'ended';
  /** What to tell the sweep (nothing for a task that waits its turn, or was cancelled before it started). */
  update: PointUpdate | null;
}

/**
 * How point `id`, array task `index` of job `jobId`, is, from its Slurm state (undefined: Slurm has no
 * record, `why`). `ran`: Slurm has opened the task's output file, which it does when the task starts.
 */
export function taskReport(id: string, jobId: string, index: number, s: TaskState | undefined, why: string, ran: boolean): TaskReport {
  const job = `${jobId}_${index}`;
  const now = new Date().toISOString();
  if (!s) {
    return { key: 'gone', where: 'ended', update: { id, state: 'ended', time: now, job, exitCode: null, signal: null, cancelled: false, message: `Slurm job ${job} left the queue, and Slurm has no record of how it ended (${why})` } };
  }
  if (RUNNING.has(s.state)) return { key: `running ${s.restarts}`, where: 'running', update: { id, state: 'running', time: s.start ?? now, pid: null, job } };
  if (!ENDED.has(s.state)) {
    // Pending, requeued or held: worth a line when it ran before (requeued) or waits for an unusual reason.
    const requeued = s.restarts > 0;
    const unusual = s.reason !== null && !ORDINARY_WAIT.has(s.reason);
    const message = `${requeued ? `requeued by Slurm (restart ${s.restarts}), ` : ''}waiting in the queue${s.reason ? ` (${s.reason})` : ''}`;
    return { key: `queued ${s.restarts} ${unusual ? s.reason : ''}`, where: 'queued', update: requeued || unusual ? { id, state: 'queued', time: now, message } : null };
  }
  const key = `ended ${s.restarts}`;
  if (s.state === 'CANCELLED' && !ran) return { key, where: 'ended', update: null }; // never ran: the point stays pending
  const time = s.end ?? now;
  if (s.state === 'COMPLETED') return { key, where: 'ended', update: { id, state: 'ended', time, job, exitCode: s.exitCode ?? 0, signal: null, cancelled: false } };
  const cancelled = s.state === 'CANCELLED';
  const how = s.state === 'FAILED' ? (s.signal ? signalName(s.signal) : `exit ${s.exitCode}`) : null;
  // A task that never ran but failed could not start its script: most likely the node does not see the sweep folder.
  const hint = HINTS[s.state] ?? (ran || cancelled ? null : `Slurm wrote no slurm/${job}.out: does the node see the sweep folder (a shared file system)?`);
  const message = `Slurm job ${job} ${s.state}${how ? ` (${how})` : ''}${hint ? `: ${hint}` : ''}`;
  return {
    key,
    where: 'ended',
    update: { id, state: 'ended', time, job, exitCode: s.state === 'FAILED' ? s.exitCode : null, signal: s.state === 'FAILED' ? (s.signal ? signalName(s.signal) : null) : s.state, cancelled, message },
  };
}

interface Output {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a Slurm command; rejects with a SweepError when it is not installed. */
function slurm(command: string, args: string[]): Promise<Output> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8', timeout: 60000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') return reject(notInstalled(command));
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

const notInstalled = (command: string) => new SweepError(`--executor slurm: ${command} is not on the PATH; run the sweep on a Slurm login node (or put Slurm's commands on the PATH)`);
const lastLine = (text: string) => text.trim().split('\n').pop() ?? '';
const oneLine = (text: string) => text.trim().split('\n').join('; ');

export class SlurmExecutor implements DetachableExecutor {
  readonly kind = 'slurm';
  private rec: SlurmExecutorRecord;
  private dir = '';
  /** The points, index = array task id. */
  private tasks: PointJob[] = [];
  private onUpdate: (u: PointUpdate) => void = () => {};
  private readonly reported = new Map<number, string>();
  private readonly ended = new Set<number>();
  private noAccounting: string | null = null;
  private failedPolls = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private resolveFinished!: () => void;
  private rejectFinished!: (err: Error) => void;
  private readonly done = new Promise<void>((resolve, reject) => {
    this.resolveFinished = resolve;
    this.rejectFinished = reject;
  });

  constructor(private readonly options: SlurmOptions) {
    this.rec = {
      kind: 'slurm',
      jobs: options.jobs ?? 1, // set by start(): without a limit, every point
      jobId: null,
      tasks: [],
      submitted: null,
      script: SLURM_SCRIPT,
      node: options.node,
      cli: options.cli,
      partition: options.partition ?? null,
      time: options.time ?? null,
      cpus: options.cpus ?? 1,
      extra: options.extra ?? [],
      poll: options.poll ?? DEFAULT_POLL_SECONDS,
    };
  }

  /** The executor of a sweep.json record, to follow or cancel its job array. */
  static fromRecord(record: SlurmExecutorRecord): SlurmExecutor {
    const executor = new SlurmExecutor({ node: record.node, cli: record.cli });
    executor.rec = { ...record };
    return executor;
  }

  get jobs(): number {
    return this.rec.jobs;
  }

  record(): SlurmExecutorRecord {
    return { ...this.rec };
  }

  start(points: PointJob[], onUpdate: (u: PointUpdate) => void): void {
    this.onUpdate = onUpdate;
    this.tasks = points;
    if (!points.length) return this.finish();
    this.dir = points[0].cwd;
    const jobs = Math.min(this.options.jobs ?? points.length, points.length);
    const script = path.join(this.dir, SLURM_SCRIPT);
    const submit = ['sbatch', '--parsable', `--array=0-${points.length - 1}${jobs < points.length ? `%${jobs}` : ''}`, ...sbatchOptions(this.dir, path.basename(this.dir), this.rec), script];
    writeFileAtomic(script, jobScript({ dir: this.dir, name: path.basename(this.dir), node: this.rec.node, cli: this.rec.cli, tasks: points, submit }));
    const r = spawnSync(submit[0], submit.slice(1), { cwd: this.dir, encoding: 'utf8', timeout: 120000 });
    if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw notInstalled('sbatch');
    if (r.error) throw new SweepError(`sbatch: ${r.error.message}`);
    const jobId = r.stdout.trim().split(';')[0];
    if (r.status !== 0 || !/^\d+$/.test(jobId)) throw new SweepError(`sbatch refused the job array: ${oneLine(r.stderr) || oneLine(r.stdout)} (its script: ${script})`);
    Object.assign(this.rec, { jobs, jobId, tasks: points.map((p) => p.id), submitted: new Date().toISOString() });
    this.schedule(0);
  }

  async follow(points: PointJob[], onUpdate: (u: PointUpdate) => void): Promise<string[]> {
    this.onUpdate = onUpdate;
    const byId = new Map(points.map((p) => [p.id, p]));
    this.tasks = this.rec.tasks.map((id) => {
      const point = byId.get(id);
      if (!point) throw new SweepError(`sweep.json: Slurm job ${this.rec.jobId} runs a point '${id}' that the sweep does not have`);
      return point;
    });
    if (this.rec.jobId === null || !this.tasks.length) {
      this.finish();
      return [];
    }
    this.dir = this.tasks[0].cwd;
    const active = await this.poll();
    if (!this.stopped) this.schedule(this.rec.poll * 1000);
    return active;
  }

  finished(): Promise<void> {
    return this.done;
  }

  cancel(force = false): void {
    if (this.rec.jobId !== null && !this.stopped) {
      // Slurm sends SIGTERM to the running tasks (each stops at its next step) and drops the waiting ones.
      slurm('scancel', [this.rec.jobId]).then(
        (r) => r.code === 0 || /already completing or completed|Invalid job id/i.test(r.stderr) || this.fail(new SweepError(`scancel ${this.rec.jobId} failed: ${lastLine(r.stderr)}`)),
        (err: Error) => this.fail(err),
      );
    }
    if (force || this.rec.jobId === null) this.finish();
  }

  detach(): void {
    this.finish();
  }

  private finish(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.resolveFinished();
  }

  private fail(err: Error): void {
    this.finish();
    this.rejectFinished(err);
  }

  /** The next look at the queue; a few failed looks in a row (the controller restarting) are waited out. */
  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.poll().then(
        () => {
          this.failedPolls = 0;
          if (!this.stopped) this.schedule(this.rec.poll * 1000);
        },
        (err: Error) => {
          if (this.stopped) return;
          if (++this.failedPolls < MAX_FAILED_POLLS) return this.schedule(this.rec.poll * 1000);
          this.fail(new SweepError(`${err.message} (${this.failedPolls} times in a row); Slurm job ${this.rec.jobId} may still run: see den-lab sweep --status ${this.dir}`));
        },
      );
    }, ms);
  }

  /** Looks at the queue once, reports what moved on; returns the ids still queued or running. */
  private async poll(): Promise<string[]> {
    const jobId = this.rec.jobId!;
    const states = await this.query(jobId);
    const active: string[] = [];
    for (let i = 0; i < this.tasks.length && !this.stopped; i++) {
      if (this.ended.has(i)) continue;
      const ran = fs.existsSync(path.join(this.dir, 'slurm', `${jobId}_${i}.out`));
      const report = taskReport(this.tasks[i].id, jobId, i, states.get(i), this.noAccounting ?? 'not in sacct', ran);
      if (report.where === 'ended') this.ended.add(i);
      else active.push(this.tasks[i].id);
      if (this.reported.get(i) === report.key) continue;
      this.reported.set(i, report.key);
      if (report.update) this.onUpdate(report.update);
    }
    if (this.ended.size === this.tasks.length) this.finish();
    return active;
  }

  /** The array's tasks: squeue for those the controller holds, sacct for those that have left it. */
  private async query(jobId: string): Promise<Map<number, TaskState>> {
    const q = await slurm('squeue', ['--noheader', '--array', '--states=all', `--jobs=${jobId}`, `--Format=${SQUEUE_FORMAT}`]);
    // Once the controller has forgotten the whole job, squeue calls its id invalid.
    if (q.code !== 0 && !/Invalid job id/i.test(q.stderr)) throw new SweepError(`squeue failed: ${lastLine(q.stderr) || `status ${q.code}`}`);
    const states = q.code === 0 ? parseSqueue(q.stdout) : new Map<number, TaskState>();
    const missing = this.tasks.some((_, i) => !this.ended.has(i) && !states.has(i));
    if (missing && this.noAccounting === null) {
      const a = await slurm('sacct', ['--noheader', '--parsable2', '--allocations', `--jobs=${jobId}`, `--format=${SACCT_FORMAT}`]);
      if (a.code !== 0) this.noAccounting = `sacct: ${lastLine(a.stderr) || lastLine(a.stdout) || `status ${a.code}`}`;
      else for (const [i, s] of parseSacct(a.stdout, jobId)) if (!states.has(i)) states.set(i, s);
    }
    return states;
  }
}
