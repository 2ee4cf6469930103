// Threshold fields of the dashboard ⇄ the experiment file's text. No vscode import.
import { applyEdits, modify, type Edit } from 'jsonc-parser';
import { ExperimentError, fieldSchema, parseExperimentText, validateExperiment } from '../../engine/experiment';
import { THRESHOLD_FIELDS, type ThresholdValues } from '../protocol';
import { THRESHOLDS, thresholdPath, type ThresholdField } from '../vocabulary';

export interface ThresholdReading {
  /** The values the file has (defaults filled in); for an invalid file, the values as written where they are numbers. */
  values: ThresholdValues | null;
  /** Why the file is not a valid experiment (empty when it is). */
  problems: { field: string; message: string }[];
}

/** The thresholds of an experiment text (defaults filled in), and the problems that make it invalid. */
export function readThresholds(text: string, label: string): ThresholdReading {
  let raw: unknown;
  try {
    raw = parseExperimentText(text, label);
    const exp = validateExperiment(raw, label);
    const d = exp.den;
    return {
      values: { tau: d.tau, sigma: d.sigma, k: d.k, mu: d.mu, gamma: d.gamma, lambda: d.lambda, epochs: exp.training.epochs, learningRate: exp.training.learningRate },
      problems: [],
    };
  } catch (err) {
    if (!(err instanceof ExperimentError)) throw err;
    const problems = (err.problems.length ? err.problems : [{ path: '', message: err.message }]).map((p) => ({ field: p.path, message: p.message }));
    return { values: raw === undefined ? null : asWritten(raw), problems };
  }
}

const isInt = (v: unknown) => Number.isInteger(v);
const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const FITS: Record<ThresholdField, (v: unknown) => boolean> = {
  tau: isNum,
  sigma: isNum,
  k: isInt,
  mu: isNum,
  gamma: (v) => isNum(v) || (Array.isArray(v) && v.length > 0 && v.every(isNum)),
  lambda: isNum,
  epochs: isInt,
  learningRate: isNum,
};

/** The thresholds an invalid file writes (so that the panel shows them, e.g. k = -3, with the problem); the schema's default where it writes none or no number. */
function asWritten(raw: unknown): ThresholdValues {
  const out = {} as Record<ThresholdField, unknown>;
  for (const field of THRESHOLD_FIELDS) {
    const [section, key] = THRESHOLDS[field].path;
    const written = (raw as Record<string, Record<string, unknown> | undefined> | null)?.[section]?.[key];
    out[field] = FITS[field](written) ? written : fieldSchema(thresholdPath(field))?.default;
  }
  return out as ThresholdValues;
}

/**
 * The edits that change one threshold, keeping comments and formatting (jsonc-parser's minimal edits:
 * only that value, or the inserted property, changes), if the result is a valid experiment; otherwise
 * the validation problems (the schema's messages) and no edits.
 */
export function editThreshold(text: string, label: string, field: ThresholdField, value: number | number[]): { edits: Edit[]; text: string | null; problems: { field: string; message: string }[] } {
  const edits = modify(text, [...THRESHOLDS[field].path], value, { formattingOptions: { insertSpaces: true, tabSize: 2 } });
  const next = applyEdits(text, edits);
  const { problems } = readThresholds(next, label);
  return problems.length ? { edits: [], text: null, problems } : { edits, text: next, problems: [] };
}
