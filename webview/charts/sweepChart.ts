// The Sweep tab: the shown sweep's quality against parameters, one point per done grid point,
// coloured by a grid field, the Pareto front as a line; a tooltip with every value; the table of
// every point. A point is chosen by clicking it or in the "Point" picker (the keyboard's way), and
// then offers "Adopt these values" (into the experiment file) and "Open run".
import type { ChartDataset } from 'chart.js';
import type { SweepRef } from '../../src/common/protocol';
import { fillSelect, h, setData } from '../dom';
import { sweepChartModel, sweepTableRows, type SweepChartPoint } from '../sweepModel';
import type { TableData } from '../tables';
import { withAlpha } from '../theme';
import { ChartJsPanel, type Drawn, type PanelActions } from './chartPanel';
import { axis, baseOptions } from './chartSetup';
import type { RenderContext } from './context';
import { fmt } from '../../src/common/vocabulary';

type Select = HTMLElement & { value: string };

export interface SweepActions {
  selectSweep(id: string): void;
  setColorField(field: string): void;
  adopt(pointId: string): void;
  openRun(pointId: string): void;
}

export class SweepChart extends ChartJsPanel {
  private readonly sweepPicker: Select;
  private readonly colorPicker: Select;
  private readonly pointPicker: Select;
  private readonly adopt: HTMLElement;
  private readonly openRun: HTMLElement;
  private readonly details: HTMLElement;
  private selected: string | null = null;
  /** The points drawn, dataset by dataset (for the click handler). */
  private drawn: SweepChartPoint[][] = [];

  constructor(actions: PanelActions, private readonly sweepActions: SweepActions) {
    super('sweep', 'Sweep: quality against parameters', actions, 'tall');
    this.sweepPicker = h('vscode-single-select', { id: 'sweep-picker', 'data-action': 'sweep', 'aria-label': 'Sweep' }) as Select;
    this.sweepPicker.addEventListener('change', () => this.sweepPicker.value && this.sweepActions.selectSweep(this.sweepPicker.value));
    this.colorPicker = h('vscode-single-select', { id: 'sweep-color', 'data-action': 'sweep-color', 'aria-label': 'Colour by' }) as Select;
    this.colorPicker.addEventListener('change', () => this.colorPicker.value && this.sweepActions.setColorField(this.colorPicker.value));
    this.pointPicker = h('vscode-single-select', { id: 'sweep-point', 'data-action': 'sweep-point', 'aria-label': 'Point' }) as Select;
    this.pointPicker.addEventListener('change', () => this.select(this.pointPicker.value || null));
    this.adopt = h('vscode-button', { 'data-action': 'adopt', disabled: true, title: 'Write this point’s values into the experiment file (one edit; Undo takes it back)' }, 'Adopt these values');
    this.adopt.addEventListener('click', () => this.selected && this.sweepActions.adopt(this.selected));
    this.openRun = h('vscode-button', { secondary: true, 'data-action': 'open-run', disabled: true, title: 'Show this point’s run in the dashboard' }, 'Open run');
    this.openRun.addEventListener('click', () => this.selected && this.sweepActions.openRun(this.selected));
    this.details = h('pre', { class: 'sweep-point', 'aria-live': 'polite' });
    this.tools.append(
      h('div', { class: 'picker' }, h('vscode-label', { for: 'sweep-picker' }, 'Sweep'), this.sweepPicker),
      h('div', { class: 'picker' }, h('vscode-label', { for: 'sweep-color' }, 'Colour by'), this.colorPicker),
    );
    this.extra.append(h('div', { class: 'sweep-actions' }, h('div', { class: 'picker' }, h('vscode-label', { for: 'sweep-point' }, 'Point'), this.pointPicker), this.adopt, this.openRun), this.details);
  }

  private select(id: string | null): void {
    this.selected = id;
    this.redraw();
  }

