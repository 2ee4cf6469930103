// "DEN Lab: Sweep Thresholds…" and "DEN Lab: Open Sweep". The first asks where the points start, which
// fields and which values (a multi-step quick pick; the values are checked by the engine's grid
// parser as they are typed) and, when `sbatch` is on the PATH, where to run; then it runs
// `den-lab sweep … --json` (sweepProcess.ts) under a cancellable progress notification and shows
// the points in the dashboard's Sweep tab as they end.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Experiment, loadExperiment } from '../engine/experiment';
import type { GridAxis } from '../engine/sweep/grid';
import type { SweepEvent } from '../common/protocol';
import { requireTrust, saveIfDirty } from './commands';
import type { Dashboard } from './dashboard/dashboardPanel';
import { chooseExperimentFile } from './experimentEditor';
import { completedTasks, runLabel, runsOfExperiment, totalTasks, type RunEntry } from '../common/runIndex';
import { sweepLabel, sweepStatusText } from '../common/sweepIndex';
import { applySweepEvent, initialProgress, parseFieldValues, progressText, suggestValues, sweepCancelArgs, sweepCliArgs, sweepFieldChoices, type SweepLaunch } from '../common/sweepSetup';
import { cpusProblem, extraProblem, parseSinfoPartitions, partitionProblem, rememberedChoices, SINFO_ARGS, timeProblem, type Partitions, type SlurmChoices } from '../common/slurmSetup';
import { SweepProcess, type SweepOutcome } from '../common/sweepProcess';
import { executeCommand, runOfTarget, type DenLabCommands, type SweepCommandId } from './commandMap';
import type { RunsNode } from './runsTree';
import type { WorkspaceRuns } from './workspaceRuns';

/** The sweep a command was given: a sweep row of the Runs tree. */
const sweepDirOf = (target: RunsNode | undefined) => (target?.kind === 'sweep' ? target.sweep.dir : undefined);

/** Whether a program is on the PATH (no shell). */
function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, program)));
}

/** Where the points start, from the command's argument (a run or task row of the Runs tree, as the tree and the CodeLens pass it) or asked. */
async function chooseStart(runs: WorkspaceRuns, file: string, exp: Experiment, given: { run?: RunEntry; task?: number }): Promise<Pick<SweepLaunch, 'from' | 'tasks'> | undefined> {
  // task 1 has no checkpoint before it: its points train it from scratch
  if (given.run && given.task !== undefined) return given.task >= 2 ? { from: { runDir: given.run.dir, task: given.task } } : { tasks: 1 };
  const run = given.run ?? runsOfExperiment(runs.topLevel, file)[0];
  const items: (vscode.QuickPickItem & { start: Pick<SweepLaunch, 'from' | 'tasks'> })[] = [];
  if (run) {
    const last = Math.min(completedTasks(run) + 1, totalTasks(run));
    for (let t = last; t >= 2; t--) {
      const label = t <= completedTasks(run) ? `Retrain task ${t}` : `Train task ${t}`;
      items.push({ label, description: `from ${runLabel(run)} after task ${t - 1}`, start: { from: { runDir: run.dir, task: t } } });
    }
  }
  const count = run ? totalTasks(run) : 0;
  items.push({ label: 'From scratch: task 1', description: 'every point trains the first task', start: { tasks: 1 } });
  items.push({ label: 'From scratch: every task', description: count ? `${count} tasks per point` : `${exp.name}'s whole stream per point`, start: {} });
  const pick = await vscode.window.showQuickPick(items, { title: 'DEN Lab: Sweep (1/3) — where do the points start?', ignoreFocusOut: true });
  return pick?.start;
}

