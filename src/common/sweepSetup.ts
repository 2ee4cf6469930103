// "DEN Lab: Sweep Thresholds…" without vscode: the fields it offers (the engine's sweepable fields, DEN's
// thresholds first, each with its schema range and current value), the values it suggests, a typed
// list of values checked by the engine's own grid parser (the same messages as `den-lab sweep`),
// the `den-lab sweep` command line it runs, and the progress line it shows from the sweep's events.
import { Experiment, ExperimentError, experimentSchema } from '../engine/experiment';
import { checkAxes, formatValue, GridAxis, GridValue, parseGrid, sweepableFields, SweepError } from '../engine/sweep/grid';
import type { SweepEvent } from './protocol';
import { NO_SLURM_CHOICES, slurmCliArgs, type SlurmChoices } from './slurmSetup';

/** DEN's thresholds, offered first and in this order; τ and k are picked by default. */
const THRESHOLDS = ['den.tau', 'den.sigma', 'den.k', 'den.mu', 'den.gamma', 'den.lambda'];
const PICKED = ['den.tau', 'den.k'];

interface Range {
  min?: number;
  max?: number;
  /** The minimum itself is not allowed (e.g. training.learningRate > 0). */
  exclusiveMin: boolean;
  integer: boolean;
}

export interface SweepFieldChoice {
  /** e.g. "den.tau". */
  field: string;
  /** The schema's title, e.g. "τ (expansion threshold)". */
  title: string;
  current: GridValue;
  /** The schema's range in words, e.g. "≥ 0 and ≤ 4096". */
  range: string;
  picked: boolean;
}

function schemaNode(field: string): Record<string, any> {
  const [section, key] = field.split('.');
  return (experimentSchema.properties as unknown as Record<string, { properties: Record<string, any> }>)[section].properties[key];
}

function rangeOf(field: string): Range {
  const node = schemaNode(field);
  // den.gamma is a number or a per-layer list of numbers with the same bounds
  const n = (node.oneOf as Record<string, any>[] | undefined)?.find((b) => b.type === 'number' || b.type === 'integer') ?? node;
  const types: string[] = Array.isArray(n.type) ? n.type : [n.type];
  return { min: n.exclusiveMinimum ?? n.minimum, max: n.maximum, exclusiveMin: n.exclusiveMinimum !== undefined, integer: !types.includes('number') };
}

export function rangeText(r: Range): string {
  const parts = [r.min !== undefined ? `${r.exclusiveMin ? '>' : '≥'} ${r.min}` : '', r.max !== undefined ? `≤ ${r.max}` : ''].filter(Boolean);
  return (r.integer ? 'an integer ' : '') + (parts.join(' and ') || 'any number');
}

/** The fields a sweep can vary, DEN's thresholds first, with the experiment's current values. */
export function sweepFieldChoices(exp: Experiment): SweepFieldChoice[] {
  const fields = [...sweepableFields().keys()];
  const order = (f: string) => (THRESHOLDS.includes(f) ? THRESHOLDS.indexOf(f) : THRESHOLDS.length + fields.indexOf(f));
  return fields
    .sort((a, b) => order(a) - order(b))
    .map((field) => {
      const [section, key] = field.split('.');
      const current = ((exp as unknown as Record<string, Record<string, GridValue | undefined>>)[section]?.[key] ?? null) as GridValue;
      return { field, title: String(schemaNode(field).title ?? field), current, range: rangeText(rangeOf(field)), picked: PICKED.includes(field) };
    });
}

const round = (v: number, integer: boolean) => (integer ? Math.round(v) : Number(v.toPrecision(3)));

/** Half, the current value and double, kept inside the schema's range; a per-layer list scales as a whole. */
export function suggestValues(field: string, current: GridValue): string {
  const r = rangeOf(field);
  const fits = (v: number) => (r.min === undefined || (r.exclusiveMin ? v > r.min : v >= r.min)) && (r.max === undefined || v <= r.max);
  const scaled = (f: number): GridValue | undefined => {
    if (current === null) return undefined;
    if (Array.isArray(current)) {
      const list = current.map((c) => round(c * f, r.integer));
      return list.every(fits) ? list : undefined;
    }
    const v = round(current * f, r.integer);
    return fits(v) ? v : undefined;
  };
  const values = [scaled(0.5), current, scaled(2)].filter((v): v is GridValue => v !== undefined);
  return [...new Set(values.map(formatValue))].join(', ');
}

