// The commands of the "DEN Lab" category but the sweeps' (sweepCommands.ts). Each resolves its target
// (experiment file, run, task) from its argument (commandMap.ts: a Runs tree row, a Uri, or nothing) or
// asks, then acts.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { ExperimentError, loadExperiment, withAbsolutePaths } from '../engine/experiment';
import { describeHolder, runLockHolder } from '../engine/run/runLock';
import { isInside } from '../engine/run/runPaths';
import type { TrainJob } from '../common/protocol';
import { chooseExperimentFile } from './experimentEditor';
import { experimentTemplate } from '../common/newExperiment';
import { allRuns, completedTasks, RunEntry, runLabel, runsOfExperiment, runToContinue, totalTasks } from '../common/runIndex';
import { executeCommand, runOfTarget, type DenLabCommands, type SweepCommandId } from './commandMap';
import type { RunsNode } from './runsTree';
import type { TrainingService } from './training';
import type { TrainOutcome } from '../common/trainerProcess';
import type { WorkspaceRuns } from './workspaceRuns';

export interface DashboardOpener {
  open(runDir?: string): Promise<void>;
}

export function requireTrust(): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage('DEN Lab: training starts a Node process and needs a trusted workspace. Runs can still be viewed.');
  return false;
}

/** Saves an experiment file with unsaved edits: the trainer reads it from disk. */
export async function saveIfDirty(file: string): Promise<void> {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
  if (doc?.isDirty) await doc.save();
}

/**
 * "DEN Lab: tiny.den.json has 2 errors: den.k …" with a button to the Problems view: the file by its name (a
 * full path would push the message out of the toast), its first problem, and where the rest are.
 */
async function showExperimentError(file: string, err: Error): Promise<void> {
  const problems = err instanceof ExperimentError && err.problems.length ? err.problems : [{ message: err.message.replace(`${file}: `, '') }];
  const count = problems.length > 1 ? `${problems.length} errors` : 'an error';
  const show = 'Show Problems';
  const choice = await vscode.window.showErrorMessage(`DEN Lab: ${path.basename(file)} has ${count}: ${problems[0].message}`, show);
  if (choice === show) await executeCommand('workbench.actions.view.problems');
}