  protected draw(ctx: RenderContext): Drawn {
    const shown = ctx.sweep;
    const sweeps: SweepRef[] = ctx.sweeps;
    fillSelect(this.sweepPicker, sweeps.length ? sweeps.map((s) => ({ value: s.id, label: s.label })) : [{ value: '', label: 'No sweeps yet' }], shown?.id ?? '');
    if (!shown) {
      this.show({ type: 'line', data: { datasets: [] }, options: baseOptions(ctx.theme) });
      fillSelect(this.colorPicker, [], '');
      fillSelect(this.pointPicker, [], '');
      this.selected = null;
      this.setButtons(false);
      this.details.textContent = '';
      const note = 'No sweep to show: run DEN Lab: Sweep Thresholds… (or den-lab sweep), or open a sweep from the Runs tree.';
      return { label: note, data: { sweep: null, points: 0 }, note };
    }
    const model = sweepChartModel(shown.sweep, ctx.view.sweepColor);
    fillSelect(this.colorPicker, model.fields.map((f) => ({ value: f, label: f })), model.colorField ?? '');
    if (this.selected && !model.points.some((p) => p.id === this.selected)) this.selected = null;
    fillSelect(this.pointPicker, [{ value: '', label: 'Choose a point…' }, ...model.points.map((p) => ({ value: p.id, label: `${p.id}${p.pareto ? ' ★' : ''}` }))], this.selected ?? '');
    const theme = ctx.theme;
    const colorOf = (group: string) => theme.series[Math.max(0, model.groups.indexOf(group)) % theme.series.length];
    this.drawn = model.groups.map((g) => model.points.filter((p) => p.group === g));
    const datasets: ChartDataset<'line', { x: number; y: number }[]>[] = this.drawn.map((pts, i) => ({
      label: `${model.colorField} = ${model.groups[i]}`,
      data: pts.map((p) => ({ x: p.x, y: p.y })),
      parsing: false,
      showLine: false,
      borderColor: colorOf(model.groups[i]),
      backgroundColor: withAlpha(colorOf(model.groups[i]), 0.7),
      pointRadius: pts.map((p) => (p.id === this.selected ? 9 : p.pareto ? 6 : 4)),
      pointHoverRadius: 9,
      pointStyle: pts.map((p) => (p.pareto ? 'rectRot' : 'circle')),
      pointBorderWidth: pts.map((p) => (p.id === this.selected ? 3 : 1)),
      pointBorderColor: pts.map((p) => (p.id === this.selected ? theme.foreground : colorOf(p.group))),
    }));
    this.drawn.push(model.front);
    datasets.push({
      label: 'Pareto front',
      data: model.front.map((p) => ({ x: p.x, y: p.y })),
      parsing: false,
      borderColor: theme.foreground,
      backgroundColor: theme.foreground,
      borderDash: [6, 4],
      borderWidth: 1.5,
      pointRadius: 0,
      pointHitRadius: 0,
      stepped: false,
    });
    const chart = this.show({
      type: 'line',
      data: { datasets },
      options: {
        ...baseOptions(theme),
        interaction: { mode: 'nearest', intersect: true },
        onClick: (_e, elements) => {
          const hit = elements.find((el) => el.datasetIndex < this.drawn.length - 1);
          if (hit) this.select(this.drawn[hit.datasetIndex][hit.index]?.id ?? null);
        },
        plugins: {
          ...baseOptions(theme).plugins,
          tooltip: {
            animation: false,
            filter: (item) => item.datasetIndex < this.drawn.length - 1,
            callbacks: { title: () => '', label: (item) => this.drawn[item.datasetIndex]?.[item.dataIndex]?.lines ?? [] },
          },
        },
        scales: {
          // a margin, so that the extreme points are not drawn on the axes' edges
          x: { type: 'linear', grace: '4%', ...axis(theme, 'parameters') },
          y: { type: 'linear', grace: '4%', ...axis(theme, model.qualityLabel) },
        },
      },
    });
    // where each point is drawn (canvas pixels), for the tests that click one
    const at = this.drawn.slice(0, -1).flatMap((pts, i) => pts.map((p, j) => {
      const el = chart.getDatasetMeta(i).data[j];
      return el ? `${p.id}:${el.x.toFixed(1)},${el.y.toFixed(1)}` : '';
    }));
    const point = model.points.find((p) => p.id === this.selected);
    this.details.textContent = point ? point.lines.join('\n') : '';
    this.setButtons(point !== undefined);
    const c = model.counts;
    const status = `${c.done} of ${shown.sweep.points.length} points done${c.running ? `, ${c.running} running` : ''}${c.pending ? `, ${c.pending} waiting` : ''}${c.failed ? `, ${c.failed} failed` : ''}${c.cancelled ? `, ${c.cancelled} cancelled` : ''}`;
    const best = model.front[model.front.length - 1];
    return {
      label: `${shown.label}: ${status}. ${model.qualityLabel} against parameters${best ? `; the best point, ${best.id}, has ${fmt(best.y, 4)} with ${best.x.toLocaleString('en-US')} parameters` : ''}; ${model.front.length} point(s) on the Pareto front.`,
      data: {
        sweep: shown.id,
        points: model.points.length,
        front: model.front.map((p) => p.id).join(','),
        colorField: model.colorField,
        groups: model.groups.join('|'),
        quality: model.quality,
        selected: this.selected,
        at: at.filter(Boolean).join('|'),
        done: c.done,
        running: c.running,
        failed: c.failed,
      },
      note: model.points.length ? status : `${status}: the chart shows points as they finish.`,
    };
  }

  private setButtons(on: boolean): void {
    for (const b of [this.adopt, this.openRun]) {
      if (on) b.removeAttribute('disabled');
      else b.setAttribute('disabled', '');
    }
    setData(this.section, { selected: this.selected });
  }

  protected table(ctx: RenderContext): TableData {
    if (!ctx.sweep) return { caption: 'No sweep', columns: [], rows: [] };
    const { columns, rows } = sweepTableRows(ctx.sweep.sweep);
    return { caption: `${ctx.sweep.label}: every point of the grid`, columns, rows };
  }
}
