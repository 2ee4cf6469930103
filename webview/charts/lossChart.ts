// Chart 1: the loss of one task over its steps, a line per DEN stage in the stage's colour, with
// markers where the τ test, expansion, pruning and splits happened and a line at τ for the
// statistic it was compared with (and at the τ now in the experiment file, when it differs).
import type { ChartDataset } from 'chart.js';
import { h } from '../dom';
import { MinMaxSeries, type Point } from '../decimate';
import { markersOf, type LossSegment, type TaskTrace } from '../model';
import type { TableData } from '../tables';
import { ChartJsPanel, taskHeading, type Drawn, type PanelActions } from './chartPanel';
import { axis, baseOptions, markerFont, type HorizontalMarker, type PointMarker, type VerticalMarker } from './chartSetup';
import type { RenderContext } from './context';
import { fmt, STAGE_LABELS } from '../../src/common/vocabulary';

export class LossChart extends ChartJsPanel {
  private readonly logToggle: HTMLElement & { checked: boolean };
  /** Each segment's decimated points, brought up to date on every draw (segments only grow). */
  private readonly decimated = new WeakMap<LossSegment, MinMaxSeries>();

  constructor(actions: PanelActions, onLogScale: (on: boolean) => void) {
    super('loss', 'Loss over steps', actions);
    this.logToggle = h('vscode-checkbox', { 'data-action': 'log' }, 'Log scale') as HTMLElement & { checked: boolean };
    this.logToggle.addEventListener('change', () => onLogScale(this.logToggle.checked));
    this.tools.append(this.logToggle);
  }

  protected override headingOf(ctx: RenderContext): string {
    return taskHeading(this.title, ctx);
  }

