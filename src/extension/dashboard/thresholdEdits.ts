// Threshold fields of the dashboard ⇄ the experiment file's text. No vscode import.
import { applyEdits, modify } from 'jsonc-parser';
import { ExperimentError, parseExperimentText, validateExperiment } from '../../engine/experiment';
import type { ThresholdValues } from '../../protocol';

/** Where each threshold lives in the experiment file. */
export const THRESHOLD_PATHS: Record<keyof ThresholdValues, string[]> = {
  tau: ['den', 'tau'],
  sigma: ['den', 'sigma'],
  k: ['den', 'k'],
  mu: ['den', 'mu'],
  gamma: ['den', 'gamma'],
  lambda: ['den', 'lambda'],
  epochs: ['training', 'epochs'],
  learningRate: ['training', 'learningRate'],
};

/** The thresholds of an experiment text (defaults filled in), or the problems that prevent reading them. */
export function readThresholds(text: string, label: string): { values: ThresholdValues | null; problems: { field: string; message: string }[] } {
  try {
    const exp = validateExperiment(parseExperimentText(text, label), label);
    const d = exp.den;
    return {
      values: { tau: d.tau, sigma: d.sigma, k: d.k, mu: d.mu, gamma: d.gamma, lambda: d.lambda, epochs: exp.training.epochs, learningRate: exp.training.learningRate },
      problems: [],
    };
  } catch (err) {
    if (!(err instanceof ExperimentError)) throw err;
    return { values: null, problems: (err.problems.length ? err.problems : [{ path: '', message: err.message }]).map((p) => ({ field: p.path, message: p.message })) };
  }
}

/**
 * The text with one threshold changed, keeping comments and formatting, if the result is a valid
 * experiment; otherwise the validation problems (the schema's messages) and no text.
 */
export function editThreshold(text: string, label: string, field: keyof ThresholdValues, value: number | number[]): { text: string | null; problems: { field: string; message: string }[] } {
  const edits = modify(text, THRESHOLD_PATHS[field], value, { formattingOptions: { insertSpaces: true, tabSize: 2 } });
  const next = applyEdits(text, edits);
  const { problems } = readThresholds(next, label);
  return problems.length ? { text: null, problems } : { text: next, problems: [] };
}
