// The grid of a sweep: `--grid field=v1,v2,…` options parsed against the experiment schema, and
// the points (every combination). The sweepable fields are the schema's numeric fields of `den`,
// `training` and `baselines`, found in the schema itself, so a field added there is sweepable.
// Values: numbers; `null` where the schema allows it (e.g. training.steps); a per-layer list in
// brackets where the schema allows an array (den.gamma=0.001,[0.001,0.01], `;` also separates).
import { Experiment, experimentSchema, validateExperiment } from '../experiment';

export type GridValue = number | number[] | null;

export interface GridAxis {
  field: string;
  values: GridValue[];
}

/** One combination of grid values, by field. */
export type GridPoint = Record<string, GridValue>;

/** A sweep that cannot run as asked; the message names the option or field. */
export class SweepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SweepError';
  }
}

const SECTIONS = ['den', 'training', 'baselines'] as const;

interface FieldKind {
  integer: boolean;
  nullable: boolean;
  perLayer: boolean;
}

/** The numeric fields of the schema's den, training and baselines sections, and what values each takes. */
export function sweepableFields(): Map<string, FieldKind> {
  const fields = new Map<string, FieldKind>();
  const props = experimentSchema.properties as Record<string, { properties?: Record<string, any> }>;
  for (const section of SECTIONS) {
    for (const [key, node] of Object.entries(props[section].properties ?? {})) {
      const branches: any[] = node.oneOf ?? [node];
      const types = branches.flatMap((b) => (Array.isArray(b.type) ? b.type : [b.type]));
      const numeric = types.includes('number') || types.includes('integer');
      if (!numeric) continue;
      fields.set(`${section}.${key}`, {
        integer: !types.includes('number'),
        nullable: types.includes('null'),
        perLayer: branches.some((b) => b.type === 'array' && ['number', 'integer'].includes(b.items?.type)),
      });
    }
  }
  return fields;
}

export const formatValue = (v: GridValue): string => (v === null ? 'null' : Array.isArray(v) ? `[${v.join(',')}]` : String(v));

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Splits at commas outside brackets; throws on unbalanced brackets. */
function splitTopLevel(text: string, where: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '[') depth++;
    else if (text[i] === ']' && --depth < 0) break;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) throw new SweepError(`${where}: unbalanced brackets in '${text}'; a per-layer list is written [v1,v2] (quote it in the shell)`);
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

function parseValue(token: string, field: string, kind: FieldKind, where: string): GridValue {
  const number = (t: string): number => {
    if (!NUMBER.test(t)) throw new SweepError(`${where}: '${t}' is not a number`);
    return Number(t);
  };
  if (token === '') throw new SweepError(`${where}: an empty value; write the values separated by commas, e.g. ${field}=1,2`);
  if (token === 'null') {
    if (!kind.nullable) throw new SweepError(`${where}: ${field} cannot be null`);
    return null;
  }
  if (token.startsWith('[')) {
    if (!kind.perLayer) throw new SweepError(`${where}: ${field} takes one number, not a per-layer list '${token}'`);
    const inner = token.slice(1, -1).trim();
    if (!token.endsWith(']') || inner === '') throw new SweepError(`${where}: '${token}' is not a per-layer list like [0.001,0.01]`);
    return inner.split(/[,;]/).map((t) => number(t.trim()));
  }
  return number(token);
}

/** Parses `--grid` options ("field=v1,v2,…"); every field at most once, every value once. */
export function parseGrid(specs: string[]): GridAxis[] {
  const fields = sweepableFields();
  const known = () => `sweepable fields: ${[...fields.keys()].join(', ')}`;
  if (!specs.length) throw new SweepError(`a sweep needs at least one --grid field=v1,v2,…; ${known()}`);
  const axes: GridAxis[] = [];
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq < 1) throw new SweepError(`--grid '${spec}': expected field=v1,v2,…, e.g. --grid den.tau=0.01,0.1`);
    const field = spec.slice(0, eq).trim();
    const where = `--grid ${field}`;
    const kind = fields.get(field);
    if (!kind) throw new SweepError(`${where}: not a numeric field of den, training or baselines; ${known()}`);
    if (axes.some((a) => a.field === field)) throw new SweepError(`${where}: given twice; list all its values in one --grid`);
    const values = splitTopLevel(spec.slice(eq + 1), where).map((t) => parseValue(t, field, kind, where));
    const seen = new Set<string>();
    for (const v of values) {
      if (seen.has(formatValue(v))) throw new SweepError(`${where}: the value ${formatValue(v)} is listed twice`);
      seen.add(formatValue(v));
    }
    axes.push({ field, values });
  }
  return axes;
}

/** Number of points of the grid (computed without building them). */
export const gridSize = (axes: GridAxis[]): number => axes.reduce((n, a) => n * a.values.length, 1);

/** Every combination of the axes' values; the first axis varies slowest. */
export function gridPoints(axes: GridAxis[]): GridPoint[] {
  return axes.reduce<GridPoint[]>((points, axis) => points.flatMap((p) => axis.values.map((v) => ({ ...p, [axis.field]: v }))), [{}]);
}

/** The experiment with the point's values set (not validated). */
export function withValues(exp: Experiment, point: GridPoint): Experiment {
  const out = structuredClone(exp) as unknown as Record<string, Record<string, unknown>>;
  for (const [field, value] of Object.entries(point)) {
    const [section, key] = field.split('.');
    out[section][key] = value;
  }
  return out as unknown as Experiment;
}

/** Checks every value of every axis against the schema on its own, so the message names that value. */
export function checkAxes(exp: Experiment, axes: GridAxis[]): void {
  for (const axis of axes) for (const v of axis.values) validateExperiment(withValues(exp, { [axis.field]: v }), `--grid ${axis.field}=${formatValue(v)}`);
}

/** A folder-safe id for point `index` (0-based) of `count`, e.g. "03-tau0.1-k10". */
export function pointId(index: number, count: number, point: GridPoint): string {
  const width = String(count).length;
  const parts = Object.entries(point).map(([field, v]) => `${field.split('.').pop()}${v === null ? 'null' : Array.isArray(v) ? v.join('_') : v}`);
  return [String(index + 1).padStart(Math.max(2, width), '0'), ...parts].join('-').replace(/[^A-Za-z0-9._-]+/g, '_');
}
