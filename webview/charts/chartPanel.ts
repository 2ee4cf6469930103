// One chart on the page: a titled section with its canvas (role img, an accessible name that states
// what it shows), a "Show as table" alternative, "Save PNG", and data-* attributes with the numbers
// it draws (points, markers, thresholds) for the tests and the VS Code harness.
import type { ChartConfiguration } from 'chart.js';
import { h, setData } from '../dom';
import { renderTable, type TableData } from '../tables';
import { Chart } from './chartSetup';
import type { RenderContext } from './context';

export interface PanelActions {
  savePng(chart: string, dataUrl: string): void;
  setTableMode(chart: string, on: boolean): void;
}

/** What a panel's draw step reports. */
export interface Drawn {
  /** The canvas's accessible name: what the chart shows, in a sentence or two. */
  label: string;
  /** data-* attributes of the canvas. */
  data: Record<string, string | number | null>;
  /** A short visible note under the chart (e.g. why it is empty). */
  note?: string;
}

export abstract class ChartPanel {
  readonly section: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  /** Controls of this chart next to the standard ones. */
  protected readonly tools: HTMLElement;
  /** Extra content under the chart (e.g. the metrics next to the heatmap). */
  protected readonly extra: HTMLElement;
  private readonly canvasBox: HTMLElement;
  private readonly tableBox: HTMLElement;
  private readonly note: HTMLElement;
  private readonly tableToggle: HTMLElement & { checked: boolean };
  private tableMode = false;
  private last: RenderContext | null = null;

  constructor(
    readonly id: string,
    readonly title: string,
    private readonly actions: PanelActions,
    size: 'tall' | 'short' | 'scroll' = 'tall',
  ) {
    const headingId = `${id}-title`;
    const noteId = `${id}-note`;
    this.canvas = h('canvas', { id: `${id}-chart`, role: 'img', 'data-chart': id, 'aria-describedby': noteId });
    this.canvasBox = h('div', { class: `chart-canvas ${size}` }, this.canvas);
    this.tableBox = h('div', { class: 'chart-table', hidden: true, tabindex: 0, role: 'region', 'aria-label': `${title} as a table` });
    this.note = h('p', { class: 'chart-note', id: noteId });
    this.tableToggle = h('vscode-checkbox', { 'data-action': 'table' }, 'Show as table') as HTMLElement & { checked: boolean };
    this.tableToggle.addEventListener('change', () => {
      this.setTableMode(this.tableToggle.checked);
      this.actions.setTableMode(this.id, this.tableMode);
    });
    const save = h('vscode-button', { secondary: true, 'data-action': 'png', title: `Save “${title}” as PNG` }, 'Save PNG');
    save.addEventListener('click', () => this.actions.savePng(this.id, this.png()));
    this.tools = h('div', { class: 'chart-tools-own' });
    this.extra = h('div', { class: 'chart-extra' });
    this.section = h(
      'section',
      { class: 'chart', id: `${id}-section`, 'aria-labelledby': headingId },
      h('div', { class: 'chart-head' }, h('h2', { id: headingId }, title), h('div', { class: 'chart-tools' }, this.tools, this.tableToggle, save)),
      this.canvasBox,
      this.tableBox,
      this.note,
      this.extra,
    );
  }

  setTableMode(on: boolean): void {
    this.tableMode = on;
    this.tableToggle.checked = on;
    this.canvasBox.hidden = on;
    this.tableBox.hidden = !on;
    if (on && this.last) renderTable(this.tableBox, this.table(this.last));
  }

  /** Redraws from the context (cheap enough to run for every batch of events). */
  render(ctx: RenderContext): void {
    this.last = ctx;
    const drawn = this.draw(ctx);
    this.canvas.setAttribute('aria-label', `${this.title}. ${drawn.label}`);
    setData(this.canvas, { ...drawn.data, theme: ctx.theme.kind, renders: Number(this.canvas.dataset.renders ?? 0) + 1 });
    this.note.textContent = drawn.note ?? '';
    this.note.hidden = !drawn.note;
    if (this.tableMode) renderTable(this.tableBox, this.table(ctx));
  }

  /** Draws again from the last context (after a change of the panel's own controls). */
  protected redraw(): void {
    if (this.last) this.render(this.last);
  }

  /** The chart as a PNG data URL (the theme background is painted in). */
  png(): string {
    return this.canvas.toDataURL('image/png');
  }

  protected abstract draw(ctx: RenderContext): Drawn;
  protected abstract table(ctx: RenderContext): TableData;
}

/** A panel drawn by chart.js. */
export abstract class ChartJsPanel extends ChartPanel {
  protected chart: Chart | null = null;

  /** Creates the chart, or updates it in place without animation. */
  protected show(config: ChartConfiguration): Chart {
    const chart = this.chart;
    if (chart && (chart.config as ChartConfiguration).type === config.type) {
      chart.data = config.data;
      chart.options = config.options ?? {};
      chart.update('none');
      return chart;
    }
    chart?.destroy();
    this.chart = new Chart(this.canvas, config);
    return this.chart;
  }
}