/** The handlers of every command but the sweeps' (SweepService.commands). */
export function commandHandlers(runs: WorkspaceRuns, training: TrainingService, dashboard: DashboardOpener, log: vscode.LogOutputChannel): Omit<DenLabCommands, SweepCommandId> {
  /** Train Next / Remaining: continue the run given (tree), else the experiment's run with tasks left, else a new run. */
  const trainFrom = async (target: RunsNode | vscode.Uri | undefined, all: boolean): Promise<TrainOutcome | undefined> => {
    if (!requireTrust()) return undefined;
    await runs.ready();
    let run = runOfTarget(target);
    let file = run?.summary?.experimentFile;
    if (!file) {
      const uri = await chooseExperimentFile(runs, target instanceof vscode.Uri ? target : undefined);
      if (!uri) return undefined;
      file = uri.fsPath;
      await saveIfDirty(file);
      let current;
      try {
        const loaded = loadExperiment(file);
        current = withAbsolutePaths(loaded.experiment, loaded.dir);
      } catch (err) {
        void showExperimentError(file, err as Error);
        return undefined;
      }
      run = runToContinue(runs.topLevel, file, current);
    }
    await saveIfDirty(file);
    if (run && completedTasks(run) >= totalTasks(run)) {
      void vscode.window.showInformationMessage(`DEN Lab: ${runLabel(run)} has trained all ${totalTasks(run)} tasks. Retrain a task, or start a new run.`);
      return undefined;
    }
    const job: TrainJob = { experimentFile: file, runDir: run?.dir, tasks: all ? undefined : 1 };
    const title = run ? `${all ? 'train remaining tasks' : `train task ${completedTasks(run) + 1}`} of ${runLabel(run)}` : `train task 1 of a new ${path.basename(file)} run`;
    return training.run(job, title);
  };

  return {
    'denLab.trainNext': (target) => trainFrom(target, false),
    'denLab.trainRemaining': (target) => trainFrom(target, true),
    'denLab.stop': () => training.stop(),

    'denLab.retrainTask': async (target) => {
      if (!requireTrust()) return undefined;
      await runs.ready();
      let run = runOfTarget(target);
      if (!run) {
        const uri = await chooseExperimentFile(runs);
        run = uri && runsOfExperiment(runs.topLevel, uri.fsPath)[0];
        if (!run) {
          if (uri) void vscode.window.showInformationMessage('DEN Lab: this experiment has no run yet; train a task first.');
          return undefined;
        }
      }
      let task = target?.kind === 'task' ? target.task.index : undefined;
      if (task === undefined) {
        const pick = await vscode.window.showQuickPick(
          (run.summary?.tasks ?? []).map((t) => ({ label: `${t.index} · ${t.name}`, description: `accuracy ${t.accuracy.toFixed(4)} · units [${t.units.join(',')}]`, task: t.index })),
          { title: `DEN Lab: retrain which task of ${runLabel(run)}? (with the experiment file's current values, into a new branch)` },
        );
        task = pick?.task;
      }
      if (task === undefined) return undefined;
      const file = run.summary?.experimentFile;
      if (!file || !fs.existsSync(file)) {
        void vscode.window.showErrorMessage(`DEN Lab: the experiment file of ${runLabel(run)} (${file ?? 'unknown'}) no longer exists.`);
        return undefined;
      }
      await saveIfDirty(file);
      return training.run({ experimentFile: file, runDir: run.dir, retrainTask: task }, `retrain task ${task} of ${runLabel(run)}`);
    },

    'denLab.newExperiment': async (target) => {
      const folder = vscode.workspace.workspaceFolders?.[0];
      if (!target && !folder) {
        void vscode.window.showErrorMessage('DEN Lab: open a folder first; the experiment file and its runs live in it.');
        return undefined;
      }
      let uri = target;
      if (!uri) {
        let name = 'experiment.den.json';
        for (let i = 2; fs.existsSync(path.join(folder!.uri.fsPath, name)); i++) name = `experiment-${i}.den.json`;
        const chosen = await vscode.window.showInputBox({
          title: 'DEN Lab: New Experiment',
          prompt: 'File name of the experiment (it must end in .den.json)',
          value: name,
          validateInput: (v) => (!/^[\w.-]+\.den\.json$/.test(v) ? 'Use letters, digits, . _ - and end with .den.json' : fs.existsSync(path.join(folder!.uri.fsPath, v)) ? 'That file exists already' : null),
        });
        if (!chosen) return undefined;
        uri = vscode.Uri.joinPath(folder!.uri, chosen);
      }
      const name = path.basename(uri.fsPath).replace(/\.den\.json$/, '');
      await vscode.workspace.fs.writeFile(uri, Buffer.from(experimentTemplate(name), 'utf8'));
      await vscode.window.showTextDocument(uri);
      runs.refreshSoon(0);
      return uri;
    },

    'denLab.openDashboard': (target) => dashboard.open(runOfTarget(target)?.dir ?? training.status.runDir ?? undefined),
    'denLab.showLogs': () => log.show(true),
    'denLab.refresh': () => runs.refresh(),

    'denLab.revealRun': async (target) => {
      const run = runOfTarget(target) ?? (await pickRun(runs, 'Reveal which run folder?'));
      if (run) await executeCommand('revealInExplorer', vscode.Uri.file(run.dir));
    },

    // Always asks, and moves the folder to the trash where there is one.
    'denLab.deleteRun': async (target) => {
      const run = runOfTarget(target) ?? (await pickRun(runs, 'Delete which run?'));
      if (!run) return false;
      const writer = [run, ...allRuns(run.branches)].map((r) => runLockHolder(r.dir)).find((l) => l !== null);
      if ((training.running && training.status.runDir && isInside(training.status.runDir, run.dir)) || writer) {
        void vscode.window.showWarningMessage(`DEN Lab: this run is being trained${writer ? ` by ${describeHolder(writer)}` : ''}; stop it first.`);
        return false;
      }
      const del = 'Move to Trash';
      const branches = run.branches.length ? ` and its ${run.branches.length} branch(es)` : '';
      const answer = await vscode.window.showWarningMessage(`Delete the run ${runLabel(run)}${branches}? Its checkpoints and metrics are moved to the trash.`, { modal: true }, del);
      if (answer !== del) return false;
      const uri = vscode.Uri.file(run.dir);
      try {
        await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: true });
        log.info(`moved run ${run.dir} to the trash`);
      } catch (err) {
        // no trash here (e.g. a remote or a server without one): only a second, explicit yes deletes for good
        const forGood = 'Delete Permanently';
        const again = await vscode.window.showWarningMessage(`The run ${runLabel(run)} cannot be moved to the trash (${(err as Error).message}). Delete it permanently?`, { modal: true }, forGood);
        if (again !== forGood) return false;
        await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: false });
        log.info(`deleted run ${run.dir} permanently (no trash: ${(err as Error).message})`);
      }
      await runs.refresh();
      return true;
    },
  };
}

async function pickRun(runs: WorkspaceRuns, title: string): Promise<RunEntry | undefined> {
  await runs.ready();
  const pick = await vscode.window.showQuickPick(
    runs.everyRun.map((r) => ({ label: runLabel(r), description: `${completedTasks(r)}/${totalTasks(r)} tasks`, run: r })),
    { title: `DEN Lab: ${title}` },
  );
  return pick?.run;
}
