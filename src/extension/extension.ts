// DEN Lab in VS Code: the Runs tree, the commands, experiment-file support and the dashboard.
// Training runs in a separate trainer process (dist/trainer.js); this host only shows it.
import * as vscode from 'vscode';
import { commandHandlers } from './commands';
import { executeCommand, registerCommands } from './commandMap';
import { Dashboard } from './dashboard/dashboardPanel';
import { ExperimentEditorSupport } from './experimentEditor';
import { RunsTreeProvider } from './runsTree';
import { SweepService } from './sweepCommands';
import { TrainingService } from './training';
import { WorkspaceRuns } from './workspaceRuns';

/** What activate() returns: the extension's parts, for the tests that run inside VS Code. */
export interface DenLabApi {
  runs: WorkspaceRuns;
  training: TrainingService;
  tree: RunsTreeProvider;
  editor: ExperimentEditorSupport;
  dashboard: Dashboard;
  sweeps: SweepService;
  log: vscode.LogOutputChannel;
}

export async function activate(ctx: vscode.ExtensionContext): Promise<DenLabApi> {
  const log = vscode.window.createOutputChannel('DEN Lab', { log: true });
  const runs = new WorkspaceRuns();
  const training = new TrainingService(ctx.extensionUri, log, () => runs.refresh());
  const tree = new RunsTreeProvider(runs, training);
  const treeView = vscode.window.createTreeView('denLab.runs', { treeDataProvider: tree, showCollapseAll: true });
  const editor = new ExperimentEditorSupport(runs, training);
  const dashboard = new Dashboard(ctx.extensionUri, runs, training, log);
  ctx.subscriptions.push(log, runs, training, tree, treeView, editor, dashboard);
  const sweeps = new SweepService(ctx.extensionUri, runs, dashboard, log);
  sweeps.start(ctx);
  ctx.subscriptions.push(...registerCommands({ ...commandHandlers(runs, training, dashboard, log), ...sweeps.commands() }));
  await executeCommand('setContext', 'denLab.training', false);
  await runs.refresh();
  log.info(`DEN Lab ${ctx.extension.packageJSON.version} active; ${runs.everyRun.length} run(s), ${runs.experimentFiles.length} experiment file(s)`);
  return { runs, training, tree, editor, dashboard, sweeps, log };
}

export function deactivate(): void {
  // disposables in ctx.subscriptions stop the trainer and release everything
}
