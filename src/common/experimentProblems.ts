// Problems in an experiment file, with their place in the text: syntax and schema errors (the
// engine's own validation), data files that are missing or not valid IDX/CSV, and fields that
// differ from the run the next training would continue. No vscode import.
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { findNodeAtLocation, Node, parseTree } from 'jsonc-parser';
import { Experiment, ExperimentError, incompatibilities, parseExperimentText, validateExperiment, withAbsolutePaths } from '../engine/experiment';
import type { RunSummary } from './protocol';
import { short } from './vocabulary';
import type { RunEntry } from './runIndex';

export interface Problem {
  offset: number;
  length: number;
  message: string;
  severity: 'error' | 'warning';
  /** The JSON path, e.g. "den.sigma" ('' for syntax errors). */
  field: string;
  /** A syntax or schema error: the JSON language service reports it already (from the schema the extension contributes). */
  inSchema: boolean;
}

export interface ExperimentCheck {
  problems: Problem[];
  /** The validated experiment (absolute data paths), when the file has no error. */
  experiment: Experiment | undefined;
}

/**
 * The text range for a dotted path: the value if it is a scalar, else the property's key; for a
 * missing field, the key of its closest existing parent.
 */
function rangeOf(root: Node | undefined, field: string): { offset: number; length: number } {
  if (!root) return { offset: 0, length: 1 };
  const parts: (string | number)[] = field ? field.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [];
  for (let n = parts.length; n >= 0; n--) {
    const node = findNodeAtLocation(root, parts.slice(0, n));
    if (!node) continue;
    const key = node.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
    const scalar = node.type !== 'object' && node.type !== 'array';
    if (n === parts.length && scalar) return { offset: node.offset, length: node.length };
    return key ? { offset: key.offset, length: key.length } : { offset: node.offset, length: 1 };
  }
  return { offset: root.offset, length: 1 };
}

/** Reads the first bytes of a (possibly gzipped) file. */
function head(file: string, bytes = 65536): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = fs.readSync(fd, buf, 0, bytes, 0);
    const raw = buf.subarray(0, n);
    if (raw[0] === 0x1f && raw[1] === 0x8b) return zlib.gunzipSync(raw, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    return raw;
  } finally {
    fs.closeSync(fd);
  }
}

/** Why `file` is not a usable IDX file of `dims` dimensions, or null. Checks the header only. */
export function idxHeaderProblem(file: string, dims: 1 | 3): string | null {
  if (!fs.existsSync(file)) return `file not found: ${file}`;
  let h: Buffer;
  try {
    h = head(file);
  } catch (err) {
    return `cannot read ${file} (${(err as Error).message}); is it a corrupt .gz?`;
  }
  if (h.length < 4 || h[0] !== 0 || h[1] !== 0) return `${file} is not an IDX file (bad magic number)`;
  if (h[2] !== 0x08) return `${file}: IDX data type 0x${h[2].toString(16)} is not supported (unsigned bytes only)`;
  if (h[3] !== dims) return `${file} has ${h[3]} dimensions; ${dims === 3 ? 'images need 3 (count × rows × cols)' : 'labels need 1'}`;
  return null;
}

/** Why `file` is not a usable CSV with `labelColumn`, or null. Checks the header line only. */
export function csvHeaderProblem(file: string, labelColumn: string): string | null {
  if (!fs.existsSync(file)) return `file not found: ${file}`;
  const first = head(file, 16384).toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/)[0];
  const columns = first.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
  if (!columns.includes(labelColumn)) return `${file} has no column '${labelColumn}' (columns: ${columns.slice(0, 8).join(', ')}${columns.length > 8 ? ', …' : ''})`;
  if (columns.length < 2) return `${file} has no feature columns`;
  return null;
}