async function chooseAxes(exp: Experiment): Promise<GridAxis[] | undefined> {
  const choices = sweepFieldChoices(exp);
  const picked = await vscode.window.showQuickPick(
    choices.map((c) => ({ label: c.field, description: `${c.title} · now ${JSON.stringify(c.current)}`, detail: `allowed: ${c.range}`, picked: c.picked, field: c.field })),
    { title: 'DEN Lab: Sweep (2/3) — which fields? (every combination of their values is a point)', canPickMany: true, ignoreFocusOut: true },
  );
  if (!picked?.length) return undefined;
  const axes: GridAxis[] = [];
  for (const [i, p] of picked.entries()) {
    const c = choices.find((x) => x.field === p.field)!;
    const text = await vscode.window.showInputBox({
      title: `DEN Lab: Sweep (3/3) — values of ${c.field} (${i + 1} of ${picked.length})`,
      prompt: `${c.title}: values separated by commas, allowed ${c.range}${c.field === 'den.gamma' ? '; a per-layer list in brackets, e.g. [0.001,0.01]' : ''}. Now ${JSON.stringify(c.current)}.`,
      value: suggestValues(c.field, c.current),
      ignoreFocusOut: true,
      validateInput: (v) => {
        const r = parseFieldValues(exp, c.field, v);
        return 'error' in r ? r.error : null;
      },
    });
    if (text === undefined) return undefined;
    const r = parseFieldValues(exp, c.field, text);
    if ('error' in r) return undefined;
    axes.push(r.axis);
  }
  return axes;
}

/** The partitions `sinfo` lists on this host, or null when it cannot say (not installed, no controller). */
function listPartitions(): Promise<Partitions | null> {
  return new Promise((resolve) => {
    execFile('sinfo', SINFO_ARGS, { encoding: 'utf8', timeout: 10000 }, (err, stdout) => resolve(err ? null : parseSinfoPartitions(stdout)));
  });
}

const SLURM_STATE = 'denLab.sweep.slurm';

/** The Slurm steps: partition, time limit, CPUs per point, further sbatch options; each answer checked as typed, the last ones remembered per workspace. */
async function chooseSlurm(state: vscode.Memento): Promise<SlurmChoices | undefined> {
  const known = await listPartitions();
  const last = rememberedChoices(state.get(SLURM_STATE));
  const steps: { key: keyof SlurmChoices; title: string; prompt: string; value: string; check: (v: string) => string | null }[] = [
    {
      key: 'partition',
      title: 'partition',
      prompt: `The partition the points run in${known?.names.length ? ` (sinfo lists ${known.names.join(', ')})` : ''}; empty: the cluster's default${known?.default ? ` (${known.default})` : ''}.`,
      value: last.partition || known?.default || '',
      check: (v) => partitionProblem(v, known),
    },
    { key: 'time', title: 'time limit', prompt: "Each point's time limit, e.g. 00:30:00 or 1-00:00:00; empty: the partition's default.", value: last.time, check: timeProblem },
    { key: 'cpus', title: 'CPUs per point', prompt: 'CPUs for each point (sbatch --cpus-per-task); a point trains on one thread with WASM.', value: last.cpus, check: cpusProblem },
    { key: 'extra', title: 'further sbatch options', prompt: 'Further sbatch options, e.g. --account=abc --mem=4G; empty: none.', value: last.extra, check: extraProblem },
  ];
  const chosen = { ...last };
  for (const [i, step] of steps.entries()) {
    const text = await vscode.window.showInputBox({ title: `DEN Lab: Sweep on Slurm (${i + 1}/${steps.length}) — ${step.title}`, prompt: step.prompt, value: step.value, ignoreFocusOut: true, validateInput: step.check });
    if (text === undefined || step.check(text) !== null) return undefined;
    chosen[step.key] = text.trim();
  }
  await state.update(SLURM_STATE, chosen);
  return chosen;
}

export class SweepService implements vscode.Disposable {
  private process: SweepProcess | undefined;
  private state: vscode.Memento | undefined;
  /** The folder of the sweep this window runs, once its CLI has said. */
  private sweepDir: string | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runs: WorkspaceRuns,
    private readonly dashboard: Dashboard,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get running(): boolean {
    return this.process !== undefined;
  }

  start(ctx: vscode.ExtensionContext): void {
    this.state = ctx.workspaceState;
    ctx.subscriptions.push(this);
  }

