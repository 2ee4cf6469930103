// Unit lineage of one hidden layer: its units by the task that created them, stacked over the
// completed tasks (an area per birth task), a mark where a task's split copies were made, and for a
// chosen group which tasks read it and what it is made of.
import type { ChartDataset } from 'chart.js';
import { fillSelect, h } from '../dom';
import { lineageModel, readersOf, type LineageModel } from '../lineageModel';
import type { TableData } from '../tables';
import { withAlpha } from '../theme';
import { ChartJsPanel, type Drawn, type PanelActions } from './chartPanel';
import { axis, baseOptions } from './chartSetup';
import type { RenderContext } from './context';

type Select = HTMLElement & { value: string };

export class LineageChart extends ChartJsPanel {
  private readonly layerPicker: Select;
  private readonly groupPicker: Select;
  private readonly details: HTMLElement;
  private layer = 0;
  /** The chosen birth task (null: none). */
  private group: number | null = null;
  private shownBands: number[] = [];

  constructor(actions: PanelActions) {
    super('lineage', 'Unit lineage', actions);
    this.layerPicker = h('vscode-single-select', { id: 'lineage-layer', 'data-action': 'lineage-layer', 'aria-label': 'Layer' }) as Select;
    this.layerPicker.addEventListener('change', () => {
      this.layer = Number(this.layerPicker.value) || 0;
      this.redraw();
    });
    this.groupPicker = h('vscode-single-select', { id: 'lineage-group', 'data-action': 'lineage-group', 'aria-label': 'Units born in' }) as Select;
    this.groupPicker.addEventListener('change', () => {
      this.group = this.groupPicker.value ? Number(this.groupPicker.value) : null;
      this.redraw();
    });
    this.details = h('p', { class: 'lineage-group', 'aria-live': 'polite' });
    this.tools.append(h('div', { class: 'picker' }, h('vscode-label', { for: 'lineage-layer' }, 'Layer'), this.layerPicker));
    this.extra.append(h('div', { class: 'picker' }, h('vscode-label', { for: 'lineage-group' }, 'Units born in'), this.groupPicker), this.details);
  }

  private model(ctx: RenderContext): LineageModel {
    const tasks = ctx.run?.tasks ?? [];
    const layers = Math.max(1, ...tasks.map((t) => t.lineage?.length ?? 0));
    if (this.layer >= layers) this.layer = 0;
    fillSelect(this.layerPicker, Array.from({ length: layers }, (_, l) => ({ value: String(l), label: `layer ${l + 1}` })), String(this.layer));
    return lineageModel(tasks, this.layer);
  }

