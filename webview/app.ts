// The dashboard page: header (run, task, score, status, export), the chart tabs and the threshold
// panel. It owns the models and the view state; the charts only draw what it hands them, at most
// once per animation frame however fast events arrive (the streamed loss at most every 100 ms).
import type { HostToWebview, RunRef, SweepFile, SweepRef, ThresholdValues, TrainingState } from '../src/common/protocol';
import { AccuracyChart, ParamsChart } from './charts/accuracyCharts';
import type { ChartPanel, PanelActions } from './charts/chartPanel';
import { CompareAccuracyChart, CompareCapacityChart, CompareDriftChart, CompareGrowthChart } from './charts/compareCharts';
import type { RenderContext } from './charts/context';
import { DriftChart } from './charts/driftChart';
import { ForgettingChart } from './charts/forgettingChart';
import { GrowthChart } from './charts/growthChart';
import { LineageChart } from './charts/lineageChart';
import { UnitsPanel } from './charts/unitsPanel';
import { LossChart } from './charts/lossChart';
import { SweepChart } from './charts/sweepChart';
import { h, setData } from './dom';
import { applyEvents, knownTasks, runFromSnapshot, settle, shownTask, type RunModel } from './model';
import { readTheme, watchTheme, type Theme } from './theme';
import { Pacer } from './pacer';
import { ThresholdPanel } from './thresholdPanel';
import { TABS, type Host, type TabId, type ViewState } from './vscodeApi';

type Select = HTMLElement & { value: string };
type MultiSelect = HTMLElement & { value: string[] };
type Msg<T extends HostToWebview['type']> = Extract<HostToWebview, { type: T }>;

/** Tabs with a chart that the Score picker (accuracy or AUROC) changes. */
const SCORED_TABS = new Set<TabId>(['forgetting', 'accuracy', 'compare']);

/**
 * Streamed loss points redraw the loss chart at most this often (the host sends a batch every 100 ms):
 * a backlog arriving at once is drawn a few times, not at every frame, which leaves the frames free.
 */
const STREAM_REDRAW_MS = 100;

const TAB_TITLES: Record<TabId, string> = { loss: 'Loss', growth: 'Growth', drift: 'Drift', forgetting: 'Forgetting', accuracy: 'Accuracy', units: 'Units', compare: 'Compare', sweep: 'Sweep' };

export class DashboardView {
  private view: ViewState;
  private theme: Theme = readTheme();
  private run: RunModel | null = null;
  private compare: RunModel[] = [];
  private runs: RunRef[] = [];
  private thresholds: ThresholdValues | null = null;
  private training: TrainingState = { running: false, runId: null, task: null };
  private sweeps: SweepRef[] = [];
  private sweep: (SweepRef & { sweep: SweepFile }) | null = null;
  private readonly thresholdPanel: ThresholdPanel;
  private readonly charts: Record<string, ChartPanel>;
  private readonly unitsPanel: UnitsPanel;
  private readonly byTab: Record<TabId, ChartPanel[]>;
  private readonly dirty = new Set<ChartPanel>();
  private frame = 0;
  private readonly lossStream: Pacer;
  private readonly root: HTMLElement;
  private readonly runPicker: Select;
  private readonly taskPicker: Select;
  private readonly scorePicker: Select;
  private readonly comparePicker: MultiSelect;
  /** The Score picker and its label: shown only on the tabs whose charts it changes. */
  private readonly scoreBox: HTMLElement;
  private readonly status: HTMLElement;
  private readonly tabs: HTMLElement & { selectedIndex: number };
  private messages = 0;
  private runsKey = '';
  private taskOptionsKey = '';

