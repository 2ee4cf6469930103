// How the CLI shows engine events and results in a terminal.
import * as os from 'os';
import { executorLabel } from '../engine/sweep/executor';
import { formatValue as formatGridValue } from '../engine/sweep/grid';
import { logTail } from '../engine/sweep/sweep';
import type { DenEvent, RunSummary, SweepEvent, SweepFile, SweepPoint } from '../common/protocol';
import { f4, signed, STAGE_LABELS } from '../common/vocabulary';

const list = (xs: number[]) => xs.join(',');

/** One line for an event worth a line of its own (loss events are shown as a live status instead). */
export function eventLine(e: DenEvent, tasksTotal: number): string | null {
  const at = (task: number) => `task ${task}/${tasksTotal}`;
  switch (e.type) {
    case 'run-start':
      return `DEN Lab · ${e.name} · method ${e.method} · backend ${e.backend.name} ${e.backend.version} (${e.backend.detail})\nrun folder: ${e.runDir}\ntraining tasks ${e.fromTask}..${e.toTask} of ${e.taskNames.length}`;
    case 'task-start':
      return `${at(e.task)} ${e.name}: start, units [${list(e.units)}]`;
    case 'stage-end':
      return `${at(e.task)} ${STAGE_LABELS[e.stage].padEnd(20)} ${String(e.steps).padStart(5)} steps ${e.seconds.toFixed(1).padStart(6)}s  loss ${f4(e.loss)}`;
    case 'selection':
      return `${at(e.task)} selection   units [${list(e.selected)}] of [${list(e.total)}], inputs ${e.inputsSelected}/${e.inputsTotal}`;
    case 'tau-test':
      return `${at(e.task)} τ test      ${e.statistic} loss ${f4(e.value)} ${e.value > e.tau ? '>' : '≤'} τ ${e.tau} → ${e.expand ? 'expand' : 'no expansion'}`;
    case 'expansion':
      return `${at(e.task)} expansion   added [${list(e.added)}] kept [${list(e.kept)}] pruned [${list(e.pruned)}] → units [${list(e.units)}]`;
    case 'split': {
      if (e.skipped) return `${at(e.task)} split       skipped: ${e.skipped}`;
      const maxes = e.drift.map((d) => (d.length ? Math.max(...d) : 0));
      return `${at(e.task)} split       σ ${e.sigma}: [${e.splitUnits.map((u) => u.length).join(',')}] units split (max ρ [${maxes.map((m) => m.toFixed(3)).join(',')}]) → units [${list(e.units)}]`;
    }
    case 'task-end':
      return `${at(e.task)} done in ${e.summary.seconds.toFixed(1)}s: accuracy ${f4(e.summary.accuracy)}, AUROC ${f4(e.summary.auroc)}, units [${list(e.summary.units)}]`;
    case 'cancelled':
      return `cancelled during task ${e.task}; the run stays at task ${e.lastCompletedTask}`;
    case 'error':
      return `error${e.task ? ` in task ${e.task}` : ''}: ${e.message}`;
    case 'log':
      return e.message;
    default:
      return null;
  }
}