/** The values typed for a field, parsed and checked against the schema by the engine (as `--grid field=…`). */
export function parseFieldValues(exp: Experiment, field: string, text: string): { axis: GridAxis } | { error: string } {
  try {
    const axes = parseGrid([`${field}=${text}`]);
    checkAxes(exp, axes);
    return { axis: axes[0] };
  } catch (err) {
    if (err instanceof SweepError || err instanceof ExperimentError) return { error: err.message };
    throw err;
  }
}

export interface SweepLaunch {
  experimentFile: string;
  axes: GridAxis[];
  /** Every point retrains task `task` from the run's checkpoint after task − 1; absent: from scratch. */
  from?: { runDir: string; task: number };
  /** Tasks each point trains (absent: 1 from a run, all from scratch). */
  tasks?: number;
  executor: 'local' | 'slurm';
  /** With the slurm executor: the sbatch options chosen. */
  slurm?: SlurmChoices;
}

/** The arguments of `den-lab sweep` (after the CLI's path) for a launch, with JSON events on stdout. */
export function sweepCliArgs(l: SweepLaunch): string[] {
  return [
    'sweep',
    l.experimentFile,
    ...l.axes.flatMap((a) => ['--grid', `${a.field}=${a.values.map(formatValue).join(',')}`]),
    ...(l.from ? ['--from', l.from.runDir, '--task', String(l.from.task)] : []),
    ...(l.tasks !== undefined ? ['--tasks', String(l.tasks)] : []),
    ...(l.executor === 'slurm' ? ['--executor', 'slurm', ...slurmCliArgs(l.slurm ?? NO_SLURM_CHOICES)] : []),
    '--json',
  ];
}

/** `den-lab sweep --cancel`: stops the points wherever they run (Slurm: scancel; local: through the process that runs them). */
export const sweepCancelArgs = (dir: string): string[] => ['sweep', '--cancel', dir, '--json'];

/** The sweep folder a command was given: `{ sweepDir }` (a command link), or a sweep node of the Runs tree (`{ sweep: { dir } }`). */
export function sweepDirOf(arg: unknown): string | undefined {
  const a = (arg ?? {}) as { sweepDir?: unknown; sweep?: { dir?: unknown } };
  if (typeof a.sweepDir === 'string') return a.sweepDir;
  return typeof a.sweep?.dir === 'string' ? a.sweep.dir : undefined;
}

/** What the progress notification knows of a sweep, folded from its events. */
export interface SweepProgress {
  dir: string | null;
  total: number;
  /** Points that ended (done, failed or cancelled), those done before a resume included. */
  ended: number;
  running: number;
  failed: number;
}

export const initialProgress = (): SweepProgress => ({ dir: null, total: 0, ended: 0, running: 0, failed: 0 });

export function applySweepEvent(p: SweepProgress, e: SweepEvent): SweepProgress {
  switch (e.type) {
    case 'sweep-start':
      return { dir: e.dir, total: e.sweep.points.length, ended: e.sweep.points.length - e.toRun.length, running: 0, failed: 0 };
    case 'point-start':
      return { ...p, running: p.running + 1 };
    case 'point-queued':
      return { ...p, running: Math.max(0, p.running - 1) };
    case 'point-end':
      return { ...p, running: Math.max(0, p.running - 1), ended: p.ended + 1, failed: p.failed + (e.point.status === 'failed' ? 1 : 0) };
    default:
      return p;
  }
}

/** "point 3 of 12" (the first point not yet ended), and how many run at once or failed. */
export function progressText(p: SweepProgress): string {
  if (!p.total) return 'planning the sweep…';
  if (p.ended >= p.total) return `all ${p.total} points ended${p.failed ? `, ${p.failed} failed` : ''}`;
  const extra = [p.running > 1 ? `${p.running} running` : '', p.failed ? `${p.failed} failed` : ''].filter(Boolean).join(', ');
  return `point ${p.ended + 1} of ${p.total}${extra ? ` (${extra})` : ''}`;
}
