// One training at a time per workspace: starts the trainer process for a job, shows progress
// (a cancellable notification and a status-bar item), forwards the engine's events to the tree
// and the dashboard, and turns failures into messages with "Show Logs" and "Retry".
import * as path from 'path';
import * as vscode from 'vscode';
import type { DenEvent, TrainJob } from '../common/protocol';
import { applyEvent, initialStatus, jobProgress, LiveStatus, statusText } from '../common/liveStatus';
import { TrainerCrashedError, TrainerProcess, TrainerStartError, TrainingFailedError, TrainOutcome } from '../common/trainerProcess';

export class TrainingService implements vscode.Disposable {
  private trainer: TrainerProcess | undefined;
  private live: LiveStatus = initialStatus();
  private readonly statusItem = vscode.window.createStatusBarItem('denLab.training', vscode.StatusBarAlignment.Left, 50);
  private readonly events = new vscode.EventEmitter<DenEvent>();
  private readonly stateChanged = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [this.statusItem, this.events, this.stateChanged];

  /** Every engine event of the running job. */
  readonly onEvent = this.events.event;
  /** Training started or stopped. */
  readonly onDidChangeState = this.stateChanged.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    /** Re-reads the run folders (after every completed task and at the end of a job). */
    private readonly refreshRuns: () => Promise<void>,
  ) {
    this.statusItem.name = 'DEN Lab training';
    this.statusItem.command = 'denLab.openDashboard';
  }

  get running(): boolean {
    return this.trainer !== undefined;
  }

  get status(): LiveStatus {
    return this.live;
  }

  /** The trainer's process id while it runs (for tests and logs). */
  get trainerPid(): number | undefined {
    return this.trainer?.pid;
  }

  /**
   * Runs a job with a progress notification. Resolves with the outcome, or undefined when the job
   * failed (the user has been told why).
   */
  async run(job: TrainJob, title: string): Promise<TrainOutcome | undefined> {
    if (this.trainer) {
      void vscode.window.showWarningMessage('DEN Lab is already training. Stop it first (DEN Lab: Stop Training).');
      return undefined;
    }
    const config = vscode.workspace.getConfiguration('denLab');
    const backend = config.get<string>('backend', 'auto');
    const trainer = new TrainerProcess({
      script: vscode.Uri.joinPath(this.extensionUri, 'dist', 'trainer.js').fsPath,
      nodePath: config.get<string>('nodePath') || undefined,
      nodeModulesPath: config.get<string>('nodeModulesPath') || undefined,
      // the experiment's workspace folder: its node_modules may hold @tensorflow/tfjs-node
      cwd: vscode.workspace.getWorkspaceFolder(vscode.Uri.file(job.experimentFile))?.uri.fsPath ?? path.dirname(job.experimentFile),
      log: (level, message) => this.log[level](message),
    });
    this.trainer = trainer;
    this.live = initialStatus();
    await vscode.commands.executeCommand('setContext', 'denLab.training', true);
    this.stateChanged.fire();
    this.log.info(`training: ${title} (${job.experimentFile}${job.runDir ? `, run ${job.runDir}` : ''})`);

    const fullJob: TrainJob = backend === 'auto' ? job : { ...job, backend: backend as TrainJob['backend'] };
    try {
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `DEN Lab: ${title}`, cancellable: true },
        (progress, token) => {
          token.onCancellationRequested(() => trainer.cancel());
          let reported = 0;
          trainer.onEvent((e) => {
            this.live = applyEvent(this.live, e);
            this.events.fire(e);
            if (e.type === 'loss' || e.type === 'stage-start' || e.type === 'task-start' || e.type === 'task-end') {
              const done = jobProgress(this.live) * 100;
              // moves within a task too (stage and steps), never backwards
              progress.report({ message: statusText(this.live), increment: Math.max(0, done - reported) });
              reported = Math.max(reported, done);
              this.updateStatusItem();
            }
            if (e.type === 'run-start') this.log.info(`backend ${e.backend.name} ${e.backend.version} (${e.backend.detail}); run ${e.runDir}`);
            if (e.type === 'task-end') this.log.info(`task ${e.task} done: accuracy ${e.summary.accuracy.toFixed(4)}, units [${e.summary.units.join(',')}]`);
            // run-start: a new run's folder exists now; show it without waiting for a file watcher
            if (e.type === 'run-start' || e.type === 'task-end') void this.refreshRuns();
          });
          this.updateStatusItem();
          return trainer.start(fullJob);
        },
      );
      if (outcome.cancelled) {
        void vscode.window.showInformationMessage(`DEN Lab: training stopped; the run stays at task ${outcome.summary.tasks.length}.`);
      }
      return outcome;
    } catch (err) {
      if (err instanceof TrainerCrashedError && err.killedAfterCancel) {
        void vscode.window.showWarningMessage('DEN Lab: the trainer did not stop in time and was killed; the run stays at its last completed task.');
        return undefined;
      }
      this.reportFailure(err as Error, job, title);
      return undefined;
    } finally {
      trainer.dispose();
      this.trainer = undefined;
      this.statusItem.hide();
      await vscode.commands.executeCommand('setContext', 'denLab.training', false);
      this.stateChanged.fire();
      await this.refreshRuns();
    }
  }

  stop(): void {
    this.trainer?.cancel();
  }

  private updateStatusItem(): void {
    const s = this.live;
    this.statusItem.text = `$(sync~spin) DEN Lab: ${statusText(s)}`;
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**DEN Lab is training**\n\n${statusText(s)}\n\n`);
    if (s.backend) tip.appendMarkdown(`Backend: **${s.backend.name}** ${s.backend.version} — ${s.backend.detail}\n\n`);
    if (s.units.length) tip.appendMarkdown(`Units per layer: ${s.units.join(', ')}\n\n`);
    if (s.runDir) tip.appendMarkdown(`Run: \`${path.basename(s.runDir)}\`\n\n`);
    tip.appendMarkdown('Click to open the dashboard.');
    this.statusItem.tooltip = tip;
    this.statusItem.show();
  }

  private reportFailure(err: Error, job: TrainJob, title: string): void {
    // A retry continues the run the failed job was writing (its completed tasks are kept).
    const runDir = this.live.runDir;
    const retryJob: TrainJob = runDir ? { experimentFile: job.experimentFile, runDir, tasks: job.tasks ?? (job.retrainTask ? 1 : undefined) } : job;
    const retry = 'Retry';
    const logs = 'Show Logs';
    let message: string;
    if (err instanceof TrainingFailedError) {
      message = `DEN Lab: ${title} failed: ${err.message}`;
      this.log.error(`${err.kind}: ${err.message}`);
    } else if (err instanceof TrainerStartError) {
      message = `DEN Lab: ${err.message}`;
      this.log.error(message);
      void vscode.window.showErrorMessage(message, 'Open Settings').then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'denLab.nodePath');
      });
      return;
    } else if (err instanceof TrainerCrashedError) {
      message = `DEN Lab: ${err.message}. The run keeps its last completed task.`;
      this.log.error(message);
    } else {
      message = `DEN Lab: ${title} failed: ${err.message}`;
      this.log.error(err.stack ?? err.message);
    }
    // the file by its name: a full path would push the reason out of the toast
    message = message.split(job.experimentFile).join(path.basename(job.experimentFile));
    void vscode.window.showErrorMessage(message, logs, retry).then((choice) => {
      if (choice === logs) this.log.show(true);
      if (choice === retry) void this.run(retryJob, title);
    });
  }

  dispose(): void {
    this.trainer?.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}
