// Chart 3: the drift ρ of every old unit in one task, a histogram per layer, with a line at σ and
// the count above it. σ is the experiment file's value, or the one being typed in the threshold
// panel, so the chart answers "which units would split at another σ" before anything is retrained;
// the σ the task was trained with is the dashed line.
import type { ChartDataset } from 'chart.js';
import { DRIFT_BINS, histogram, unitsAbove, type Split } from '../model';
import type { TableData } from '../tables';
import { ChartJsPanel, taskHeading, type Drawn, type PanelActions } from './chartPanel';
import { axis, baseOptions, markerFont, type VerticalMarker } from './chartSetup';
import type { RenderContext } from './context';
import { fmt } from '../../src/common/vocabulary';
import { withAlpha } from '../theme';

/** The σ the chart shows: the panel's / file's, else the one the task used. */
export function driftSigma(ctx: RenderContext, split: Split | null): number | null {
  return ctx.thresholds?.sigma ?? split?.sigma ?? null;
}

export class DriftChart extends ChartJsPanel {
  constructor(actions: PanelActions) {
    super('drift', 'Unit drift ρ and σ', actions);
  }

  protected override headingOf(ctx: RenderContext): string {
    return taskHeading(this.title, ctx);
  }

  protected draw(ctx: RenderContext): Drawn {
    const { theme } = ctx;
    const trace = ctx.task !== null ? ctx.run?.traces.get(ctx.task) : undefined;
    const split = trace?.split ?? null;
    const sigma = driftSigma(ctx, split);
    const drift = split?.drift ?? [];
    let maxRho = 0;
    for (const layer of drift) for (const rho of layer) if (rho > maxRho) maxRho = rho;
    const hi = Math.max(maxRho, sigma ?? 0, split?.sigma ?? 0) * 1.08 || 1;
    const { centers, counts } = histogram(drift, hi);
    const datasets: ChartDataset<'bar', { x: number; y: number }[]>[] = counts.map((c, l) => {
      const color = theme.layers[l % theme.layers.length];
      return {
        label: `layer ${l + 1} (${drift[l].length} units)`,
        data: c.map((y, i) => ({ x: centers[i], y })),
        parsing: false,
        backgroundColor: withAlpha(color, 0.75),
        borderColor: color,
        borderWidth: 1,
        barPercentage: 1,
        categoryPercentage: 0.9,
      };
    });
    const above = sigma !== null && split ? unitsAbove(split, sigma) : null;
    const splitCounts = split?.splitUnits.map((u) => u.length) ?? [];
    const vertical: VerticalMarker[] = [];
    if (sigma !== null && split) vertical.push({ x: sigma, label: `σ = ${fmt(sigma)}: [${above!.count.join(', ')}] units above`, color: theme.marker.sigma, publish: 'sigmaPx' });
    if (split && split.sigma !== sigma) vertical.push({ x: split.sigma, label: `σ trained = ${fmt(split.sigma)}: [${splitCounts.join(', ')}] split`, color: theme.muted, dash: [4, 3] });
    this.show({
      type: 'bar',
      data: { datasets },
      options: {
        ...baseOptions(theme),
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { type: 'linear', min: 0, max: hi, offset: false, ...axis(theme, 'drift ρ (L2 change of a unit’s incoming weights)') },
          y: { type: 'linear', beginAtZero: true, ...axis(theme, 'units') },
        },
        plugins: {
          ...baseOptions(theme).plugins,
          tooltip: {
            animation: false,
            callbacks: { title: (items) => (items[0] ? `ρ ${fmt((items[0].parsed.x ?? 0) - hi / DRIFT_BINS / 2, 3)} – ${fmt((items[0].parsed.x ?? 0) + hi / DRIFT_BINS / 2, 3)}` : '') },
          },
          denMarkers: { vertical, font: markerFont(theme) },
        },
      },
    });
    if (!split) {
      delete this.canvas.dataset.sigmaPx;
      const why = !trace ? 'No task selected.' : trace.task === 1 ? 'Task 1 trains the whole network: there is no drift to split on.' : trace.state === 'running' ? 'The split test runs after this task’s retraining.' : 'This task recorded no split test.';
      return { label: why, data: { task: trace?.task ?? null, points: 0, drawn: 0, sigma, sigmaUsed: null, above: null, split: null }, note: why };
    }
    const label =
      `Drift of the ${drift.map((l) => l.length).join(' and ')} old units per layer in task ${trace!.task}, largest ρ ${fmt(maxRho, 3)}. ` +
      `At σ ${fmt(sigma)}, [${above!.count.join(', ')}] units per layer are above; the task split [${splitCounts.join(', ')}] at σ ${fmt(split.sigma)}` +
      (split.skipped ? ` (${split.skipped})` : '') +
      '.';
    return {
      label,
      data: {
        task: trace!.task,
        points: drift.reduce((n, l) => n + l.length, 0),
        drawn: datasets.reduce((n, d) => n + d.data.length, 0),
        sigma,
        sigmaUsed: split.sigma,
        above: above!.count.join(','),
        split: splitCounts.join(','),
      },
      note: split.skipped ? `Split skipped: ${split.skipped}` : undefined,
    };
  }

  protected table(ctx: RenderContext): TableData {
    const trace = ctx.task !== null ? ctx.run?.traces.get(ctx.task) : undefined;
    const split = trace?.split ?? null;
    const sigma = driftSigma(ctx, split);
    if (!split || sigma === null) return { caption: 'No drift recorded for this task', columns: ['layer'], rows: [] };
    const above = unitsAbove(split, sigma);
    const list = (xs: number[]) => (xs.length > 60 ? `${xs.slice(0, 60).join(', ')} … (${xs.length})` : xs.join(', ') || 'none');
    return {
      caption: `Task ${trace!.task}: old units per layer, the units with ρ above σ = ${fmt(sigma)}, and those split at σ = ${fmt(split.sigma)}`,
      columns: ['layer', 'old units', 'largest ρ', `above σ ${fmt(sigma)}`, 'units above σ', `split at σ ${fmt(split.sigma)}`],
      rows: split.drift.map((layer, l) => [
        `layer ${l + 1}`,
        layer.length,
        layer.reduce((a, b) => Math.max(a, b), 0),
        above.count[l],
        list(above.units[l]),
        list(split.splitUnits[l] ?? []),
      ]),
    };
  }
}