/** A live status for loss events (rewritten in place on a terminal). */
export function lossStatus(e: Extract<DenEvent, { type: 'loss' }>, tasksTotal: number): string {
  return `task ${e.task}/${tasksTotal} ${STAGE_LABELS[e.stage]} step ${e.step} loss ${f4(e.loss)}`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The per-task table and the run's metrics. */
export function summaryReport(s: RunSummary, runDir: string): string {
  const rows = s.tasks.map((t, i) => [
    String(t.index),
    t.name,
    f4(s.accuracy[s.accuracy.length - 1]?.[i]),
    f4(t.accuracy),
    f4(t.auroc),
    `[${list(t.units)}]`,
    list(t.added),
    list(t.pruned),
    list(t.split),
    t.tauStatistic === null ? '—' : f4(t.tauStatistic),
    t.seconds.toFixed(1),
  ]);
  const header = ['task', 'name', 'acc now', 'acc', 'auroc', 'units', '+added', '-pruned', 'split', 'τ stat', 'seconds'];
  const metrics = [
    `ACC ${f4(s.acc)}   BWT ${signed(s.bwt)}   FWT ${signed(s.fwt)}   forgetting ${f4(s.forgetting)}   mean AUROC ${f4(s.aurocMetrics.acc)}`,
    `parameters ${s.params.total.toLocaleString('en-US')} (non-zero ${s.params.nonZero.toLocaleString('en-US')}, sparsity ${(100 * s.params.sparsity).toFixed(1)}%)   units [${list(s.units)}]${(s.networks ?? 1) > 1 ? ` over ${s.networks} networks` : ''}   ${s.seconds.toFixed(1)}s   backend ${s.backend.name}`,
    `summary: ${runDir}/summary.json`,
  ];
  return `method ${s.method}\n${table(header, rows)}\n\n'acc' = accuracy right after learning the task, 'acc now' = after the last task.\n${metrics.join('\n')}`;
}

/** The R matrix as text, for `den-lab eval`. */
export function matrixReport(title: string, R: (number | null)[][]): string {
  const lines = R.map((row, i) => `after ${String(i + 1).padStart(2)}: ${row.map((v) => f4(v)).join(' ')}`);
  return `${title}\n${lines.join('\n')}`;
}

const int = (n: number) => n.toLocaleString('en-US');

function pointSummary(p: SweepPoint): string {
  const r = p.result;
  if (!r) return '';
  const stl = r.stlPercent === null ? '' : ` (${r.stlPercent.toFixed(1)}% of STL)`;
  return `ACC ${f4(r.acc)} · mean AUROC ${f4(r.auroc)} · BWT ${signed(r.bwt)} · params ${int(r.params)}${stl} · units [${list(r.units)}] · ${r.seconds.toFixed(1)}s`;
}

/** One line per sweep event. */
export function sweepEventLine(e: SweepEvent): string {
  switch (e.type) {
    case 'sweep-start': {
      const s = e.sweep;
      const from = s.base ? `retraining task ${s.base.task} from ${s.base.run} (its checkpoint after task ${s.base.task - 1})` : 'from scratch';
      const tasks = s.fromTask === s.untilTask ? `task ${s.untilTask}` : `tasks ${s.fromTask}..${s.untilTask}`;
      return [
        `DEN Lab sweep · ${s.name} · ${s.points.length} points (${s.grid.map((a) => `${a.field} × ${a.values.length}`).join(', ')}) · ${tasks} ${from}`,
        `sweep folder: ${e.dir}`,
        `${s.points.length - e.toRun.length} done already, ${e.toRun.length} to train, ${s.executor.jobs} at a time (${executorLabel(s.executor)})`,
      ].join('\n');
    }
    case 'point-start':
      return `point ${e.id}: started${e.pid ? ` (process ${e.pid})` : e.job ? ` (Slurm job ${e.job})` : ''}`;
    case 'point-queued':
      return `point ${e.id}: ${e.message}`;
    case 'point-end': {
      const p = e.point;
      if (p.status === 'done') return `point ${p.id}: done · ${pointSummary(p)}`;
      if (p.status === 'failed') return `point ${p.id}: FAILED: ${p.message}`;
      return `point ${p.id}: ${p.status}${p.message ? ` (${p.message})` : ''}`;
    }
    case 'sweep-end':
      return `sweep ${e.sweep.state}: ${statusCounts(e.sweep)}`;
    case 'sweep-status': {
      const s = e.sweep;
      const gone = s.pid !== null && (s.host == null || s.host === os.hostname()); // a follower here that is not alive
      const who =
        s.state !== 'running' ? '' : e.follower !== null ? `, followed by process ${e.follower}` : s.pid === null ? ', detached' : gone ? `, but its process ${s.pid} has gone` : `, followed by process ${s.pid} on ${s.host}`;
      return `DEN Lab sweep · ${s.name} · ${s.state} (${executorLabel(s.executor)}${who}): ${statusCounts(s)}\nsweep folder: ${e.dir}`;
    }
  }
}

const QUALITY_LABEL: Record<SweepFile['quality'], string> = {
  acc: 'ACC',
  auroc: 'mean AUROC',
  validationAcc: 'ACC on the validation parts',
  validationAuroc: 'mean AUROC on the validation parts',
};

/** "3 done, 1 running": how many points have each status. */
function statusCounts(s: SweepFile): string {
  const counts = new Map<string, number>();
  for (const p of s.points) counts.set(p.status, (counts.get(p.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
}

/** The table of a sweep's points, the Pareto front marked. */
export function sweepReport(s: SweepFile, dir: string): string {
  const header = ['point', 'status', ...s.grid.map((a) => a.field), 'ACC', 'AUROC', 'val ACC', 'val AUROC', 'BWT', 'params', '% STL', 'units', '+added', '-pruned', 'split', 'τ-skipped', 'changed', 'seconds', 'front'];
  const rows = s.points.map((p) => {
    const r = p.result;
    const m = r?.mechanisms;
    return [
      p.id,
      p.status,
      ...s.grid.map((a) => formatGridValue(p.values[a.field])),
      f4(r?.acc),
      f4(r?.auroc),
      f4(r?.validationAcc),
      f4(r?.validationAuroc),
      signed(r?.bwt),
      r ? int(r.params) : '—',
      r?.stlPercent != null ? r.stlPercent.toFixed(1) : '—',
      r ? `[${list(r.units)}]` : '—',
      r ? list(r.added) : '—',
      r ? list(r.pruned) : '—',
      r ? list(r.split) : '—',
      m ? `${m.skippedTasks} of ${m.skippedTasks + m.expandedTasks}` : '—',
      m?.changedShare != null ? `${Math.round(100 * m.changedShare)}%` : '—',
      r ? r.seconds.toFixed(1) : '—',
      p.pareto ? '*' : '',
    ];
  });
  const failed = s.points.filter((p) => p.status === 'failed').flatMap((p) => [`${p.id}: ${p.message}`, `  ${p.log}, last lines:`, ...logTail(dir, p).map((l) => `  | ${l}`)]);
  return [
    table(header, rows),
    '',
    `front = the Pareto front of the done points: highest ${QUALITY_LABEL[s.quality]} for the fewest parameters (${s.front.length ? s.front.join(', ') : 'none yet'}). ` +
      'τ-skipped: tasks the τ test let through without expanding; changed: the mean share of the old hidden weights subnetwork retraining changed.',
    ...(failed.length ? ['failed:', ...failed.map((f) => `  ${f}`)] : []),
    `sweep: ${dir}/sweep.json`,
  ].join('\n');
}
