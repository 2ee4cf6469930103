// Chart 6: runs side by side (e.g. the same experiment at two values of σ, or DEN against another
// method), overlaid on score against parameters, growth, drift and accuracy. A run keeps its colour
// in all four.
import type { ChartDataset } from 'chart.js';
import { averageScores, capacityCurve, compareLabels, histogram, methodOf, type RunModel } from '../model';
import type { TableData } from '../tables';
import { withAlpha } from '../theme';
import { ChartJsPanel, taskHeading, type Drawn, type PanelActions } from './chartPanel';
import { axis, baseOptions, markerFont, type VerticalMarker } from './chartSetup';
import { logTick } from '../logTicks';
import type { RenderContext } from './context';
import { fmt } from '../../src/common/vocabulary';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const color = (ctx: RenderContext, i: number) => ctx.theme.series[i % ctx.theme.series.length];
const maxTasks = (runs: RunModel[]) => Math.max(0, ...runs.map((r) => r.tasks.length));
const none = 'Choose two or more runs above to overlay them.';

/** Total hidden units after each task, a line per run. */
export class CompareGrowthChart extends ChartJsPanel {
  constructor(actions: PanelActions) {
    super('compare-growth', 'Compare: hidden units after each task', actions, 'short');
  }

  protected draw(ctx: RenderContext): Drawn {
    const runs = ctx.compare;
    const labels = compareLabels(runs);
    const T = maxTasks(runs);
    const datasets: ChartDataset<'line'>[] = runs.map((r, i) => ({
      label: labels[i],
      data: r.tasks.map((t) => sum(t.units)),
      borderColor: color(ctx, i),
      backgroundColor: color(ctx, i),
      pointRadius: 3,
    }));
    this.show({
      type: 'line',
      data: { labels: Array.from({ length: T }, (_, i) => `task ${i + 1}`), datasets },
      options: { ...baseOptions(ctx.theme), scales: { x: { type: 'category', ...axis(ctx.theme, 'after task') }, y: { type: 'linear', ...axis(ctx.theme, 'hidden units (all layers)') } } },
    });
    return {
      label: runs.length ? runs.map((r, i) => `${labels[i]}: ${r.tasks.map((t) => sum(t.units)).join(', ')} units`).join('; ') + '.' : none,
      data: { runs: runs.length, points: datasets.reduce((n, d) => n + d.data.length, 0) },
      note: runs.length ? undefined : none,
    };
  }

  protected table(ctx: RenderContext): TableData {
    const T = maxTasks(ctx.compare);
    return {
      caption: 'Units per hidden layer after each task, per run',
      columns: ['run', ...Array.from({ length: T }, (_, i) => `task ${i + 1}`)],
      rows: ctx.compare.map((r, k) => [compareLabels(ctx.compare)[k], ...Array.from({ length: T }, (_, i) => r.tasks[i]?.units.join(', ') ?? null)]),
    };
  }
}

/** The drift distribution of one task (all layers), an outline per run, with each run's σ. */
export class CompareDriftChart extends ChartJsPanel {
  constructor(actions: PanelActions) {
    super('compare-drift', 'Compare: drift ρ', actions, 'short');
  }

  protected override headingOf(ctx: RenderContext): string {
    return taskHeading(this.title, ctx);
  }

  protected draw(ctx: RenderContext): Drawn {
    const runs = ctx.compare;
    const labels = compareLabels(runs);
    const task = ctx.task;
    const splits = runs.map((r) => (task !== null ? (r.traces.get(task)?.split ?? null) : null));
    let hi = 0;
    for (const s of splits) if (s) for (const layer of s.drift) for (const rho of layer) hi = Math.max(hi, rho, s.sigma);
    hi = hi * 1.08 || 1;
    const datasets: ChartDataset<'line', { x: number; y: number }[]>[] = [];
    const vertical: VerticalMarker[] = [];
    splits.forEach((s, i) => {
      if (!s) return;
      const { centers, counts } = histogram([s.drift.flat()], hi);
      datasets.push({
        label: labels[i],
        data: centers.map((x, k) => ({ x, y: counts[0][k] })),
        parsing: false,
        stepped: 'middle',
        borderColor: color(ctx, i),
        backgroundColor: withAlpha(color(ctx, i), 0.15),
        fill: false,
        pointRadius: 0,
      });
      vertical.push({ x: s.sigma, label: `σ ${fmt(s.sigma)}: ${sum(s.splitUnits.map((u) => u.length))} split`, color: color(ctx, i), dash: [4, 3] });
    });
    this.show({
      type: 'line',
      data: { datasets },
      options: {
        ...baseOptions(ctx.theme),
        scales: { x: { type: 'linear', min: 0, max: hi, ...axis(ctx.theme, `drift ρ in task ${task ?? '—'} (all layers)`) }, y: { type: 'linear', beginAtZero: true, ...axis(ctx.theme, 'units') } },
        plugins: { ...baseOptions(ctx.theme).plugins, denMarkers: { vertical, font: markerFont(ctx.theme) } },
      },
    });
    const shown = splits.filter((s) => s !== null).length;
    return {
      label: runs.length
        ? `Drift in task ${task ?? '—'}: ` + runs.map((_, i) => (splits[i] ? `${labels[i]} split ${sum(splits[i]!.splitUnits.map((u) => u.length))} units at σ ${fmt(splits[i]!.sigma)}` : `${labels[i]} has no drift for this task`)).join('; ') + '.'
        : none,
      data: { runs: runs.length, task, shown, points: splits.reduce((n, s) => n + (s ? s.drift.flat().length : 0), 0), sigmas: splits.map((s) => s?.sigma ?? '').join(',') },
      note: !runs.length ? none : shown ? undefined : `None of these runs has drift for task ${task ?? '—'} (task 1 has none).`,
    };
  }

