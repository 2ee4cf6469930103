// One typed map of the commands DEN Lab registers and executes: id → arguments → result (as
// github/vscode-codeql's src/common/commands.ts). registerCommands, executeCommand and commandOf
// below take ids and arguments only through it, so a wrong argument is a compile error.
//
// What each command is given: a row of the Runs tree (its context menu, inline buttons and clicks
// pass the row's RunsNode), an experiment file (the editor's title bar and the CodeLens pass its
// Uri), or nothing (the palette and the view's title bar: the command asks or takes the obvious one).
import * as vscode from 'vscode';
import type { CommandId, ContextKey } from '../common/commandIds';
import type { RunEntry } from '../common/runIndex';
import type { SweepOutcome } from '../common/sweepProcess';
import type { TrainOutcome } from '../common/trainerProcess';
import type { RunsNode } from './runsTree';

/** The commands package.json contributes. */
export type DenLabCommands = {
  'denLab.trainNext': (target?: RunsNode | vscode.Uri) => Promise<TrainOutcome | undefined>;
  'denLab.trainRemaining': (target?: RunsNode | vscode.Uri) => Promise<TrainOutcome | undefined>;
  'denLab.stop': () => void;
  /** A task row retrains that task; a run row (or nothing) asks which. */
  'denLab.retrainTask': (target?: RunsNode) => Promise<TrainOutcome | undefined>;
  /** Into `target` when given, else asks for a file name in the first workspace folder. */
  'denLab.newExperiment': (target?: vscode.Uri) => Promise<vscode.Uri | undefined>;
  'denLab.openDashboard': (target?: RunsNode) => Promise<void>;
  'denLab.showLogs': () => void;
  'denLab.revealRun': (target?: RunsNode) => Promise<void>;
  /** Always asks; true when the run was deleted. */
  'denLab.deleteRun': (target?: RunsNode) => Promise<boolean>;
  'denLab.refresh': () => Promise<void>;
  /** A run or task row starts the points from that run (and task); a Uri or nothing asks for the file. */
  'denLab.sweepThresholds': (target?: RunsNode | vscode.Uri) => Promise<SweepOutcome | undefined>;
  'denLab.openSweep': (target?: RunsNode) => Promise<void>;
  'denLab.cancelSweep': (target?: RunsNode) => Promise<SweepOutcome | undefined>;
};

/** VS Code's own commands that DEN Lab executes. */
type BuiltInCommands = {
  setContext: (key: ContextKey, value: boolean) => Promise<void>;
  revealInExplorer: (uri: vscode.Uri) => Promise<void>;
  'workbench.actions.view.problems': () => Promise<void>;
  'workbench.action.openSettings': (query: string) => Promise<void>;
};

export type AllCommands = DenLabCommands & BuiltInCommands;

/** The commands SweepService registers (sweepCommands.ts); commands.ts has the others. */
export type SweepCommandId = 'denLab.sweepThresholds' | 'denLab.openSweep' | 'denLab.cancelSweep';

/** Exactly the contributed ids (src/common/commandIds.ts, checked against package.json by a test): a compile error otherwise. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameIds: Same<keyof DenLabCommands, CommandId> = true;
void sameIds;

/** Registers every contributed command: the map must have them all (a missing one is a compile error). */
export function registerCommands(handlers: DenLabCommands): vscode.Disposable[] {
  return (Object.keys(handlers) as CommandId[]).map((id) => vscode.commands.registerCommand(id, handlers[id] as (...args: unknown[]) => unknown));
}

export function executeCommand<K extends keyof AllCommands>(id: K, ...args: Parameters<AllCommands[K]>): Thenable<Awaited<ReturnType<AllCommands[K]>>> {
  return vscode.commands.executeCommand(id, ...args);
}

/** A tree item's or a CodeLens's command, typed by the map. */
export function commandOf<K extends keyof AllCommands>(id: K, title: string, args: Parameters<AllCommands[K]>, tooltip?: string): vscode.Command {
  return { command: id, title, arguments: args, tooltip };
}

/** The Runs tree's row of a run: what the tree passes, for the callers that have only the run (the dashboard, a CodeLens). */
export const runNode = (run: RunEntry): RunsNode => ({ kind: 'run', run });

/** The run a command was given (a run, task, layer, live or sweep-point row), if any. */
export function runOfTarget(target: RunsNode | vscode.Uri | undefined): RunEntry | undefined {
  return target && !(target instanceof vscode.Uri) && 'run' in target ? target.run : undefined;
}