  protected draw(ctx: RenderContext): Drawn {
    const { theme } = ctx;
    const m = this.model(ctx);
    const labels = m.tasks.map((t) => `task ${t}`);
    const colorOf = (i: number) => theme.series[i % theme.series.length];
    if (this.group !== null && !m.bands.some((b) => b.born === this.group)) this.group = null;
    fillSelect(this.groupPicker, [{ value: '', label: 'Choose a group…' }, ...m.bands.map((b) => ({ value: String(b.born), label: `task ${b.born}` }))], this.group === null ? '' : String(this.group));
    this.shownBands = m.bands.map((b) => b.born);
    const datasets: ChartDataset<'line', (number | null)[]>[] = m.bands.map((b, i) => ({
      label: `born in task ${b.born}`,
      data: b.units,
      stack: 'units',
      fill: i === 0 ? 'origin' : '-1',
      borderColor: colorOf(i),
      backgroundColor: withAlpha(colorOf(i), this.group === null || this.group === b.born ? 0.55 : 0.15),
      borderWidth: this.group === b.born ? 3 : 1,
      pointRadius: 2,
      spanGaps: false,
    }));
    // split copies: a triangle at the top of the band of the task that made them
    const top = (bandIndex: number, ti: number) => m.bands.slice(0, bandIndex + 1).reduce((a, b) => a + (b.units[ti] ?? 0), 0);
    const marks = m.tasks.map((t, ti) => {
      const i = m.bands.findIndex((b) => b.born === t);
      return i >= 0 && (m.bands[i].copies[ti] ?? 0) > 0 ? top(i, ti) : null;
    });
    const copyCount = m.tasks.map((t, ti) => m.bands.find((b) => b.born === t)?.copies[ti] ?? 0);
    datasets.push({
      label: 'split copies made',
      data: marks,
      stack: 'marks',
      showLine: false,
      pointStyle: 'triangle',
      pointRadius: 7,
      borderColor: theme.marker.split,
      backgroundColor: theme.marker.split,
    });
    this.show({
      type: 'line',
      data: { labels, datasets },
      options: {
        ...baseOptions(theme),
        interaction: { mode: 'nearest', intersect: false },
        scales: {
          x: { type: 'category', ...axis(theme, 'after task') },
          y: { type: 'linear', stacked: true, beginAtZero: true, ...axis(theme, `units of layer ${this.layer + 1}`) },
        },
        onClick: (_e, elements) => {
          const hit = elements.find((el) => el.datasetIndex < this.shownBands.length);
          if (!hit) return;
          this.group = this.shownBands[hit.datasetIndex];
          this.redraw();
        },
        plugins: {
          ...baseOptions(theme).plugins,
          tooltip: {
            animation: false,
            callbacks: {
              label: (item) => {
                if (item.datasetIndex >= m.bands.length) return `${copyCount[item.dataIndex]} split copies made in task ${m.tasks[item.dataIndex]}`;
                const b = m.bands[item.datasetIndex];
                const copies = b.copies[item.dataIndex];
                return `born in task ${b.born}: ${b.units[item.dataIndex]} units${copies === null ? ' (copies unknown)' : copies ? ` (${copies} copies)` : ''}`;
              },
            },
          },
        },
      },
    });
    const last = m.tasks[m.tasks.length - 1];
    this.details.textContent = this.describe(ctx, m);
    const data = {
      layer: this.layer + 1,
      tasks: m.tasks.join(','),
      groups: m.bands.map((b) => b.born).join(','),
      totals: m.totals.join(','),
      copyMarks: copyCount.map((c, ti) => (marks[ti] === null ? 0 : c)).join(','),
      group: this.group,
      readers: this.group === null || last === undefined ? null : Object.values(readersOf(this.group, last, ctx.run?.summary?.method !== 'den-no-timestamps', this.layer === m.layers - 1)).join('-'),
    };
    if (!m.tasks.length) {
      const note = ctx.run?.tasks.length ? 'This run was trained before DEN Lab recorded unit lineage (or its method has a network per task).' : 'The lineage appears when the first task completes.';
      return { label: note, data, note };
    }
    return {
      label:
        `Units of hidden layer ${this.layer + 1} by the task that created them, after tasks ${m.tasks[0]}–${last}: ` +
        m.bands.map((b) => `born in task ${b.born}: ${b.latest.units} units${b.latest.copies ? ` (${b.latest.copies} copies)` : ''}`).join('; ') +
        '.',
      data,
    };
  }

  /** What the chosen group is: its units, copies and their originals, pruning, and its readers. */
  private describe(ctx: RenderContext, m: LineageModel): string {
    const band = m.bands.find((b) => b.born === this.group);
    const last = m.tasks[m.tasks.length - 1];
    if (!band || last === undefined) return m.bands.length ? 'Click an area (or choose a group) to see which tasks read its units.' : '';
    const g = band.latest;
    const r = readersOf(g.born, last, ctx.run?.summary?.method !== 'den-no-timestamps', this.layer === m.layers - 1);
    const parts = [`Born in task ${g.born}: ${g.units} ${g.units === 1 ? 'unit' : 'units'} of layer ${this.layer + 1} after task ${last}.`];
    if (g.copies === null) parts.push('Which of them are split copies is unknown (trained before lineage was recorded).');
    else if (g.copiesOf?.length) parts.push(`${g.copies} split ${g.copies === 1 ? 'copy' : 'copies'} of unit${g.copiesOf.length === 1 ? '' : 's'} ${g.copiesOf.map((o) => o + 1).join(', ')}.`);
    if (g.pruned) parts.push(`The group lasso removed ${g.pruned} of the units task ${g.born} added.`);
    parts.push(r.from === r.to ? `Read by task ${r.from}.` : `Read by tasks ${r.from}–${r.to}.`);
    return parts.join(' ');
  }

  protected table(ctx: RenderContext): TableData {
    const m = lineageModel(ctx.run?.tasks ?? [], this.layer);
    return {
      caption: `Units of hidden layer ${this.layer + 1} by birth task after each task, with split copies and pruned units`,
      columns: ['after task', 'born in task', 'units', 'split copies', 'pruned in its task'],
      rows: m.tasks.flatMap((t, ti) =>
        m.bands.filter((b) => b.units[ti] !== null).map((b) => [t, b.born, b.units[ti]!, b.copies[ti] ?? 'unknown', b.latest.pruned]),
      ),
    };
  }
}
