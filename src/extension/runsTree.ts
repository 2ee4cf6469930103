// The "Runs" tree: run → task → hidden layer → details, plus the task being trained right now, and a
// "Sweeps" group: sweep → its points (their runs are shown there, not among the runs).
// Built from the run folders (WorkspaceRuns) and, while a task trains, from the live events.
import * as path from 'path';
import * as vscode from 'vscode';
import { describeHolder } from '../engine/run/runLock';
import { SWEEP_QUALITY_LABELS, type SweepPoint, type TaskSummary } from '../common/protocol';
import { f4, layerChange, STAGE_LABELS } from '../common/vocabulary';
import type { LiveStatus } from '../common/liveStatus';
import { statusText } from '../common/liveStatus';
import { completedTasks, findRun, RunEntry, runLabel, totalTasks } from '../common/runIndex';
import { pointRunDir, SweepEntry, sweepLabel, sweepOf, sweepStatusText } from '../common/sweepIndex';
import type { TrainingService } from './training';
import type { WorkspaceRuns } from './workspaceRuns';

export type RunsNode =
  | { kind: 'run'; run: RunEntry }
  | { kind: 'branches'; run: RunEntry }
  | { kind: 'task'; run: RunEntry; task: TaskSummary }
  | { kind: 'live'; run: RunEntry; status: LiveStatus }
  | { kind: 'layer'; run: RunEntry; task: TaskSummary; layer: number }
  | { kind: 'detail'; label: string; description?: string; tooltip?: string; icon?: string }
  | { kind: 'sweeps' }
  | { kind: 'sweep'; sweep: SweepEntry }
  | { kind: 'point'; sweep: SweepEntry; point: SweepPoint; run: RunEntry | undefined };

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private lastLiveRefresh = 0;

  constructor(private readonly runs: WorkspaceRuns, private readonly training: TrainingService) {
    this.disposables.push(
      runs.onDidChange(() => this.changed.fire(undefined)),
      training.onDidChangeState(() => this.changed.fire(undefined)),
      // structural events immediately, loss updates at most every 500 ms
      training.onEvent((e) => {
        const now = Date.now();
        if (e.type !== 'loss' || now - this.lastLiveRefresh > 500) {
          this.lastLiveRefresh = now;
          this.changed.fire(undefined);
        }
      }),
    );
  }

  private liveRunDir(): string | null {
    return this.training.running ? this.training.status.runDir : null;
  }

  getChildren(node?: RunsNode): RunsNode[] {
    if (!node) {
      const sweeps = this.runs.sweeps;
      const roots: RunsNode[] = this.runs.topLevel.filter((run) => !sweepOf(sweeps, run.dir)).map((run) => ({ kind: 'run', run }));
      if (sweeps.length) roots.push({ kind: 'sweeps' });
      return roots;
    }
    switch (node.kind) {
      case 'sweeps':
        return this.runs.sweeps.map((sweep) => ({ kind: 'sweep', sweep }));
      case 'sweep':
        if (!node.sweep.sweep) return [{ kind: 'detail', label: 'problem', description: node.sweep.problem ?? 'no sweep.json', icon: 'warning' }];
        return node.sweep.sweep.points.map((point) => ({ kind: 'point', sweep: node.sweep, point, run: findRun(this.runs.topLevel, pointRunDir(node.sweep, point.run)) }));
      case 'run': {
        const children: RunsNode[] = (node.run.summary?.tasks ?? []).map((task) => ({ kind: 'task', run: node.run, task }));
        if (this.liveRunDir() === node.run.dir) children.push({ kind: 'live', run: node.run, status: this.training.status });
        if (node.run.problem) children.push({ kind: 'detail', label: 'problem', description: node.run.problem, icon: 'warning' });
        if (node.run.branches.length) children.push({ kind: 'branches', run: node.run });
        return children;
      }
      case 'branches':
        return node.run.branches.map((run) => ({ kind: 'run', run }));
      case 'task':
        return [
          ...node.task.units.map((_, layer): RunsNode => ({ kind: 'layer', run: node.run, task: node.task, layer })),
          ...taskDetails(node.task),
        ];
      case 'layer':
        return layerDetails(node.run, node.task, node.layer);
      default:
        return [];
    }
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'run':
        return this.runItem(node.run);
      case 'branches': {
        const item = new vscode.TreeItem('Branches', vscode.TreeItemCollapsibleState.Collapsed);
        item.description = `${node.run.branches.length} retrained`;
        item.iconPath = new vscode.ThemeIcon('git-branch');
        item.tooltip = 'Runs that retrained a task of this run with other hyperparameters (DEN Lab: Retrain Task…)';
        item.contextValue = 'branches';
        return item;
      }
      case 'task':
        return taskItem(node.run, node.task);
      case 'live': {
        const s = node.status;
        const item = new vscode.TreeItem(s.task ? `${s.task} · ${s.taskNames[s.task - 1] ?? ''}` : startingText(s), vscode.TreeItemCollapsibleState.None);
        item.description = `training: ${statusText(s)}${s.lastChange ? ` · ${s.lastChange}` : ''}`;
        item.iconPath = new vscode.ThemeIcon('sync~spin');
        item.tooltip = `Units per layer now: ${s.units.join(', ')}`;
        item.contextValue = 'live';
        item.command = { command: 'denLab.openDashboard', title: 'Open Dashboard', arguments: [node] };
        return item;
      }
      case 'layer':
        return layerItem(node.task, node.layer);
      case 'sweeps': {
        const item = new vscode.TreeItem('Sweeps', vscode.TreeItemCollapsibleState.Expanded);
        item.id = 'sweeps';
        item.description = `${this.runs.sweeps.length}`;
        item.iconPath = new vscode.ThemeIcon('graph-scatter');
        item.tooltip = 'Threshold sweeps (DEN Lab: Sweep Thresholds…, or den-lab sweep): a run per grid point';
        item.contextValue = 'sweeps';
        return item;
      }
      case 'sweep':
        return sweepItem(node.sweep);
      case 'point':
        return pointItem(node.sweep, node.point, node.run);
      case 'detail': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.description = node.description;
        item.tooltip = node.tooltip ?? (node.description ? `${node.label}: ${node.description}` : node.label);
        if (node.icon) item.iconPath = new vscode.ThemeIcon(node.icon);
        item.contextValue = 'detail';
        return item;
      }
    }
  }

  getParent(): undefined {
    return undefined;
  }

  private runItem(run: RunEntry): vscode.TreeItem {
    const s = run.summary;
    const done = completedTasks(run);
    const total = totalTasks(run);
    const live = this.liveRunDir() === run.dir;
    const item = new vscode.TreeItem(runLabel(run), vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `run:${run.dir}`;
    // a run that has not finished its first task has no summary yet: say what is happening instead
    const parts = s ? [s.method, s.backend.name, ...(done ? [`ACC ${f4(s.acc)}`] : []), `${done}/${total} tasks`] : [];
    if (live && !s) parts.push(startingText(this.training.status));
    else if (live) parts.push('training…');
    else if (run.lock) parts.push(`training in process ${run.lock.pid}`);
    else if (s && done === 0 && total > 0) parts.push('stopped before task 1');
    item.description = parts.join(' · ');
    item.iconPath = new vscode.ThemeIcon(live ? 'sync~spin' : run.branchOf ? 'git-branch' : 'beaker');
    const tip = new vscode.MarkdownString();
    tip.appendMarkdown(`**${run.name}** — ${s?.method ?? 'unknown method'}\n\n`);
    if (s) {
      tip.appendMarkdown(`Backend: ${s.backend.name} ${s.backend.version} (${s.backend.detail})\n\n`);
      tip.appendMarkdown(`Tasks: ${done} of ${total} · units [${s.units.join(', ')}] · ${s.params.total.toLocaleString('en-US')} parameters\n\n`);
      tip.appendMarkdown(`ACC ${f4(s.acc)} · BWT ${f4(s.bwt)} · FWT ${f4(s.fwt)} · forgetting ${f4(s.forgetting)} · mean AUROC ${f4(s.aurocMetrics.acc)}\n\n`);
      tip.appendMarkdown(`Experiment: \`${s.experimentFile}\`\n\n`);
    }
    if (run.branchOf) tip.appendMarkdown(`Branch: retrained task ${run.branchOf.task} of \`${path.basename(run.branchOf.parent)}\`\n\n`);
    if (run.lock && !live) tip.appendMarkdown(`Being trained by ${describeHolder(run.lock)}\n\n`);
    tip.appendMarkdown(`Folder: \`${run.dir}\``);
    item.tooltip = tip;
    item.contextValue = `run.${done < total ? (run.branchOf ? 'branch' : 'open') : 'complete'}${live ? '.training' : ''}`;
    item.resourceUri = vscode.Uri.file(run.dir);
    return item;
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

/** "starting: backend wasm, task 1 of 10" / "starting: loading TensorFlow.js and the data…" */
function startingText(s: LiveStatus): string {
  return s.backend ? `starting: backend ${s.backend.name}, task ${s.fromTask} of ${s.taskNames.length}` : 'starting: loading TensorFlow.js and the data…';
}

function sweepItem(e: SweepEntry): vscode.TreeItem {
  const item = new vscode.TreeItem(sweepLabel(e), vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `sweep:${e.dir}`;
  const s = e.sweep;
  item.description = s ? sweepStatusText(s) : (e.problem ?? '');
  const running = s?.state === 'running' && s.points.some((p) => p.status === 'running');
  item.iconPath = new vscode.ThemeIcon(!s ? 'warning' : running ? 'sync~spin' : s.points.some((p) => p.status === 'failed') ? 'error' : 'graph-scatter');
  const tip = new vscode.MarkdownString();
  if (s) {
    tip.appendMarkdown(`**Sweep of ${s.name}**${s.base ? `, retraining task ${s.base.task}` : ''}

`);
    for (const a of s.grid) tip.appendMarkdown(`\`${a.field}\`: ${a.values.map((v) => JSON.stringify(v)).join(', ')}

`);
    tip.appendMarkdown(`${sweepStatusText(s)} · front: ${s.front.join(', ') || '—'}

`);
  }
  tip.appendMarkdown(`Folder: \`${e.dir}\``);
  item.tooltip = tip;
  // a running sweep can be cancelled (DEN Lab: Cancel Sweep)
  item.contextValue = s?.state === 'running' ? 'sweepRunning' : 'sweep';
  item.resourceUri = vscode.Uri.file(e.dir);
  item.command = { command: 'denLab.openSweep', title: 'Open Sweep', arguments: [{ sweepDir: e.dir }] };
  return item;
}

function pointItem(e: SweepEntry, p: SweepPoint, run: RunEntry | undefined): vscode.TreeItem {
  const item = new vscode.TreeItem(p.id, vscode.TreeItemCollapsibleState.None);
  item.id = `point:${e.dir}:${p.id}`;
  const q = e.sweep && p.result ? p.result[e.sweep.quality] : null;
  item.description = [p.status, q !== null && q !== undefined ? `${SWEEP_QUALITY_LABELS[e.sweep!.quality]} ${f4(q)}` : '', p.result ? `${p.result.params.toLocaleString('en-US')} params` : '', p.pareto ? '★ front' : ''].filter(Boolean).join(' · ');
  const icons: Record<SweepPoint['status'], string> = { pending: 'circle-outline', running: 'sync~spin', done: 'pass', failed: 'error', cancelled: 'circle-slash' };
  item.iconPath = new vscode.ThemeIcon(icons[p.status]);
  item.tooltip = `${p.id}: ${Object.entries(p.values).map(([f, v]) => `${f} = ${JSON.stringify(v)}`).join(', ')}${p.message ? `\n${p.message}` : ''}`;
  item.contextValue = 'point';
  if (run) item.command = { command: 'denLab.openDashboard', title: 'Open Dashboard', arguments: [{ runDir: run.dir }] };
  return item;
}

function taskItem(run: RunEntry, t: TaskSummary): vscode.TreeItem {
  const item = new vscode.TreeItem(`${t.index} · ${t.name}`, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `task:${run.dir}:${t.index}`;
  const splits = t.split.reduce((a, b) => a + b, 0);
  const flags = [t.expanded ? 'expanded' : '', splits ? `split ${splits}` : ''].filter(Boolean).join(' ');
  item.description = `acc ${f4(t.accuracy)} · AUROC ${f4(t.auroc)}${flags ? ` · ${flags}` : ''} · ${t.seconds.toFixed(1)}s`;
  item.iconPath = new vscode.ThemeIcon(splits ? 'git-merge' : t.expanded ? 'add' : 'circle-outline');
  const tip = new vscode.MarkdownString();
  tip.appendMarkdown(`**Task ${t.index}: ${t.name}**\n\n`);
  tip.appendMarkdown(`Test accuracy right after learning it: ${f4(t.accuracy)}; AUROC ${f4(t.auroc)}\n\n`);
  tip.appendMarkdown(`Units per layer: ${t.units.join(', ')} (added ${t.added.join(', ')}; pruned ${t.pruned.join(', ')}; split ${t.split.join(', ')})\n\n`);
  if (t.tauStatistic !== null) tip.appendMarkdown(`τ test: ${t.tauStatisticKind} loss ${f4(t.tauStatistic)} ${t.expanded ? '>' : '≤'} τ = ${t.tau}\n\n`);
  if (t.maxDrift) tip.appendMarkdown(`Largest drift ρ per layer: ${t.maxDrift.map((d) => d.toFixed(4)).join(', ')} (σ = ${t.sigma})\n\n`);
  tip.appendMarkdown(`Parameters: ${t.params.toLocaleString('en-US')} (${t.nonZeroParams.toLocaleString('en-US')} non-zero)`);
  item.tooltip = tip;
  item.contextValue = 'task';
  return item;
}

function layerItem(t: TaskSummary, l: number): vscode.TreeItem {
  const item = new vscode.TreeItem(`layer ${l + 1}`, vscode.TreeItemCollapsibleState.Collapsed);
  const kept = t.added[l] - t.pruned[l];
  item.description = layerChange(t.units[l], kept, t.pruned[l], t.split[l]);
  item.tooltip =
    `Hidden layer ${l + 1} after task ${t.index}: ${t.units[l]} units.\n` +
    `New: ${kept} units kept of the ${t.added[l]} that expansion added.\n` +
    `Pruned: ${t.pruned[l]} new units removed because the group lasso zeroed their incoming weights.\n` +
    `Split: ${t.split[l]} units drifted more than σ; each got a copy for the new task.`;
  item.iconPath = new vscode.ThemeIcon(t.split[l] ? 'git-merge' : t.added[l] ? 'add' : 'layers');
  item.contextValue = 'layer';
  return item;
}

function taskDetails(t: TaskSummary): RunsNode[] {
  const out: RunsNode[] = [];
  if (t.tauStatistic !== null) {
    out.push({
      kind: 'detail',
      label: 'τ test',
      description: `${t.tauStatisticKind} loss ${f4(t.tauStatistic)} ${t.expanded ? '>' : '≤'} τ ${t.tau} → ${t.expanded ? 'expanded' : 'no expansion'}`,
      icon: t.expanded ? 'arrow-up' : 'dash',
    });
  }
  if (t.selectedInputs !== undefined && t.selectedInputs !== null) {
    out.push({ kind: 'detail', label: 'inputs selected', description: `${t.selectedInputs} inputs with a path to the task's head`, icon: 'filter' });
  }
  const sw = t.subnetworkWeights;
  if (sw) {
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    out.push({
      kind: 'detail',
      label: 'old weights in retraining',
      description: `${pct(sum(sw.allowed), sum(sw.total))} trainable, ${pct(sum(sw.changed), sum(sw.total))} changed`,
      tooltip: `Subnetwork retraining could change ${sum(sw.allowed).toLocaleString('en-US')} of the ${sum(sw.total).toLocaleString('en-US')} weights among the units that existed before task ${t.index} (the selected subnetwork) and changed ${sum(sw.changed).toLocaleString('en-US')}; every other weight of the old network stayed bit-identical.`,
      icon: 'filter',
    });
  }
  out.push({ kind: 'detail', label: 'stages', description: t.stages.map((s) => `${STAGE_LABELS[s.stage]} ${s.steps} steps ${s.seconds.toFixed(1)}s`).join(' · '), icon: 'list-ordered' });
  return out;
}

/** "born in task j" rows of a layer: its units by the task that created them (unit lineage). */
function lineageDetails(t: TaskSummary, l: number, untimed: boolean): RunsNode[] {
  let next = 1; // units are kept in creation order, so each group is a contiguous range
  return t.lineage![l].map((g): RunsNode => {
    const range = g.units ? `units ${next}–${next + g.units - 1}` : 'no unit left';
    next += g.units;
    const copies = g.copies === null ? 'copies unknown' : g.copies ? `${g.copies} ${g.copies === 1 ? 'copy' : 'copies'}` : '';
    const counts = [`${g.units} ${g.units === 1 ? 'unit' : 'units'}${copies ? ` (${copies})` : ''}`, g.pruned ? `${g.pruned} pruned` : ''].filter(Boolean).join(' · ');
    const readers = untimed ? 'Every task reads them (this run has no timestamps).' : `Read by task${g.born === t.index ? ` ${g.born}` : `s ${g.born}–${t.index}`}: a task reads the units born at or before it.`;
    const origins = g.copiesOf?.length ? `\nSplit copies of unit${g.copiesOf.length === 1 ? '' : 's'} ${g.copiesOf.map((o) => o + 1).join(', ')} (drifted more than σ in task ${g.born}).` : '';
    const lost = g.pruned ? `\nThe group lasso removed ${g.pruned} of the units task ${g.born} added.` : '';
    const unknown = g.copies === null ? '\nThis run was trained before DEN Lab recorded lineage: which of these units are split copies is unknown.' : '';
    return {
      kind: 'detail',
      label: `born in task ${g.born}`,
      description: `${counts} · ${range}`,
      tooltip: `${readers}${origins}${lost}${unknown}`,
      icon: g.copies ? 'git-merge' : g.born === 1 ? 'circle-filled' : 'add',
    };
  });
}

const pct = (part: number, whole: number) => `${whole ? Math.round((100 * part) / whole) : 0}%`;

function layerDetails(run: RunEntry, t: TaskSummary, l: number): RunsNode[] {
  const out: RunsNode[] = [];
  if (t.selectedUnits) {
    const before = t.units[l] - (t.added[l] - t.pruned[l]) - t.split[l];
    const sw = t.subnetworkWeights;
    const weights = sw ? `; ${pct(sw.changed[l], sw.total[l])} of its old weights changed` : '';
    out.push({ kind: 'detail', label: 'selected in retraining', description: `${t.selectedUnits[l]} of ${before} units${weights}`, icon: 'filter' });
  }
  if (t.maxDrift) {
    const p90 = t.driftP90 ? `, 90% of units ≤ ${t.driftP90[l].toFixed(4)}` : '';
    out.push({ kind: 'detail', label: 'largest drift ρ', description: `${t.maxDrift[l].toFixed(4)}${p90} (σ ${t.sigma}; ${t.split[l]} split)`, icon: 'pulse' });
  }
  if (t.lineage) {
    out.push(...lineageDetails(t, l, run.summary?.method === 'den-no-timestamps'));
    return out;
  }
  // runs from before lineage: units created at this task occupy the end of the layer
  const prev = run.summary?.tasks[t.index - 2];
  const first = prev ? prev.units[l] + 1 : 1;
  out.push({
    kind: 'detail',
    label: 'timestamps',
    description: first <= t.units[l] ? `units ${first}–${t.units[l]} born at task ${t.index}` : `no unit born at task ${t.index}`,
    tooltip: `Task ${t.index} uses units 1–${t.units[l]} of this layer; earlier tasks never see the units born after them.`,
    icon: 'clock',
  });
  return out;
}