  constructor(
    mount: HTMLElement,
    private readonly host: Host,
  ) {
    this.view = host.loadState();
    const actions: PanelActions = {
      savePng: (chart, dataUrl) => this.host.post({ type: 'savePng', chart: this.pngName(chart), dataUrl }),
      setTableMode: (chart, on) => this.setView({ tables: on ? [...new Set([...this.view.tables, chart])] : this.view.tables.filter((c) => c !== chart) }),
    };
    const loss = new LossChart(actions, (on) => {
      this.setView({ logLoss: on });
      this.invalidate(this.charts.loss);
    });
    this.unitsPanel = new UnitsPanel(actions, (runId, task, layer) => this.host.post({ type: 'requestUnits', runId, task, layer }));
    this.charts = {
      loss,
      growth: new GrowthChart(actions),
      lineage: new LineageChart(actions),
      units: this.unitsPanel,
      drift: new DriftChart(actions),
      forgetting: new ForgettingChart(actions),
      accuracy: new AccuracyChart(actions),
      params: new ParamsChart(actions),
      'compare-capacity': new CompareCapacityChart(actions),
      'compare-growth': new CompareGrowthChart(actions),
      'compare-drift': new CompareDriftChart(actions),
      'compare-accuracy': new CompareAccuracyChart(actions),
      sweep: new SweepChart(actions, {
        selectSweep: (sweepId) => {
          if (sweepId !== this.sweep?.id) this.host.post({ type: 'selectSweep', sweepId });
        },
        setColorField: (field) => {
          if (field === this.view.sweepColor) return;
          this.setView({ sweepColor: field });
          this.invalidate(this.charts.sweep);
        },
        adopt: (pointId) => {
          if (this.sweep) this.host.post({ type: 'adoptSweepPoint', sweepId: this.sweep.id, pointId });
        },
        openRun: (pointId) => {
          if (!this.sweep) return;
          this.host.post({ type: 'openSweepRun', sweepId: this.sweep.id, pointId });
          this.selectTab('growth'); // the run's own charts
        },
      }),
    };
    const c = this.charts;
    this.lossStream = new Pacer(STREAM_REDRAW_MS, () => this.invalidate(c.loss), { now: () => performance.now(), setTimeout: (run, ms) => setTimeout(run, ms) });
    this.byTab = {
      loss: [c.loss],
      growth: [c.growth, c.lineage],
      drift: [c.drift],
      forgetting: [c.forgetting],
      accuracy: [c.accuracy, c.params],
      units: [c.units],
      compare: [c['compare-capacity'], c['compare-growth'], c['compare-drift'], c['compare-accuracy']],
      sweep: [c.sweep],
    };
    for (const id of this.view.tables) this.charts[id]?.setTableMode(true);

    this.thresholdPanel = new ThresholdPanel(
      (msg) => this.host.post(msg),
      () => this.invalidate(c.loss, c.drift),
    );

    this.runPicker = h('vscode-single-select', { id: 'run-picker', label: 'Run', 'data-action': 'run' }) as Select;
    this.runPicker.addEventListener('change', () => {
      const runId = this.runPicker.value;
      if (runId && runId !== this.run?.id) this.host.post({ type: 'selectRun', runId });
    });
    this.taskPicker = h('vscode-single-select', { id: 'task-picker', label: 'Task', 'data-action': 'task' }) as Select;
    this.taskPicker.addEventListener('change', () => {
      const task = this.taskPicker.value ? Number(this.taskPicker.value) : null;
      if (task === this.view.task) return;
      this.setView({ task });
      this.taskChanged();
    });
    this.scorePicker = h(
      'vscode-single-select',
      { id: 'score-picker', label: 'Score', 'data-action': 'score' },
      h('vscode-option', { value: 'accuracy' }, 'Accuracy'),
      h('vscode-option', { value: 'auroc' }, 'AUROC'),
    ) as Select;
    this.scorePicker.value = this.view.score;
    this.scorePicker.addEventListener('change', () => {
      const score = this.scorePicker.value === 'auroc' ? 'auroc' : 'accuracy';
      if (score === this.view.score) return;
      this.setView({ score });
      this.invalidate(c.forgetting, c.accuracy, c['compare-accuracy'], c['compare-capacity']);
    });
    this.comparePicker = h('vscode-multi-select', { id: 'compare-picker', label: 'Runs to compare', 'data-action': 'compare' }) as MultiSelect;
    // every toggle in the open list fires 'change': ask the host once the choice rests
    let compareTimer: ReturnType<typeof setTimeout> | undefined;
    this.comparePicker.addEventListener('change', () => {
      clearTimeout(compareTimer);
      compareTimer = setTimeout(() => {
        const runIds = this.comparePicker.value.filter(Boolean);
        this.setView({ compare: runIds });
        this.host.post({ type: 'compareRuns', runIds });
      }, 250);
    });
    this.status = h('p', { class: 'status', role: 'status' });
    this.scoreBox = h('div', { class: 'picker' }, h('vscode-label', { for: 'score-picker' }, 'Score'), this.scorePicker);
    this.scoreBox.hidden = !SCORED_TABS.has(this.view.tab);

    const exportCsv = h('vscode-button', { secondary: true, 'data-action': 'export-csv', title: 'Export the run’s metrics (per task, ACC/BWT/FWT/forgetting, R) as CSV' }, 'Export CSV');
    exportCsv.addEventListener('click', () => this.host.post({ type: 'exportMetrics', format: 'csv' }));
    const exportJson = h('vscode-button', { secondary: true, 'data-action': 'export-json', title: 'Export the run’s summary.json' }, 'Export JSON');
    exportJson.addEventListener('click', () => this.host.post({ type: 'exportMetrics', format: 'json' }));

    this.tabs = h('vscode-tabs', { 'selected-index': TABS.indexOf(this.view.tab), 'aria-label': 'Charts' }) as HTMLElement & { selectedIndex: number };
    for (const tab of TABS) {
      const content: Node[] = [];
      if (tab === 'compare') content.push(h('div', { class: 'compare-picker' }, h('vscode-label', { for: 'compare-picker' }, 'Runs to compare'), this.comparePicker));
      content.push(...this.byTab[tab].map((p) => p.section));
      this.tabs.append(h('vscode-tab-header', { 'data-tab': tab }, TAB_TITLES[tab]), h('vscode-tab-panel', { 'data-tab': tab }, ...content));
    }
    this.tabs.addEventListener('vsc-tabs-select', (e) => this.showTab(TABS[(e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex] ?? 'loss'));

    this.root = h(
      'div',
      { class: 'dashboard' },
      h(
        'header',
        { class: 'toolbar' },
        h('div', { class: 'picker' }, h('vscode-label', { for: 'run-picker' }, 'Run'), this.runPicker),
        h('div', { class: 'picker' }, h('vscode-label', { for: 'task-picker' }, 'Task'), this.taskPicker),
        this.scoreBox,
        this.status,
        h('div', { class: 'export' }, exportCsv, exportJson),
      ),
      h('div', { class: 'layout' }, h('main', { class: 'charts' }, this.tabs), this.thresholdPanel.element),
    );
    mount.replaceChildren(this.root);
    setData(this.root, { theme: this.theme.kind });
    watchTheme((theme) => {
      this.theme = theme;
      setData(this.root, { theme: theme.kind, themeChanges: Number(this.root.dataset.themeChanges ?? 0) + 1 });
      this.invalidate(...Object.values(this.charts));
    });
    this.renderStatus();
  }

  // ─── messages from the host ───────────────────────────────────────────────────────────────

  onSnapshot(msg: Msg<'snapshot'>): void {
    this.count('snapshot');
    this.runs = msg.runs;
    this.training = msg.training;
    this.run = msg.run ? runFromSnapshot(msg.run) : null;
    if (this.run) settle(this.run, this.training);
    this.compare = msg.compare.map((s) => {
      if (this.run && s.id === this.run.id) return this.run;
      const model = runFromSnapshot(s);
      settle(model, this.training);
      return model;
    });
    this.thresholds = msg.thresholds;
    this.thresholdPanel.update(msg.experimentFile, msg.thresholds, [], true);
    this.thresholdPanel.setTraining(this.training);
    this.setView({ runId: this.run?.id, compare: this.compare.map((r) => r.id) });
    this.fillRunPickers();
    this.taskChanged();
    this.invalidate(...Object.values(this.charts));
  }

  onEvents(msg: Msg<'events'>): void {
    this.count('events');
    const run = this.run;
    if (!run || msg.runId !== run.id) return;
    const before = shownTask(run, this.view.task);
    const changes = applyEvents(run, msg.events);
    const c = this.charts;
    const shown = shownTask(run, this.view.task);
    const inCompare = this.compare.includes(run);
    if (changes.taskList || shown !== before) this.taskChanged();
    else if (shown !== null) {
      if (changes.traces.has(shown)) this.lossStream.request();
      if (changes.splits.has(shown)) this.invalidate(c.drift, ...(inCompare ? [c['compare-drift']] : []));
    }
    if (changes.tasks) this.invalidate(c.growth, c.lineage, c.forgetting, c.accuracy, c.params, ...(inCompare ? [c['compare-capacity'], c['compare-growth'], c['compare-accuracy']] : []));
    this.renderStatus();
  }

  onRuns(msg: Msg<'runs'>): void {
    this.count('runs');
    this.runs = msg.runs;
    this.fillRunPickers();
  }

  onThresholds(msg: Msg<'thresholds'>): void {
    this.count('thresholds');
    if (msg.values) this.thresholds = msg.values;
    this.thresholdPanel.update(msg.experimentFile, msg.values, msg.problems, msg.valid);
  }

  onTraining(msg: Msg<'training'>): void {
    this.count('training');
    this.training = { running: msg.running, runId: msg.runId, task: msg.task };
    this.thresholdPanel.setTraining(this.training);
    if (this.run && settle(this.run, this.training)) this.taskChanged();
    this.renderStatus();
  }

  onSweep(msg: Msg<'sweep'>): void {
    this.count('sweep');
    this.sweeps = msg.sweeps;
    this.sweep = msg.shown;
    if (msg.reveal && this.view.tab !== 'sweep') this.selectTab('sweep');
    this.invalidate(this.charts.sweep);
  }

  onUnits(msg: Msg<'units'>): void {
    this.count('units');
    this.unitsPanel.setAnswer(msg);
  }

  // ─── view ─────────────────────────────────────────────────────────────────────────────────

  /** Switches to a tab from code (the tab strip's own clicks and keys come through showTab). */
  private selectTab(tab: TabId): void {
    this.tabs.selectedIndex = TABS.indexOf(tab);
    this.showTab(tab);
  }

  private showTab(tab: TabId): void {
    this.setView({ tab });
    this.scoreBox.hidden = !SCORED_TABS.has(tab);
    setData(this.root, { tab });
    this.invalidate(...this.byTab[tab]);
  }

  private setView(patch: Partial<ViewState>): void {
    this.view = { ...this.view, ...patch };
    this.host.saveState(this.view);
  }

  /** The task list, the shown task or the training state changed. */
  private taskChanged(): void {
    const run = this.run;
    const tasks = run ? knownTasks(run) : [];
    const shown = run ? shownTask(run, this.view.task) : null;
    const chosen = this.view.task !== null && tasks.includes(this.view.task) ? String(this.view.task) : '';
    // the first option follows the training or the last task, and says which task that is
    const follow = run?.current ? `Follow training (task ${run.current})` : tasks.length ? `Latest (task ${tasks[tasks.length - 1]})` : 'No task yet';
    const labels = [follow, ...tasks.map((t) => `task ${t} · ${run!.taskNames[t - 1] ?? ''}`)];
    const key = JSON.stringify([labels, chosen]);
    if (key !== this.taskOptionsKey) {
      this.taskOptionsKey = key;
      // the select reads its options (and which is selected) after they are slotted, so the choice is
      // marked on the option itself: a value set now would be lost when the new options arrive
      const values = ['', ...tasks.map(String)];
      this.taskPicker.replaceChildren(...values.map((value, i) => h('vscode-option', { value, selected: value === chosen }, labels[i])));
    }
    if (this.taskPicker.value !== chosen) this.taskPicker.value = chosen;
    setData(this.root, { task: shown, follow: this.view.task === null ? 'yes' : 'no' });
    const completed = run?.tasks.length ?? 0;
    this.thresholdPanel.setRetrainTask(shown !== null && shown <= completed ? shown : null);
    const c = this.charts;
    this.invalidate(c.loss, c.drift, c['compare-drift'], c.units);
    this.renderStatus();
  }

  private fillRunPickers(): void {
    const key = JSON.stringify(this.runs);
    if (key !== this.runsKey) {
      // rebuilt only when the list changed, so that an open list is not reset under the pointer
      this.runsKey = key;
      const option = (r: RunRef) => h('vscode-option', { value: r.id }, r.label);
      this.runPicker.replaceChildren(...(this.runs.length ? this.runs.map(option) : [h('vscode-option', { value: '' }, 'No runs yet')]));
      this.comparePicker.replaceChildren(...this.runs.map(option));
    }
    const runId = this.run?.id ?? '';
    if (this.runPicker.value !== runId) this.runPicker.value = runId;
    const compare = this.compare.map((r) => r.id);
    if (JSON.stringify(this.comparePicker.value) !== JSON.stringify(compare)) this.comparePicker.value = compare;
  }

  private renderStatus(): void {
    const run = this.run;
    let text: string;
    if (this.training.running) text = `Training task ${this.training.task ?? '…'}${this.training.runId === run?.id ? '' : ' of another run'}…`;
    else if (run?.error) text = `Stopped by an error: ${run.error}`;
    else if (run) text = `${run.tasks.length} of ${run.taskNames.length || '?'} tasks trained`;
    else text = 'No run yet: train the first task of an experiment.';
    if (this.status.textContent !== text) this.status.textContent = text;
    this.status.classList.toggle('error', !this.training.running && !!run?.error);
    setData(this.root, { run: run?.id ?? null, training: this.training.running ? 'yes' : 'no', tab: this.view.tab });
  }

  private count(type: HostToWebview['type']): void {
    this.messages++;
    setData(this.root, { messages: this.messages, last: type });
  }

  private pngName(chart: string): string {
    if (chart === 'sweep' && this.sweep) return `${this.sweep.sweep.name}-sweep-${this.sweep.sweep.id}`;
    const name = this.run?.summary?.name ?? 'den';
    const task = this.run ? shownTask(this.run, this.view.task) : null;
    return ['loss', 'drift', 'compare-drift'].includes(chart) && task !== null ? `${name}-${chart}-task${task}` : `${name}-${chart}`;
  }

  // ─── drawing ──────────────────────────────────────────────────────────────────────────────

  private invalidate(...panels: ChartPanel[]): void {
    for (const p of panels) this.dirty.add(p);
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  /**
   * Draws the dirty charts of the shown tab, and those of the other tabs in the next frame: a change
   * that touches charts on several tabs (a new task, a snapshot, the theme) spreads over two frames.
   */
  private flush(): void {
    this.frame = 0;
    const shown = this.byTab[this.view.tab].filter((p) => this.dirty.has(p));
    const panels = shown.length ? shown : [...this.dirty];
    for (const p of panels) this.dirty.delete(p);
    if (this.dirty.size) this.frame = requestAnimationFrame(() => this.flush());
    const ctx = this.context();
    for (const p of panels) p.render(ctx);
  }

  private context(): RenderContext {
    const preview = this.thresholdPanel.preview();
    return {
      run: this.run,
      compare: this.compare,
      task: this.run ? shownTask(this.run, this.view.task) : null,
      theme: this.theme,
      view: this.view,
      thresholds: preview ?? this.thresholds,
      sweeps: this.sweeps,
      sweep: this.sweep,
    };
  }
}
