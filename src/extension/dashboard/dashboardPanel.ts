// The dashboard panel (host side): one webview panel, restored after a reload, fed a full snapshot
// of the selected run when it loads or becomes visible and small batches of live events while a
// task trains. Every message from the webview is validated; the page loads only the extension's
// own script and style under a strict Content-Security-Policy.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { readEvents } from '../../engine/run/runFolder';
import type { DenEvent, HostToWebview, RunSnapshot, ThresholdValues, WebviewToHost } from '../../protocol';
import { checkWebviewToHost } from '../../protocolGuards';
import { isExperimentFile } from '../experimentEditor';
import { findRun, runLabel, runsOfExperiment } from '../runIndex';
import type { TrainingService } from '../training';
import type { WorkspaceRuns } from '../workspaceRuns';
import { dashboardHtml } from './dashboardHtml';
import { editThreshold, readThresholds, THRESHOLD_PATHS } from './thresholdEdits';
import { metricsCsv } from './metricsExport';

export const DASHBOARD_VIEW_TYPE = 'denLab.dashboard';
const BATCH_MS = 100;

/** What the webview keeps with setState (webview/vscodeApi.ts ViewState) that the host reads back. */
interface PanelState {
  runDir?: string;
  compare?: unknown;
}

export class Dashboard implements vscode.WebviewPanelSerializer<PanelState>, vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private runDir: string | undefined;
  private compare: string[] = [];
  private queue: DenEvent[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
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
      training.onDidChangeState(() => this.post({ type: 'training', ...this.trainingState() })),
      runs.onDidChange(() => {
        if (this.panel?.visible) void this.sendSnapshot();
      }),
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
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'DEN Dashboard', vscode.ViewColumn.Active, this.webviewOptions());
    this.attach(panel);
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: PanelState | undefined): Promise<void> {
    if (typeof state?.runDir === 'string' && fs.existsSync(state.runDir)) this.runDir = state.runDir;
    if (Array.isArray(state?.compare)) this.compare = state.compare.filter((d): d is string => typeof d === 'string' && fs.existsSync(d));
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
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'den.svg');
    panel.webview.html = this.html(panel.webview);
    this.panelDisposables = [
      panel.webview.onDidReceiveMessage((msg: unknown) => void this.onMessage(msg)),
      // a hidden webview is destroyed (retainContextWhenHidden false): it asks again with 'ready'
      panel.onDidChangeViewState(() => {
        if (panel.visible) void this.sendSnapshot();
      }),
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
    if (!this.panel) return;
    this.sent.push(msg);
    if (this.sent.length > 200) this.sent.splice(0, this.sent.length - 200);
    void this.panel.webview.postMessage(msg);
  }

  private trainingState(): { running: boolean; runDir: string | null; task: number | null } {
    return { running: this.training.running, runDir: this.training.running ? this.training.status.runDir : null, task: this.training.status.task };
  }

  /** The experiment file whose thresholds the panel shows: the selected run's, else the active editor's. */
  private experimentFile(): string | undefined {
    const run = this.runDir ? findRun(this.runs.all, this.runDir) : undefined;
    if (run?.summary?.experimentFile) return run.summary.experimentFile;
    const active = vscode.window.activeTextEditor?.document;
    if (active && isExperimentFile(active)) return active.fileName;
    return this.runs.experimentFiles[0]?.fsPath;
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

  private snapshotOf(runDir: string): RunSnapshot | null {
    const run = findRun(this.runs.all, runDir);
    const events = readEvents(path.join(runDir, 'events.jsonl'));
    if (!run && events.length === 0) return null;
    return { runDir, label: run ? runLabel(run) : path.basename(runDir), summary: run?.summary ?? null, events };
  }

  private async sendSnapshot(): Promise<void> {
    await this.runs.ready();
    if (!this.runDir || !fs.existsSync(this.runDir)) {
      const file = this.experimentFile();
      this.runDir = (file && runsOfExperiment(this.runs.all, file)[0]?.dir) ?? this.runs.flat[0]?.dir;
    }
    this.queue = [];
    const file = this.experimentFile();
    const thresholds = file ? readThresholds(this.experimentText(file) ?? '', path.basename(file)).values : null;
    this.post({
      type: 'snapshot',
      runs: this.runs.flat.map((r) => ({ runDir: r.dir, label: runLabel(r) })),
      run: this.runDir ? this.snapshotOf(this.runDir) : null,
      compare: this.compare.map((d) => this.snapshotOf(d)).filter((s): s is RunSnapshot => s !== null),
      experimentFile: file ?? null,
      thresholds,
      training: this.trainingState(),
    });
  }

  private sendThresholds(text: string): void {
    const file = this.experimentFile();
    if (!file) return;
    const { values, problems } = readThresholds(text, path.basename(file));
    this.post({ type: 'thresholds', experimentFile: file, values, problems });
  }

  private onTrainingEvent(e: DenEvent): void {
    if (!this.panel) return;
    if (e.type === 'run-start') {
      // follow the training: show the run it writes
      this.runDir = e.runDir;
      void this.sendSnapshot();
      return;
    }
    if (this.training.status.runDir !== this.runDir) return;
    this.queue.push(e);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      if (this.queue.length && this.runDir) this.post({ type: 'events', runDir: this.runDir, events: this.queue.splice(0) });
    }, BATCH_MS);
  }

  private async onMessage(raw: unknown): Promise<void> {
    const problem = checkWebviewToHost(raw);
    if (problem) {
      this.log.warn(`dashboard: ignored a malformed message: ${problem}`);
      return;
    }
    const msg = raw as WebviewToHost;
    this.received.fire(msg);
    switch (msg.type) {
      case 'ready':
        await this.sendSnapshot();
        break;
      case 'selectRun':
        this.runDir = msg.runDir;
        await this.sendSnapshot();
        break;
      case 'compareRuns':
        this.compare = msg.runDirs.filter((d) => fs.existsSync(d));
        await this.sendSnapshot();
        break;
      case 'setThreshold':
        await this.setThreshold(msg.field, msg.value);
        break;
      case 'trainNext': {
        // continue the run on screen (with the experiment file's current values), else the file's
        const file = this.experimentFile();
        const run = this.runDir ? findRun(this.runs.all, this.runDir) : undefined;
        await vscode.commands.executeCommand('denLab.trainNext', run ? { runDir: run.dir } : file ? vscode.Uri.file(file) : undefined);
        break;
      }
      case 'retrainTask':
        await vscode.commands.executeCommand('denLab.retrainTask', { runDir: this.runDir, task: msg.task });
        break;
      case 'savePng':
        await this.saveFile(`${msg.chart}.png`, Buffer.from(msg.dataUrl.slice('data:image/png;base64,'.length), 'base64'), { 'PNG image': ['png'] });
        break;
      case 'exportMetrics': {
        const summary = this.runDir ? findRun(this.runs.all, this.runDir)?.summary : undefined;
        if (!summary) {
          void vscode.window.showWarningMessage('DEN: select a run with completed tasks to export its metrics.');
          break;
        }
        const body = msg.format === 'json' ? JSON.stringify(summary, null, 2) : metricsCsv(summary);
        await this.saveFile(`${summary.name}-metrics.${msg.format}`, Buffer.from(body, 'utf8'), msg.format === 'json' ? { JSON: ['json'] } : { CSV: ['csv'] });
        break;
      }
      case 'log':
        this.log[msg.level](`dashboard: ${msg.message}`);
        break;
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
      const { values } = readThresholds(text, path.basename(file));
      this.post({ type: 'thresholds', experimentFile: file, values, problems: result.problems });
      return false;
    }
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, new vscode.Range(doc.positionAt(0), doc.positionAt(text.length)), result.text);
    const ok = await vscode.workspace.applyEdit(edit);
    this.log.info(`dashboard: set ${THRESHOLD_PATHS[field].join('.')} = ${JSON.stringify(value)} in ${file}${ok ? '' : ' (failed)'}`);
    return ok;
  }

  private async saveFile(name: string, data: Buffer, filters: Record<string, string[]>): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({ defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined, filters });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, data);
    void vscode.window.showInformationMessage(`DEN: saved ${vscode.workspace.asRelativePath(target)}`);
  }

  dispose(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.panel?.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}
