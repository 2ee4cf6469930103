// Chart 2: network growth: units per hidden layer after each task (lines), with the units added,
// split and pruned per task (bars, summed over layers; per layer in the table and the tooltip).
import type { ChartDataset } from 'chart.js';
import type { TableData } from '../tables';
import { ChartJsPanel, type Drawn, type PanelActions } from './chartPanel';
import { axis, baseOptions } from './chartSetup';
import type { RenderContext } from './context';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

export class GrowthChart extends ChartJsPanel {
  constructor(actions: PanelActions) {
    super('growth', 'Network growth', actions);
  }

  protected draw(ctx: RenderContext): Drawn {
    const { theme } = ctx;
    const run = ctx.run;
    const tasks = run?.tasks ?? [];
    const hasStart = (run?.hidden.length ?? 0) > 0;
    const labels = [...(hasStart ? ['start'] : []), ...tasks.map((t) => `task ${t.index}`)];
    const layers = Math.max(run?.hidden.length ?? 0, ...tasks.map((t) => t.units.length));
    const datasets: ChartDataset<'bar' | 'line', number[]>[] = [];
    for (let l = 0; l < layers; l++) {
      const color = theme.layers[l % theme.layers.length];
      datasets.push({
        type: 'line',
        label: `layer ${l + 1} units`,
        data: [...(hasStart ? [run!.hidden[l] ?? 0] : []), ...tasks.map((t) => t.units[l] ?? 0)],
        borderColor: color,
        backgroundColor: color,
        pointRadius: 3,
        yAxisID: 'y',
        order: 0,
      });
    }
    const pad = (xs: number[]) => [...(hasStart ? [0] : []), ...xs];
    const bars: [string, (t: (typeof tasks)[number]) => number, string][] = [
      ['added', (t) => sum(t.added), theme.marker.expansion],
      ['split', (t) => sum(t.split), theme.marker.split],
      ['pruned', (t) => -sum(t.pruned), theme.marker.prune],
    ];
    for (const [label, value, color] of bars) {
      datasets.push({ type: 'bar', label: `${label} (all layers)`, data: pad(tasks.map(value)), backgroundColor: color, borderColor: color, yAxisID: 'change', order: 1 });
    }
    this.show({
      type: 'bar',
      data: { labels, datasets: datasets as ChartDataset<'bar'>[] },
      options: {
        ...baseOptions(theme),
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { type: 'category', ...axis(theme, 'after task') },
          // two panes over one x axis: units on top, the changes per task below
          change: { type: 'linear', position: 'left', stack: 'growth', stackWeight: 1, grace: '10%', ...axis(theme, 'change') },
          y: { type: 'linear', position: 'left', stack: 'growth', stackWeight: 1.6, beginAtZero: true, ...axis(theme, 'units per layer') },
        },
        plugins: {
          ...baseOptions(theme).plugins,
          tooltip: {
            animation: false,
            callbacks: {
              afterBody: (items) => {
                const i = items[0]?.dataIndex - (hasStart ? 1 : 0);
                const t = tasks[i];
                return t ? [`added [${t.added.join(', ')}]  split [${t.split.join(', ')}]  pruned [${t.pruned.join(', ')}]`] : [];
              },
            },
          },
        },
      },
    });
    const last = tasks[tasks.length - 1];
    return {
      label: last
        ? `Units per hidden layer from [${run!.hidden.join(', ')}] to [${last.units.join(', ')}] over ${tasks.length} tasks; ` +
          tasks.map((t) => `task ${t.index}: +${sum(t.added)} added, ${sum(t.split)} split, −${sum(t.pruned)} pruned`).join('; ') +
          '.'
        : 'No completed task yet.',
      data: { tasks: tasks.length, layers, points: tasks.length ? datasets.reduce((n, d) => n + d.data.length, 0) : 0, units: last?.units.join(',') ?? run?.hidden.join(',') ?? '' },
      note: last ? undefined : 'The growth appears when the first task completes.',
    };
  }

  protected table(ctx: RenderContext): TableData {
    const tasks = ctx.run?.tasks ?? [];
    const list = (xs: number[]) => xs.join(', ');
    return {
      caption: 'Units per hidden layer after each task, and the units added, split and pruned per layer',
      columns: ['task', 'units', 'added', 'split', 'pruned', 'expanded', 'parameters'],
      rows: tasks.map((t) => [`${t.index} ${t.name}`, list(t.units), list(t.added), list(t.split), list(t.pruned), t.expanded ? 'yes' : 'no', t.params]),
    };
  }
}