  /** The sweep commands' handlers (registered with the others in extension.ts). */
  commands(): Pick<DenLabCommands, SweepCommandId> {
    return {
      'denLab.sweepThresholds': (target) => this.sweepCommand(target),
      'denLab.cancelSweep': (target) => this.cancelSweep(target),
      'denLab.openSweep': async (target) => {
        await this.runs.ready();
        const dir = sweepDirOf(target) ?? this.runs.sweeps[0]?.dir;
        if (!dir) {
          void vscode.window.showInformationMessage('DEN Lab: no sweep in this workspace yet; run DEN Lab: Sweep Thresholds….');
          return;
        }
        await this.dashboard.openSweep(dir);
      },
    };
  }

  /** The command: asks, then runs. Resolves with the sweep's outcome (undefined when the user stopped asking). */
  async sweepCommand(target?: RunsNode | vscode.Uri): Promise<SweepOutcome | undefined> {
    if (!requireTrust()) return undefined;
    if (this.process) {
      void vscode.window.showWarningMessage('DEN Lab: a sweep is running already; cancel it from its notification first.');
      return undefined;
    }
    await this.runs.ready();
    const run = runOfTarget(target);
    const task = target instanceof vscode.Uri || target?.kind !== 'task' ? undefined : target.task.index;
    let file = run?.summary?.experimentFile;
    if (!file) file = (await chooseExperimentFile(this.runs, target instanceof vscode.Uri ? target : undefined))?.fsPath;
    if (!file) return undefined;
    await saveIfDirty(file);
    let exp: Experiment;
    try {
      exp = loadExperiment(file).experiment;
    } catch (err) {
      void vscode.window.showErrorMessage(`DEN Lab: ${(err as Error).message}`);
      return undefined;
    }
    const start = await chooseStart(this.runs, file, exp, { run, task });
    if (!start) return undefined;
    const axes = await chooseAxes(exp);
    if (!axes) return undefined;
    let executor: SweepLaunch['executor'] = 'local';
    if (onPath('sbatch')) {
      const where = await vscode.window.showQuickPick(
        [
          { label: 'This machine', description: 'each point in a process of its own, as many at once as there are cores', executor: 'local' as const },
          { label: 'Slurm', description: 'one job array, a task per point (the nodes must share this folder)', executor: 'slurm' as const },
        ],
        { title: 'DEN Lab: Sweep — run on', ignoreFocusOut: true },
      );
      if (!where) return undefined;
      executor = where.executor;
    }
    const slurm = executor === 'slurm' ? await chooseSlurm(this.state!) : undefined;
    if (executor === 'slurm' && !slurm) return undefined;
    return this.run({ experimentFile: file, axes, ...start, executor, slurm });
  }

  /** A `den-lab sweep …` child process run in `cwd`. */
  private sweepProcess(cwd: string): SweepProcess {
    const config = vscode.workspace.getConfiguration('denLab');
    return new SweepProcess({
      cli: vscode.Uri.joinPath(this.extensionUri, 'dist', 'trainer.js').fsPath, // the CLI when given arguments (src/trainer/entry.ts)
      nodePath: config.get<string>('nodePath') || undefined,
      nodeModulesPath: config.get<string>('nodeModulesPath') || undefined,
      cwd,
      log: (level, message) => this.log[level](message),
    });
  }