function dataProblems(exp: Experiment): { field: string; message: string }[] {
  const d = exp.data;
  const out: { field: string; message: string }[] = [];
  const check = (field: string, problem: string | null) => problem && out.push({ field: `data.${field}`, message: problem });
  if (d.source === 'idx') {
    check('trainImages', idxHeaderProblem(d.trainImages, 3));
    check('trainLabels', idxHeaderProblem(d.trainLabels, 1));
    if (d.testImages) check('testImages', idxHeaderProblem(d.testImages, 3));
    if (d.testLabels) check('testLabels', idxHeaderProblem(d.testLabels, 1));
  } else if (d.source === 'csv') {
    check('train', csvHeaderProblem(d.train, d.labelColumn));
    if (d.test) check('test', csvHeaderProblem(d.test, d.labelColumn));
  }
  return out;
}

/**
 * Checks an experiment file's text. `latestRun` is the run the next training would continue, if
 * any, for the warnings about fields that differ from it.
 */
export function checkExperimentText(text: string, file: string, latestRun?: RunEntry): ExperimentCheck {
  const root = parseTree(text, [], { allowTrailingComma: true });
  const at = (field: string, message: string, severity: Problem['severity'] = 'error', inSchema = false): Problem => ({ ...rangeOf(root, field), message, severity, field, inSchema });
  let experiment: Experiment;
  try {
    experiment = withAbsolutePaths(validateExperiment(parseExperimentText(text, path.basename(file)), path.basename(file)), path.dirname(file));
  } catch (err) {
    if (!(err instanceof ExperimentError)) throw err;
    const problems = err.problems.length ? err.problems : [{ path: '', message: err.message }];
    return {
      experiment: undefined,
      problems: problems.map((p) =>
        p.offset !== undefined ? { offset: p.offset, length: 1, message: p.message, severity: 'error' as const, field: '', inSchema: p.inSchema === true } : at(p.path, p.message, 'error', p.inSchema === true),
      ),
    };
  }
  const problems = dataProblems(experiment).map((p) => at(p.field, p.message));
  if (latestRun?.experiment && latestRun.summary) {
    for (const message of incompatibilities(latestRun.experiment, experiment, path.basename(latestRun.dir))) {
      const field = message.split(':')[0];
      problems.push(at(field, `${message}. "Train Next Task" will start a new run.`, 'warning'));
    }
    for (const p of inertThresholds(experiment, latestRun.summary, path.basename(latestRun.dir))) problems.push(at(p.field, p.message, 'warning'));
  }
  return { problems, experiment };
}

/** How far outside everything the latest run observed a threshold must be to be called inert (not a near miss). */
const INERT_FACTOR = 2;

/**
 * Thresholds that would decide nothing, judged by what the latest run of this experiment observed: τ far
 * below (every task expands) or far above (none does) every τ statistic, σ far above every drift (no unit splits).
 */
export function inertThresholds(exp: Experiment, summary: RunSummary, runName: string): { field: string; message: string }[] {
  if (!exp.method.startsWith('den')) return [];
  const later = summary.tasks.filter((t) => t.tauStatistic !== null && t.tauStatisticKind === exp.den.tauStatistic);
  const out: { field: string; message: string }[] = [];
  if (later.length) {
    const stats = later.map((t) => t.tauStatistic!);
    const lo = Math.min(...stats);
    const hi = Math.max(...stats);
    const { tau } = exp.den;
    if (tau * INERT_FACTOR < lo) out.push({ field: 'den.tau', message: `den.tau: ${tau} is far below every τ statistic of run ${runName} (lowest ${short(lo)}): every task would expand, so τ decides nothing` });
    else if (tau > INERT_FACTOR * hi) out.push({ field: 'den.tau', message: `den.tau: ${tau} is far above every τ statistic of run ${runName} (highest ${short(hi)}): no task would expand, so k, μ and γ do nothing` });
  }
  const drifts = summary.tasks.flatMap((t) => t.maxDrift ?? []);
  if (drifts.length && exp.den.sigma > INERT_FACTOR * Math.max(...drifts)) {
    out.push({ field: 'den.sigma', message: `den.sigma: ${exp.den.sigma} is far above every drift ρ of run ${runName} (largest ${short(Math.max(...drifts))}): no unit would split` });
  }
  return out;
}