  protected table(ctx: RenderContext): TableData {
    const task = ctx.task;
    return {
      caption: `Drift in task ${task ?? '—'} per run`,
      columns: ['run', 'σ', 'units split per layer', 'largest ρ per layer'],
      rows: ctx.compare.map((r, k) => {
        const s = task !== null ? r.traces.get(task)?.split : undefined;
        return [compareLabels(ctx.compare)[k], s?.sigma ?? null, s ? s.splitUnits.map((u) => u.length).join(', ') : null, s ? s.drift.map((l) => fmt(l.reduce((a, b) => Math.max(a, b), 0), 3)).join(', ') : null];
      }),
    };
  }
}

/** Average score A_k after each task, a line per run. */
export class CompareAccuracyChart extends ChartJsPanel {
  constructor(actions: PanelActions) {
    super('compare-accuracy', 'Compare: average score after each task', actions, 'short');
  }

  protected draw(ctx: RenderContext): Drawn {
    const runs = ctx.compare;
    const score = ctx.view.score;
    const labels = compareLabels(runs);
    const T = maxTasks(runs);
    const datasets: ChartDataset<'line'>[] = runs.map((r, i) => ({
      label: labels[i],
      data: averageScores(r, score),
      borderColor: color(ctx, i),
      backgroundColor: color(ctx, i),
      pointRadius: 3,
    }));
    this.show({
      type: 'line',
      data: { labels: Array.from({ length: T }, (_, i) => `task ${i + 1}`), datasets },
      options: { ...baseOptions(ctx.theme), scales: { x: { type: 'category', ...axis(ctx.theme, 'after task') }, y: { type: 'linear', ...axis(ctx.theme, `mean ${score === 'auroc' ? 'AUROC' : 'accuracy'} over tasks so far`) } } },
    });
    return {
      label: runs.length ? runs.map((r, i) => `${labels[i]}: ${averageScores(r, score).map((v) => fmt(v, 3)).join(', ')}`).join('; ') + '.' : none,
      data: { runs: runs.length, score, points: datasets.reduce((n, d) => n + d.data.length, 0) },
      note: runs.length ? undefined : none,
    };
  }

  protected table(ctx: RenderContext): TableData {
    const T = maxTasks(ctx.compare);
    return {
      caption: `Mean ${ctx.view.score === 'auroc' ? 'AUROC' : 'accuracy'} over the tasks so far, after each task, per run`,
      columns: ['run', ...Array.from({ length: T }, (_, i) => `task ${i + 1}`)],
      rows: ctx.compare.map((r, k) => {
        const a = averageScores(r, ctx.view.score);
        return [compareLabels(ctx.compare)[k], ...Array.from({ length: T }, (_, i) => a[i] ?? null)];
      }),
    };
  }
}

/** The average score against the parameters after each task: a line per run, whatever its method. */
export class CompareCapacityChart extends ChartJsPanel {
  constructor(actions: PanelActions) {
    super('compare-capacity', 'Compare: score against parameters', actions, 'short');
  }

  protected draw(ctx: RenderContext): Drawn {
    const runs = ctx.compare;
    const score = ctx.view.score;
    const name = score === 'auroc' ? 'AUROC' : 'accuracy';
    const labels = compareLabels(runs);
    const curves = runs.map((r) => capacityCurve(r, score).filter((p): p is { task: number; params: number; score: number } => p.score !== null && p.params > 0));
    const datasets: ChartDataset<'line', { x: number; y: number }[]>[] = curves.map((c, i) => ({
      label: labels[i],
      data: c.map((p) => ({ x: p.params, y: p.score })),
      parsing: false,
      borderColor: color(ctx, i),
      backgroundColor: color(ctx, i),
      pointRadius: c.map((_, k) => (k === c.length - 1 ? 5 : 3)),
    }));
    this.show({
      type: 'line',
      data: { datasets },
      options: {
        ...baseOptions(ctx.theme),
        scales: {
          x: { type: 'logarithmic', ...axis(ctx.theme, 'parameters after each task (log scale)'), ticks: { color: ctx.theme.foreground, autoSkip: false, callback: logTick } },
          y: { type: 'linear', ...axis(ctx.theme, `mean ${name} over tasks so far`) },
        },
      },
    });
    const last = curves.map((c) => c[c.length - 1]);
    return {
      label: runs.length
        ? runs.map((_, i) => (last[i] ? `${labels[i]}: ${name} ${fmt(last[i].score, 3)} with ${last[i].params.toLocaleString('en-US')} parameters after task ${last[i].task}` : `${labels[i]}: no completed task`)).join('; ') + '.'
        : none,
      data: {
        runs: runs.length,
        score,
        points: curves.reduce((n, c) => n + c.length, 0),
        methods: runs.map((r) => methodOf(r) ?? '').join(','),
        params: last.map((p) => p?.params ?? '').join(','),
      },
      note: runs.length ? undefined : none,
    };
  }

  protected table(ctx: RenderContext): TableData {
    const T = maxTasks(ctx.compare);
    const score = ctx.view.score;
    return {
      caption: `Parameters and mean ${score === 'auroc' ? 'AUROC' : 'accuracy'} over the tasks so far, after each task, per run`,
      columns: ['run', 'method', ...Array.from({ length: T }, (_, i) => `task ${i + 1}`)],
      rows: ctx.compare.map((r, k) => {
        const c = capacityCurve(r, score);
        return [compareLabels(ctx.compare)[k], methodOf(r), ...Array.from({ length: T }, (_, i) => (c[i] ? `${c[i].params.toLocaleString('en-US')} · ${fmt(c[i].score, 4)}` : null))];
      }),
    };
  }
}
