// The ids of the commands DEN Lab contributes (package.json contributes.commands, in its order).
// Their argument types are in src/extension/commandMap.ts, which must name exactly these.
export const COMMAND_IDS = [
  'denLab.trainNext',
  'denLab.trainRemaining',
  'denLab.stop',
  'denLab.retrainTask',
  'denLab.newExperiment',
  'denLab.openDashboard',
  'denLab.showLogs',
  'denLab.revealRun',
  'denLab.deleteRun',
  'denLab.refresh',
  'denLab.sweepThresholds',
  'denLab.openSweep',
  'denLab.cancelSweep',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];

/** The context keys DEN Lab sets (the `when` clauses of package.json read them). */
export type ContextKey = 'denLab.training' | 'denLab.sweeping' | 'denLab.hasRuns' | 'denLab.hasExperiment' | 'denLab.hasSweeps';
