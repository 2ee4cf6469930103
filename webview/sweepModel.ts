// The Sweep tab's data, DOM-free: sweep.json → one point per done grid point (quality against
// parameters), coloured by a chosen field, the Pareto front as sweep.json marks it, and every value
// for the tooltip and the table.
import { SWEEP_QUALITY_LABELS as QUALITY_LABELS, type SweepFile, type SweepPoint, type SweepQuality } from '../src/common/protocol';
import { fmt } from '../src/common/vocabulary';

type Value = SweepPoint['values'][string];

/** A grid value as the CLI writes it: 0.2, null, [0.001,0.01]. */
export const valueText = (v: Value | undefined): string => (v === undefined ? '—' : v === null ? 'null' : Array.isArray(v) ? `[${v.join(',')}]` : String(v));

export interface SweepChartPoint {
  id: string;
  /** Parameters (x) and the sweep's quality (y). */
  x: number;
  y: number;
  /** The value of the colour field, as text (the legend's entry). */
  group: string;
  pareto: boolean;
  /** Every value: the grid's, then the scores and the capacity. */
  lines: string[];
}

export interface SweepChartModel {
  quality: SweepQuality;
  qualityLabel: string;
  /** The grid's fields (the colour choices). */
  fields: string[];
  colorField: string | null;
  /** The colour groups in the grid's order of values. */
  groups: string[];
  /** Done points that have a quality. */
  points: SweepChartPoint[];
  /** The front's points by parameters ascending (the line). */
  front: SweepChartPoint[];
  counts: Record<SweepPoint['status'], number>;
}


export const qualityOf = (p: SweepPoint, q: SweepQuality): number | null => p.result?.[q] ?? null;

/** The lines of a point's tooltip (and its row in the table): every grid value and every score. */
export function pointLines(sweep: SweepFile, p: SweepPoint): string[] {
  const r = p.result;
  return [
    p.id,
    ...sweep.grid.map((a) => `${a.field} = ${valueText(p.values[a.field])}`),
    `${QUALITY_LABELS[sweep.quality]}: ${fmt(qualityOf(p, sweep.quality))}${p.pareto ? ' (on the Pareto front)' : ''}`,
    ...(r
      ? [
          `ACC ${fmt(r.acc)} · mean AUROC ${fmt(r.auroc)} · BWT ${fmt(r.bwt)}`,
          `validation: ACC ${fmt(r.validationAcc)} · mean AUROC ${fmt(r.validationAuroc)}`,
          `parameters ${r.params.toLocaleString('en-US')}${r.stlPercent === null ? '' : ` (${fmt(r.stlPercent)}% of STL)`}`,
          `units [${r.units.join(', ')}] · added ${r.added.join(', ')} · pruned ${r.pruned.join(', ')} · split ${r.split.join(', ')}`,
          `${r.tasks} tasks · ${r.seconds.toFixed(1)} s`,
        ]
      : []),
    `status: ${p.status}${p.message ? ` (${p.message})` : ''}`,
  ];
}

export function sweepChartModel(sweep: SweepFile, colorField: string | null): SweepChartModel {
  const fields = sweep.grid.map((a) => a.field);
  // by default the first field that varies (a field with one value colours nothing)
  const varies = sweep.grid.find((a) => a.values.length > 1)?.field;
  const field = colorField !== null && fields.includes(colorField) ? colorField : (varies ?? fields[0] ?? null);
  const axis = sweep.grid.find((a) => a.field === field);
  const groups = axis ? axis.values.map(valueText) : [];
  const counts = { pending: 0, running: 0, done: 0, failed: 0, cancelled: 0 };
  const points: SweepChartPoint[] = [];
  for (const p of sweep.points) {
    counts[p.status]++;
    const y = qualityOf(p, sweep.quality);
    if (p.status !== 'done' || !p.result || y === null) continue;
    points.push({ id: p.id, x: p.result.params, y, group: field ? valueText(p.values[field]) : '', pareto: p.pareto, lines: pointLines(sweep, p) });
  }
  const byId = new Map(points.map((p) => [p.id, p]));
  const front = sweep.front.map((id) => byId.get(id)).filter((p): p is SweepChartPoint => p !== undefined);
  front.sort((a, b) => a.x - b.x || b.y - a.y);
  return { quality: sweep.quality, qualityLabel: QUALITY_LABELS[sweep.quality], fields, colorField: field, groups, points, front, counts };
}

/** The table alternative: a row per point of the grid, every status. */
export function sweepTableRows(sweep: SweepFile): { columns: string[]; rows: (string | number | null)[][] } {
  const columns = ['point', ...sweep.grid.map((a) => a.field), 'status', QUALITY_LABELS[sweep.quality], 'ACC', 'mean AUROC', 'BWT', 'parameters', '% of STL', 'units', 'front'];
  const rows = sweep.points.map((p) => [
    p.id,
    ...sweep.grid.map((a) => valueText(p.values[a.field])),
    p.status === 'failed' && p.message ? `failed: ${p.message}` : p.status,
    qualityOf(p, sweep.quality),
    p.result?.acc ?? null,
    p.result?.auroc ?? null,
    p.result?.bwt ?? null,
    p.result?.params ?? null,
    p.result?.stlPercent ?? null,
    p.result ? p.result.units.join(', ') : null,
    p.pareto ? '★' : '',
  ]);
  return { columns, rows };
}