  protected draw(ctx: RenderContext): Drawn {
    const { theme } = ctx;
    this.logToggle.checked = ctx.view.logLoss;
    const trace = ctx.task !== null ? ctx.run?.traces.get(ctx.task) : undefined;
    const last = trace ? lastStep(trace) : 0;
    // about one bucket per pixel column over the task's steps; the chart's own width needs no layout
    const buckets = Math.max(200, Math.round(this.chart?.width || this.canvas.clientWidth || 800));
    const width = last > 4 * buckets ? last / buckets : 1;
    const datasets: ChartDataset<'line'>[] = [];
    let drawn = 0;
    let lo = Infinity; // the decimated points keep every bucket's lowest
    for (const seg of trace?.segments ?? []) {
      if (!seg.x.length) continue;
      let series = this.decimated.get(seg);
      if (!series) this.decimated.set(seg, (series = new MinMaxSeries()));
      const data = series.update(seg.x, seg.y, width);
      drawn += data.length;
      for (const p of data) if (p.y < lo) lo = p.y;
      const color = theme.stage[seg.stage] ?? theme.foreground;
      datasets.push({
        label: STAGE_LABELS[seg.stage] ?? seg.stage,
        data: data as Point[], // read only: parsing is off and chart.js leaves a frozen array as it is
        parsing: false,
        borderColor: color,
        backgroundColor: color,
        borderWidth: 1.5,
        pointRadius: data.length > 200 ? 0 : 1.5,
        pointHoverRadius: 3,
      });
    }
    const markers = trace ? markersOf(trace) : [];
    const vertical: VerticalMarker[] = markers
      .filter((m) => m.kind !== 'tau')
      .map((m) => ({ x: m.step, label: m.label, color: theme.marker[m.kind], dash: m.kind === 'prune' ? [3, 3] : m.kind === 'selection' ? [1, 3] : undefined }));
    const horizontal: HorizontalMarker[] = [];
    const points: PointMarker[] = [];
    const tau = trace?.tau ?? null;
    const fileTau = ctx.thresholds?.tau;
    if (tau) {
      horizontal.push({ y: tau.tau, label: `τ = ${tau.tau} (${tau.statistic} loss)`, color: theme.marker.tau, publish: 'tauPx' });
      points.push({ x: tau.step, y: tau.value, label: markers.find((m) => m.kind === 'tau')!.label, color: theme.marker.tau });
      if (fileTau !== undefined && fileTau !== tau.tau) {
        const would = tau.value > fileTau ? 'would expand' : 'would not expand';
        horizontal.push({ y: fileTau, label: `τ = ${fileTau} in the experiment: ${would}`, color: theme.muted, dash: [2, 3], publish: 'tauPreviewPx' });
      }
    }
    const log = ctx.view.logLoss;
    const lines = horizontal.map((m) => m.y);
    const yMin = log ? Math.min(lo, ...lines) * 0.8 : Math.min(0, ...lines);
    this.show({
      type: 'line',
      data: { datasets },
      options: {
        ...baseOptions(theme),
        scales: {
          x: { type: 'linear', min: 0, suggestedMax: Math.max(1, last), ...axis(theme, 'step (within the task)') },
          y: { type: log ? 'logarithmic' : 'linear', min: Number.isFinite(yMin) && yMin > 0 ? yMin : log ? undefined : 0, ...axis(theme, log ? 'loss (log)' : 'loss') },
        },
        plugins: {
          ...baseOptions(theme).plugins,
          denMarkers: { vertical, horizontal, points, font: markerFont(theme) },
        },
      },
    });

    const name = trace ? `task ${trace.task} (${trace.name})` : 'no task';
    const stages = trace?.segments.filter((s) => s.x.length).map((s) => STAGE_LABELS[s.stage] ?? s.stage) ?? [];
    const label = trace
      ? `Loss of ${name} over ${last} steps, ${trace.points} points in ${stages.length} stages (${stages.join(', ')})` +
        (trace.state === 'running' ? ', training now' : '') +
        '. ' +
        (markers.length ? markers.map((m) => `${m.label} at step ${m.step}`).join('; ') + '.' : 'No τ test, expansion, pruning or split in this task.')
      : 'No loss recorded yet.';
    return {
      label,
      data: {
        task: trace?.task ?? null,
        state: trace?.state ?? null,
        points: trace?.points ?? 0,
        drawn,
        markers: markers.length,
        markerKinds: markers.map((m) => m.kind).join(','),
        markerSteps: markers.map((m) => m.step).join(','),
        markerLabels: markers.map((m) => m.label).join(' | '),
        stages: trace?.segments.map((s) => s.stage).join(',') ?? '',
        tau: tau?.tau ?? null,
        tauValue: tau?.value ?? null,
        tauPreview: fileTau ?? null,
      },
      note: trace ? undefined : ctx.run ? 'No task of this run has loss events yet.' : 'No run selected: train a task or pick a run.',
    };
  }

  protected table(ctx: RenderContext): TableData {
    const trace = ctx.task !== null ? ctx.run?.traces.get(ctx.task) : undefined;
    const rows: TableData['rows'] = [];
    for (const seg of trace?.segments ?? []) {
      if (!seg.x.length) continue;
      rows.push([STAGE_LABELS[seg.stage] ?? seg.stage, seg.x[0], seg.x[seg.x.length - 1], seg.x.length, seg.y[0], seg.y[seg.y.length - 1], seg.y.reduce((a, b) => Math.min(a, b), Infinity), '']);
    }
    for (const m of trace ? markersOf(trace) : []) rows.push([m.kind === 'tau' ? 'τ test' : m.kind, m.step, m.step, null, null, null, null, m.label]);
    return {
      caption: trace ? `Loss of task ${trace.task} (${trace.name}) by stage, then its markers` : 'No loss recorded yet',
      columns: ['stage / marker', 'first step', 'last step', 'points', 'first loss', 'last loss', 'lowest loss', 'detail'],
      rows: rows.map((r) => r.map((c) => (typeof c === 'number' && !Number.isInteger(c) ? Number(fmt(c)) : c))),
    };
  }
}

/** The last step of a task so far: its stages' ends, else its last loss point. */
function lastStep(trace: TaskTrace): number {
  let last = 0;
  for (const s of trace.stages) last = Math.max(last, s.end ?? s.start + s.steps);
  for (const seg of trace.segments) if (seg.x.length) last = Math.max(last, seg.x[seg.x.length - 1]);
  return last;
}
