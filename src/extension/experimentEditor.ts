// Support inside an experiment file (*.den.json): diagnostics as the user types (schema errors,
// data files, differences from the run being continued), CodeLens to train or retrain with the
// file's current values, and hints next to τ, σ and k with what the latest run observed.
import * as path from 'path';
import * as vscode from 'vscode';
import { findNodeAtLocation, getLocation, parseTree } from 'jsonc-parser';
import { checkExperimentText } from '../common/experimentProblems';
import { fieldHover } from '../common/fieldHover';
import { completedTasks, runLabel, runsOfExperiment, runToContinue, totalTasks } from '../common/runIndex';
import { thresholdHints } from '../common/thresholdHints';
import type { TrainingService } from './training';
import type { WorkspaceRuns } from './workspaceRuns';

export const isExperimentFile = (doc: vscode.TextDocument) => doc.uri.scheme === 'file' && doc.fileName.endsWith('.den.json');
const SELECTOR: vscode.DocumentSelector = { scheme: 'file', pattern: '**/*.den.json' };

export class ExperimentEditorSupport implements vscode.CodeLensProvider, vscode.InlayHintsProvider, vscode.HoverProvider, vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('denLab');
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  readonly onDidChangeInlayHints = this.lensesChanged.event;
  private readonly disposables: vscode.Disposable[] = [this.diagnostics, this.lensesChanged];
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(private readonly runs: WorkspaceRuns, private readonly training: TrainingService) {
    this.disposables.push(
      vscode.languages.registerCodeLensProvider(SELECTOR, this),
      vscode.languages.registerInlayHintsProvider(SELECTOR, this),
      vscode.languages.registerHoverProvider(SELECTOR, this),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('denLab.showThresholdHints')) this.lensesChanged.fire();
      }),
      vscode.workspace.onDidOpenTextDocument((d) => this.validateSoon(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => this.validateSoon(e.document, 250)),
      vscode.workspace.onDidCloseTextDocument((d) => this.diagnostics.delete(d.uri)),
      runs.onDidChange(() => this.revalidateAll()),
      training.onDidChangeState(() => this.lensesChanged.fire()),
      training.onEvent((e) => {
        if (e.type === 'task-start' || e.type === 'stage-start') this.lensesChanged.fire();
      }),
    );
    this.revalidateAll();
  }

  private revalidateAll(): void {
    vscode.workspace.textDocuments.forEach((d) => this.validateSoon(d, 0));
    this.lensesChanged.fire();
  }

  private validateSoon(doc: vscode.TextDocument, delayMs: number): void {
    if (!isExperimentFile(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(this.pending.get(key));
    this.pending.set(key, setTimeout(() => this.validate(doc), delayMs));
  }

  /** Publishes the diagnostics of one document now (also used by tests through the command). */
  validate(doc: vscode.TextDocument): vscode.Diagnostic[] {
    const latest = runsOfExperiment(this.runs.topLevel, doc.fileName)[0];
    const { problems } = checkExperimentText(doc.getText(), doc.fileName, latest);
    // syntax and schema errors are the JSON language service's (it checks the schema this extension contributes)
    const diagnostics = problems.filter((p) => !p.inSchema).map((p) => {
      const range = new vscode.Range(doc.positionAt(p.offset), doc.positionAt(p.offset + p.length));
      const d = new vscode.Diagnostic(range, p.message, p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
      d.source = 'DEN Lab';
      if (p.field) d.code = p.field;
      return d;
    });
    this.diagnostics.set(doc.uri, diagnostics);
    return diagnostics;
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const top = new vscode.Range(0, 0, 0, 0);
    const lens = (title: string, command: string, args: unknown[] = [], tooltip?: string) => new vscode.CodeLens(top, { title, command, arguments: args, tooltip });
    if (this.training.running) {
      return [lens(`$(debug-stop) Stop training (${this.training.status.task ? `task ${this.training.status.task}` : 'starting'})`, 'denLab.stop'), lens('Open dashboard', 'denLab.openDashboard')];
    }
    const check = checkExperimentText(doc.getText(), doc.fileName);
    if (!check.experiment) return [lens('$(warning) Fix the errors in this file to train', 'workbench.actions.view.problems')];
    const next = runToContinue(this.runs.topLevel, doc.fileName, check.experiment);
    const latest = runsOfExperiment(this.runs.topLevel, doc.fileName)[0];
    const lenses: vscode.CodeLens[] = [];
    if (next) {
      lenses.push(lens(`$(play) Train next task (${completedTasks(next) + 1} of ${totalTasks(next)})`, 'denLab.trainNext', [doc.uri], `Continues ${runLabel(next)} with this file's values`));
      lenses.push(lens('$(run-all) Train remaining tasks', 'denLab.trainRemaining', [doc.uri]));
    } else {
      lenses.push(lens('$(play) Train next task (1, new run)', 'denLab.trainNext', [doc.uri], 'Starts a new run of this experiment'));
    }
    if (latest && completedTasks(latest) > 0) {
      const t = completedTasks(latest);
      lenses.push(lens(`$(history) Retrain task ${t} with these values`, 'denLab.retrainTask', [{ runDir: latest.dir, task: t }], `Loads ${runLabel(latest)} after task ${t - 1} and trains task ${t} into a new branch`));
      if (t > 1) lenses.push(lens('$(history) Retrain task…', 'denLab.retrainTask', [{ runDir: latest.dir }]));
    }
    const last = latest ? completedTasks(latest) : 0;
    lenses.push(
      last >= 2
        ? lens(`$(graph-scatter) Sweep task ${last}`, 'denLab.sweepThresholds', [{ runDir: latest!.dir, task: last }], `Retrains task ${last} of ${runLabel(latest!)} at every combination of the values you choose`)
        : lens('$(graph-scatter) Sweep thresholds…', 'denLab.sweepThresholds', [doc.uri], 'Trains this experiment at every combination of the values you choose'),
    );
    lenses.push(lens('Open dashboard', 'denLab.openDashboard'));
    return lenses;
  }

  provideInlayHints(doc: vscode.TextDocument, range: vscode.Range): vscode.InlayHint[] {
    if (!vscode.workspace.getConfiguration('denLab').get<boolean>('showThresholdHints', true)) return [];
    const latest = runsOfExperiment(this.runs.topLevel, doc.fileName).find((r) => r.summary && r.summary.tasks.length > 1);
    if (!latest?.summary) return [];
    const root = parseTree(doc.getText(), [], { allowTrailingComma: true });
    if (!root) return [];
    const hints: vscode.InlayHint[] = [];
    for (const h of thresholdHints(latest.summary, runLabel(latest))) {
      const node = findNodeAtLocation(root, ['den', h.field]);
      if (!node) continue;
      // at the end of the value's line: after its comma (and comment), so that the line still reads as JSON
      const pos = doc.lineAt(doc.positionAt(node.offset).line).range.end;
      if (!range.contains(pos)) continue;
      const hint = new vscode.InlayHint(pos, h.label); // no kind: it is neither a type nor a parameter name
      hint.tooltip = new vscode.MarkdownString(h.tooltip);
      hint.paddingLeft = true;
      hints.push(hint);
    }
    return hints;
  }

  provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const location = getLocation(doc.getText(), doc.offsetAt(position));
    if (!location.path.length || location.path.some((p) => typeof p !== 'string')) return undefined;
    const latest = runsOfExperiment(this.runs.topLevel, doc.fileName)[0];
    const text = fieldHover(location.path.join('.'), latest);
    return text ? new vscode.Hover(new vscode.MarkdownString(text)) : undefined;
  }

  dispose(): void {
    this.pending.forEach((t) => clearTimeout(t));
    this.disposables.forEach((d) => d.dispose());
  }
}

/** The experiment file a command acts on: the given one, the active editor's, the only one, or a pick. */
export async function chooseExperimentFile(runs: WorkspaceRuns, given?: vscode.Uri): Promise<vscode.Uri | undefined> {
  if (given instanceof vscode.Uri) return given;
  const active = vscode.window.activeTextEditor?.document;
  if (active && isExperimentFile(active)) return active.uri;
  await runs.ready();
  const files = runs.experimentFiles;
  if (files.length === 1) return files[0];
  if (files.length === 0) {
    const create = 'Create an experiment';
    if ((await vscode.window.showInformationMessage('DEN Lab: there is no experiment file (*.den.json) in this workspace.', create)) === create) {
      await vscode.commands.executeCommand('denLab.newExperiment');
    }
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    files.map((f) => ({ label: path.basename(f.fsPath), description: vscode.workspace.asRelativePath(f), uri: f })),
    { title: 'DEN Lab: which experiment?' },
  );
  return pick?.uri;
}