  /**
   * "DEN Lab: Cancel Sweep": `den-lab sweep --cancel <folder>` for the sweep given (a Runs tree node), else
   * the one this window runs, else the workspace's running sweep (asked when there are several). The
   * CLI stops the points wherever they run (a Slurm array with scancel, detached or not; local points
   * through the process that runs them, e.g. this window's sweep, which then ends cancelled).
   */
  async cancelSweep(target?: RunsNode): Promise<SweepOutcome | undefined> {
    if (!requireTrust()) return undefined; // it starts den-lab with the workspace's denLab.nodePath
    await this.runs.ready();
    let dir = sweepDirOf(target) ?? this.sweepDir;
    if (!dir) {
      const running = this.runs.sweeps.filter((e) => e.sweep?.state === 'running');
      const pick =
        running.length > 1
          ? await vscode.window.showQuickPick(running.map((e) => ({ label: sweepLabel(e), description: sweepStatusText(e.sweep!), dir: e.dir })), { title: 'DEN Lab: Cancel Sweep — which sweep?' })
          : running[0];
      if (!running.length) void vscode.window.showInformationMessage('DEN Lab: no sweep is running in this workspace.');
      dir = pick?.dir;
    }
    if (!dir) return undefined;
    const proc = this.sweepProcess(dir);
    const name = path.basename(dir);
    try {
      const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `DEN Lab: cancelling the sweep ${name}…` }, () => proc.run(sweepCancelArgs(dir), () => {}));
      if (outcome.code === 0 && outcome.sweep) void vscode.window.showInformationMessage(`DEN Lab: sweep ${name}: ${sweepStatusText(outcome.sweep)}.`);
      else void vscode.window.showErrorMessage(`DEN Lab: could not cancel the sweep ${name}: ${outcome.error ?? `den-lab exited with ${outcome.code ?? outcome.signal}`}`);
      return outcome;
    } catch (err) {
      void vscode.window.showErrorMessage(`DEN Lab: ${(err as Error).message}`);
      return undefined;
    } finally {
      this.dashboard.sweepChanged(dir);
      await this.runs.refresh();
    }
  }

  /** Runs a sweep under a cancellable progress notification; the dashboard's Sweep tab follows it. */
  async run(launch: SweepLaunch): Promise<SweepOutcome | undefined> {
    const proc = this.sweepProcess(path.dirname(launch.experimentFile));
    this.process = proc;
    await executeCommand('setContext', 'denLab.sweeping', true);
    const points = launch.axes.reduce((n, a) => n * a.values.length, 1);
    const name = path.basename(launch.experimentFile);
    try {
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `DEN Lab: sweep of ${name} (${points} points)`, cancellable: true },
        (progress, token) => {
          token.onCancellationRequested(() => proc.cancel());
          let state = initialProgress();
          let reported = 0;
          return proc.run(sweepCliArgs(launch), (e: SweepEvent) => {
            state = applySweepEvent(state, e);
            const done = state.total ? (100 * state.ended) / state.total : 0;
            progress.report({ message: progressText(state), increment: done - reported });
            reported = done;
            if (e.type === 'sweep-start') {
              this.sweepDir = e.dir;
              this.runs.refreshSoon(0);
              void this.dashboard.openSweep(e.dir);
            } else if (state.dir) this.dashboard.sweepChanged(state.dir);
            if (e.type === 'point-end') this.runs.refreshSoon();
          });
        },
      );
      this.report(outcome);
      return outcome;
    } catch (err) {
      void vscode.window.showErrorMessage(`DEN Lab: ${(err as Error).message}`);
      return undefined;
    } finally {
      this.process = undefined;
      this.sweepDir = undefined;
      await executeCommand('setContext', 'denLab.sweeping', false);
      await this.runs.refresh();
    }
  }

  private report(o: SweepOutcome): void {
    const logs = 'Show Logs';
    const show = 'Show Sweep';
    const then = (choice: string | undefined) => {
      if (choice === logs) this.log.show(true);
      if (choice === show && o.dir) void this.dashboard.openSweep(o.dir);
    };
    const points = o.sweep?.points ?? [];
    const count = (s: string) => points.filter((p) => p.status === s).length;
    if (o.code === 2 || (!o.sweep && !o.cancelled)) {
      void vscode.window.showErrorMessage(`DEN Lab: the sweep did not start: ${o.error ?? `den-lab exited with ${o.code ?? o.signal}`}`, logs).then(then);
    } else if (o.cancelled) {
      void vscode.window.showInformationMessage(`DEN Lab: sweep cancelled; ${count('done')} of ${points.length} points done (a re-run resumes it).`, show).then(then);
    } else if (count('failed')) {
      void vscode.window.showWarningMessage(`DEN Lab: sweep finished; ${count('failed')} of ${points.length} points failed: ${points.find((p) => p.status === 'failed')?.message ?? ''}`, show, logs).then(then);
    } else {
      void vscode.window.showInformationMessage(`DEN Lab: sweep finished: ${points.length} points; on the Pareto front: ${o.sweep?.front.join(', ') || '—'}.`, show).then(then);
    }
  }

  dispose(): void {
    this.process?.dispose();
  }
}
