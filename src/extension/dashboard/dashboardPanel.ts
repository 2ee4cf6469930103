// The dashboard panel (host side): one webview panel, restored after a reload, fed a full snapshot
// of the selected run when the page says 'ready' (it does whenever it is shown: a hidden webview is
// destroyed) or a run is selected, and small batches of new events after that: live from the
// trainer, or read from the run's log (only its appended bytes) when another process writes it.
// The Sweep tab gets the shown sweep's sweep.json, read afresh whenever the workspace's files
// change (or a sweep this window runs reports), and sent when it changed.
// The webview names runs and sweeps by the ids of the host's index and never by path; every message from it
// is checked to the leaf and a malformed one is dropped and logged. The page loads only the
// extension's own script and style under a strict Content-Security-Policy.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { samePath } from '../../engine/run/runPaths';
import type { DenEvent, HostToWebview, RunRef, RunSnapshot, SweepRef, ThresholdValues, TrainingState, WebviewToHost } from '../../common/protocol';
import { checkWebviewToHost } from '../../common/protocolGuards';
import { isExperimentFile } from '../experimentEditor';
import { findRun, RunEntry, runById, runIdOf, runLabel, runsOfExperiment } from '../../common/runIndex';
import type { TrainingService } from '../training';
import type { WorkspaceRuns } from '../workspaceRuns';
import { dashboardHtml } from '../../common/dashboard/dashboardHtml';
import { EventCache } from '../../common/dashboard/eventCache';
import { editThreshold, readThresholds } from '../../common/dashboard/thresholdEdits';
import { thresholdPath } from '../../common/vocabulary';
import { metricsCsv } from '../../common/dashboard/metricsExport';
import { pointRunDir, readSweepEntry, SweepEntry, sweepLabel } from '../../common/sweepIndex';
import { adoptEdits } from '../../common/dashboard/adoptEdit';
import { unitsMessage } from '../../common/dashboard/unitsMessage';

export const DASHBOARD_VIEW_TYPE = 'denLab.dashboard';
const BATCH_MS = 100;

/** What the webview keeps with setState (webview/vscodeApi.ts ViewState) that the host reads back. */
interface PanelState {
  runId?: unknown;
  compare?: unknown;
}

export class Dashboard implements vscode.WebviewPanelSerializer<PanelState>, vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  /** The run shown and the runs compared, as folders (the webview knows their ids). */
  private runDir: string | undefined;
  private compare: string[] = [];
  /** The sweep of the Sweep tab, as a folder (the webview knows its id). */
  private sweepDir: string | undefined;
  private sweepKey = '';
  private revealSweep = false;
  /**
   * Whether the page has said 'ready' since it was (re)loaded. Until then nothing is posted: a
   * message to a page that is not listening yet is lost (a sweep's reveal with it), and 'ready'
   * gets everything afresh anyway.
   */
  private pageReady = false;
  private queue: DenEvent[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly eventLogs = new EventCache();
  private runsKey = '';
  private readonly disposables: vscode.Disposable[] = [];
  private panelDisposables: vscode.Disposable[] = [];
  /** Messages posted to the webview (kept for the tests in the real extension host). */
  readonly sent: HostToWebview[] = [];
  private readonly received = new vscode.EventEmitter<WebviewToHost>();
  /** Valid messages from the webview (for tests). */
  readonly onDidReceive = this.received.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runs: WorkspaceRuns,
    private readonly training: TrainingService,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      this.received,
      vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, this),
      training.onEvent((e) => this.onTrainingEvent(e)),
      training.onDidChangeState(() => void this.onTrainingState()),
      runs.onDidChange(() => void this.onRunsChanged()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (this.panel && e.document.uri.fsPath === this.experimentFile()) this.sendThresholds(e.document.getText());
      }),
    );
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  get selectedRun(): string | undefined {
    return this.runDir;
  }

  /** Opens (or reveals) the dashboard, optionally on a run. */
  async open(runDir?: string): Promise<void> {
    if (runDir) this.runDir = runDir;
    if (this.panel) {
      this.panel.reveal();
      if (runDir) await this.sendSnapshot();
      return;
    }
    // beside the editor (the experiment file the threshold panel edits stays in view); with no editor, where the user is
    const column = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'DEN Dashboard', column, this.webviewOptions());
    this.attach(panel);
  }

  /** Opens the dashboard on the Sweep tab with this sweep. */
  async openSweep(sweepDir: string): Promise<void> {
    this.sweepDir = sweepDir;
    this.revealSweep = true;
    if (this.panel) {
      this.panel.reveal();
      this.sendSweep();
      return;
    }
    // the page says 'ready' once loaded and gets the sweep (revealed) then
    await this.open();
  }

  /** A sweep's sweep.json changed (e.g. a point of the sweep this window runs ended): show it, and this sweep if none is shown. */
  sweepChanged(sweepDir: string): void {
    if (!this.sweepDir || !fs.existsSync(this.sweepDir)) this.sweepDir = sweepDir;
    if (this.panel && samePath(this.sweepDir, sweepDir)) this.sendSweep();
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: PanelState | undefined): Promise<void> {
    await this.runs.ready();
    const known = (id: unknown) => (typeof id === 'string' ? runById(this.runs.topLevel, id)?.dir : undefined);
    this.runDir = known(state?.runId);
    this.compare = Array.isArray(state?.compare) ? state.compare.map(known).filter((d): d is string => d !== undefined) : [];
    panel.webview.options = this.webviewOptions();
    this.attach(panel);
  }

  private webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(this.extensionUri, 'media')],
    };
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.pageReady = false;
    // tab icons are drawn as they are (currentColor would be black on a dark theme)
    panel.iconPath = { light: vscode.Uri.joinPath(this.extensionUri, 'media', 'den-light.svg'), dark: vscode.Uri.joinPath(this.extensionUri, 'media', 'den-dark.svg') };
    panel.webview.html = this.html(panel.webview);
    this.panelDisposables = [
      // no snapshot on a change of view state: a hidden webview is destroyed (retainContextWhenHidden
      // false) and, shown again, it loads afresh and says 'ready'
      panel.webview.onDidReceiveMessage((msg: unknown) => void this.receive(msg)),
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.panelDisposables.forEach((d) => d.dispose());
        this.panelDisposables = [];
      }),
    ];
  }

  private html(webview: vscode.Webview): string {
    return dashboardHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview', 'dashboard.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'dashboard.css')).toString(),
    });
  }

  private post(msg: HostToWebview): void {
    if (!this.panel || !this.pageReady) return;
    this.sent.push(msg);
    if (this.sent.length > 200) this.sent.splice(0, this.sent.length - 200);
    void this.panel.webview.postMessage(msg);
  }

  private trainingState(): TrainingState {
    const dir = this.training.running ? this.training.status.runDir : null;
    return { running: this.training.running, runId: dir ? runIdOf(dir) : null, task: this.training.status.task };
  }

  private runRefs(): RunRef[] {
    return this.runs.everyRun.map((r) => ({ id: r.id, label: runLabel(r) }));
  }

  /** Whether this window's trainer writes the run at `dir` (its events come live, not from its log). */
  private trainsHere(dir: string): boolean {
    return this.training.running && this.training.status.runDir !== null && samePath(this.training.status.runDir, dir);
  }

  /** The experiment file whose thresholds the panel shows: the selected run's, else the active editor's. */
  private experimentFile(): string | undefined {
    const run = this.runDir ? findRun(this.runs.topLevel, this.runDir) : undefined;
    if (run?.summary?.experimentFile) return run.summary.experimentFile;
    const active = vscode.window.activeTextEditor?.document;
    if (active && isExperimentFile(active)) return active.fileName;
    return this.runs.experimentFiles[0]?.fsPath;
  }

  private sweepRefs(): SweepRef[] {
    return this.runs.sweeps.map((e) => ({ id: e.id, label: sweepLabel(e) }));
  }

  /** The Sweep tab's data (sweep.json read afresh); posted only when it changed, or to reveal the tab. */
  private sendSweep(): void {
    if (!this.panel || !this.pageReady) return; // keeps a pending reveal for the page's 'ready'
    if (!this.sweepDir || !fs.existsSync(this.sweepDir)) {
      const file = this.experimentFile();
      const ofFile = file ? this.runs.sweeps.find((e) => e.sweep && samePath(e.sweep.experimentFile, file)) : undefined;
      this.sweepDir = (ofFile ?? this.runs.sweeps[0])?.dir;
    }
    const entry = this.sweepDir ? readSweepEntry(this.sweepDir) : undefined;
    if (entry?.problem) this.log.warn(`dashboard: ${entry.problem}`);
    const shown = entry?.sweep ? { id: entry.id, label: sweepLabel(entry), sweep: entry.sweep } : null;
    const sweeps = this.sweepRefs();
    if (shown && !sweeps.some((s) => s.id === shown.id)) sweeps.unshift({ id: shown.id, label: shown.label }); // not indexed yet
    const key = JSON.stringify([sweeps, shown]);
    if (key === this.sweepKey && !this.revealSweep) return;
    this.sweepKey = key;
    this.post({ type: 'sweep', sweeps, shown, reveal: this.revealSweep });
    this.revealSweep = false;
  }

  /** A sweep by the id the webview sent: the indexed ones and the one shown; an unknown id is logged and ignored. */
  private knownSweep(id: string): SweepEntry | undefined {
    const dir = this.runs.sweeps.find((e) => e.id === id)?.dir ?? (this.sweepDir && readSweepEntry(this.sweepDir).id === id ? this.sweepDir : undefined);
    if (!dir) this.log.warn(`dashboard: ignored a request for sweep '${id}', which is not in the workspace's sweeps`);
    return dir ? readSweepEntry(dir) : undefined;
  }

  private experimentText(file: string): string | undefined {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
    if (doc) return doc.getText();
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  }

  private async snapshotOf(runDir: string): Promise<RunSnapshot | null> {
    const run = findRun(this.runs.topLevel, runDir);
    const { events } = await this.eventLogs.read(runDir);
    if (!run && events.length === 0) return null;
    return { id: runIdOf(runDir), label: run ? runLabel(run) : path.basename(runDir), summary: run?.summary ?? null, events };
  }

  private async sendSnapshot(): Promise<void> {
    await this.runs.ready();
    if (!this.runDir || !fs.existsSync(this.runDir)) {
      const file = this.experimentFile();
      this.runDir = (file && runsOfExperiment(this.runs.topLevel, file)[0]?.dir) ?? this.runs.everyRun[0]?.dir;
    }
    this.queue = [];
    this.sweepKey = ''; // a page that says 'ready' has no sweep yet
    const file = this.experimentFile();
    const reading = file ? readThresholds(this.experimentText(file) ?? '', path.basename(file)) : null;
    const runs = this.runRefs();
    this.runsKey = JSON.stringify(runs);
    const compare = await Promise.all(this.compare.map((d) => this.snapshotOf(d)));
    this.post({
      type: 'snapshot',
      runs,
      run: this.runDir ? await this.snapshotOf(this.runDir) : null,
      compare: compare.filter((s): s is RunSnapshot => s !== null),
      experimentFile: file ?? null,
      thresholds: reading?.values ?? null,
      training: this.trainingState(),
    });
    // an invalid file: its problems next to its fields, and training refused until it is fixed
    if (file && reading?.problems.length) this.post({ type: 'thresholds', experimentFile: file, ...reading, valid: false });
    this.sendSweep();
  }

  /** Runs were re-read: a new list if it changed, and what another process appended to the shown run's log. */
  private async onRunsChanged(): Promise<void> {
    if (!this.panel) return;
    const runs = this.runRefs();
    const key = JSON.stringify(runs);
    if (key !== this.runsKey) {
      this.runsKey = key;
      this.post({ type: 'runs', runs });
    }
    this.sendSweep();
    const dir = this.runDir;
    if (dir && !this.trainsHere(dir) && fs.existsSync(dir)) {
      const { appended } = await this.eventLogs.read(dir);
      if (appended.length && dir === this.runDir) this.post({ type: 'events', runId: runIdOf(dir), events: appended });
    }
  }

  private async onTrainingState(): Promise<void> {
    this.post({ type: 'training', ...this.trainingState() });
    // the log of a run trained here holds what the page already got live: mark it as read
    if (!this.training.running && this.runDir && fs.existsSync(this.runDir)) await this.eventLogs.read(this.runDir);
  }

  private sendThresholds(text: string): void {
    const file = this.experimentFile();
    if (!file) return;
    const { values, problems } = readThresholds(text, path.basename(file));
    this.post({ type: 'thresholds', experimentFile: file, values, problems, valid: problems.length === 0 });
  }

  private onTrainingEvent(e: DenEvent): void {
    if (!this.panel) return;
    if (e.type === 'run-start') {
      // follow the training: show the run it writes
      this.runDir = e.runDir;
      void this.sendSnapshot();
      return;
    }
    if (!this.runDir || !this.trainsHere(this.runDir)) return;
    this.queue.push(e);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      if (this.queue.length && this.runDir) this.post({ type: 'events', runId: runIdOf(this.runDir), events: this.queue.splice(0) });
    }, BATCH_MS);
  }

  /** A run of the index by the id the webview sent; an unknown id is logged and ignored. */
  private knownRun(id: string): RunEntry | undefined {
    const run = runById(this.runs.topLevel, id);
    if (!run) this.log.warn(`dashboard: ignored a request for run '${id}', which is not in the workspace's runs`);
    return run;
  }

  /** Handles a message from the webview (also called by the tests in the real extension host). */
  async receive(raw: unknown): Promise<void> {
    const checked = checkWebviewToHost(raw);
    if (!checked.ok) {
      this.log.warn(`dashboard: ignored a malformed message: ${checked.problem}`);
      return;
    }
    const msg = checked.value;
    this.received.fire(msg);
    switch (msg.type) {
      case 'ready':
        this.pageReady = true;
        await this.sendSnapshot();
        break;
      case 'selectRun': {
        const run = this.knownRun(msg.runId);
        if (!run) break;
        this.runDir = run.dir;
        await this.sendSnapshot();
        break;
      }
      case 'compareRuns':
        this.compare = msg.runIds.map((id) => this.knownRun(id)?.dir).filter((d): d is string => d !== undefined);
        await this.sendSnapshot();
        break;
      case 'setThreshold':
        await this.setThreshold(msg.field, msg.value);
        break;
      case 'trainNext': {
        // continue the run on screen (with the experiment file's current values), else the file's
        const file = this.experimentFile();
        const run = this.runDir ? findRun(this.runs.topLevel, this.runDir) : undefined;
        await vscode.commands.executeCommand('denLab.trainNext', run ? { runDir: run.dir } : file ? vscode.Uri.file(file) : undefined);
        break;
      }
      case 'retrainTask':
        if (this.runDir) await vscode.commands.executeCommand('denLab.retrainTask', { runDir: this.runDir, task: msg.task });
        break;
      case 'savePng':
        await this.saveFile(`${msg.chart}.png`, Buffer.from(msg.dataUrl.slice('data:image/png;base64,'.length), 'base64'), { 'PNG image': ['png'] });
        break;
      case 'exportMetrics': {
        const summary = this.runDir ? findRun(this.runs.topLevel, this.runDir)?.summary : undefined;
        if (!summary) {
          void vscode.window.showWarningMessage('DEN Lab: select a run with completed tasks to export its metrics.');
          break;
        }
        const body = msg.format === 'json' ? JSON.stringify(summary, null, 2) : metricsCsv(summary);
        await this.saveFile(`${summary.name}-metrics.${msg.format}`, Buffer.from(body, 'utf8'), msg.format === 'json' ? { JSON: ['json'] } : { CSV: ['csv'] });
        break;
      }
      case 'log':
        this.log[msg.level](`dashboard: ${msg.message}`);
        break;
      case 'selectSweep': {
        const entry = this.knownSweep(msg.sweepId);
        if (!entry) break;
        this.sweepDir = entry.dir;
        this.sendSweep();
        break;
      }
      case 'adoptSweepPoint': {
        const entry = this.knownSweep(msg.sweepId);
        if (entry) await this.adopt(entry, msg.pointId);
        break;
      }
      case 'requestUnits': {
        const run = this.knownRun(msg.runId);
        if (run) this.post(unitsMessage(run.dir, msg.runId, msg.task, msg.layer));
        break;
      }
      case 'openSweepRun': {
        const entry = this.knownSweep(msg.sweepId);
        const point = entry?.sweep?.points.find((p) => p.id === msg.pointId);
        const dir = entry && point ? pointRunDir(entry, point.run) : undefined;
        if (!dir || !fs.existsSync(dir)) {
          void vscode.window.showWarningMessage(`DEN Lab: point ${msg.pointId} has no run folder yet.`);
          break;
        }
        this.runDir = dir;
        await this.sendSnapshot();
        break;
      }
    }
  }

  /** Applies a threshold edit to the experiment file as a WorkspaceEdit, or reports why not. */
  private async setThreshold(field: keyof ThresholdValues, value: number | number[]): Promise<boolean> {
    const file = this.experimentFile();
    if (!file) return false;
    const uri = vscode.Uri.file(file);
    const doc = await vscode.workspace.openTextDocument(uri);
    const text = doc.getText();
    const result = editThreshold(text, path.basename(file), field, value);
    if (!result.text) {
      const now = readThresholds(text, path.basename(file));
      this.post({ type: 'thresholds', experimentFile: file, values: now.values, problems: now.problems.length ? now.problems : result.problems, valid: now.problems.length === 0 });
      return false;
    }
    // only the value changes: the cursor, folding and diff markers elsewhere in the file stay
    const edit = new vscode.WorkspaceEdit();
    for (const e of result.edits) edit.replace(uri, new vscode.Range(doc.positionAt(e.offset), doc.positionAt(e.offset + e.length)), e.content);
    const ok = await vscode.workspace.applyEdit(edit);
    this.log.info(`dashboard: set ${thresholdPath(field)} = ${JSON.stringify(value)} in ${file}${ok ? '' : ' (failed)'}`);
    return ok;
  }

  /** "Adopt these values": the point's values (read from sweep.json, not from the page) into the sweep's experiment file, as one undoable edit. */
  async adopt(entry: SweepEntry, pointId: string): Promise<boolean> {
    const point = entry.sweep?.points.find((p) => p.id === pointId);
    const file = entry.sweep?.experimentFile;
    if (!point || !file) {
      this.log.warn(`dashboard: ignored adopting point '${pointId}', which ${entry.sweep ? 'the sweep does not have' : 'cannot be read'}`);
      return false;
    }
    if (!fs.existsSync(file)) {
      void vscode.window.showErrorMessage(`DEN Lab: the sweep's experiment file ${file} no longer exists.`);
      return false;
    }
    const uri = vscode.Uri.file(file);
    const doc = await vscode.workspace.openTextDocument(uri);
    const result = adoptEdits(doc.getText(), path.basename(file), point.values);
    if (result.problems.length) {
      void vscode.window.showErrorMessage(`DEN Lab: cannot adopt ${point.id}: ${result.problems[0]}`);
      return false;
    }
    const summary = Object.entries(point.values).map(([f, v]) => `${f} = ${JSON.stringify(v)}`).join(', ');
    if (!result.edits.length) {
      void vscode.window.showInformationMessage(`DEN Lab: ${path.basename(file)} has ${summary} already.`);
      return true;
    }
    const edit = new vscode.WorkspaceEdit();
    for (const e of result.edits) edit.replace(uri, new vscode.Range(doc.positionAt(e.offset), doc.positionAt(e.offset + e.length)), e.content);
    const ok = await vscode.workspace.applyEdit(edit);
    this.log.info(`dashboard: adopted sweep point ${point.id} (${summary}) into ${file}${ok ? '' : ' (failed)'}`);
    if (ok) {
      const show = 'Show File';
      void vscode.window.showInformationMessage(`DEN Lab: ${path.basename(file)} now has ${summary} (not saved yet; Undo in the file takes it back).`, show).then((c) => {
        if (c === show) void vscode.window.showTextDocument(doc, { preview: false });
      });
    }
    return ok;
  }

  private async saveFile(name: string, data: Buffer, filters: Record<string, string[]>): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({ defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined, filters });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, data);
    void vscode.window.showInformationMessage(`DEN Lab: saved ${vscode.workspace.asRelativePath(target)}`);
  }

  dispose(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.panel?.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}
