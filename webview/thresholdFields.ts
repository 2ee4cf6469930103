// The threshold fields of the panel: labels, where each lives in the experiment file, and how typed
// text becomes a value. No DOM (unit-tested in Node).
import type { ThresholdValues } from '../src/protocol';
import { THRESHOLD_FIELDS } from '../src/protocol';

export type Field = keyof ThresholdValues;

export const FIELDS: Record<Field, { label: string; help: string; path: string }> = {
  tau: { label: 'τ (tau)', help: 'expand when the loss after selective retraining is above τ', path: 'den.tau' },
  sigma: { label: 'σ (sigma)', help: 'split a unit whose incoming weights drifted more than σ', path: 'den.sigma' },
  k: { label: 'k', help: 'units added per hidden layer on expansion', path: 'den.k' },
  mu: { label: 'μ (mu)', help: 'L1 on task 1 and the new units: a weight whose gradient stays below μ becomes 0', path: 'den.mu' },
  gamma: { label: 'γ (gamma)', help: 'group lasso on new units: a unit whose gradient RMS stays below γ is removed; one number, or one per layer separated by commas', path: 'den.gamma' },
  lambda: { label: 'λ (lambda)', help: 'drift penalty in selective retraining', path: 'den.lambda' },
  epochs: { label: 'epochs', help: 'epochs per training stage', path: 'training.epochs' },
  learningRate: { label: 'learning rate', help: 'Adam’s learning rate', path: 'training.learningRate' },
};

/** The field a validation problem's path ('den.sigma') names, if any. */
export function fieldOfPath(path: string): Field | undefined {
  return THRESHOLD_FIELDS.find((f) => FIELDS[f].path === path);
}

export const showValue = (v: number | number[]): string => (Array.isArray(v) ? v.join(', ') : String(v));

/**
 * The typed text as a threshold value, or why it is not one. Ranges and integers are the schema's
 * business: the host checks them and answers with the schema's message.
 */
export function parseThreshold(field: Field, text: string): { value: number | number[] } | { error: string } {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const numbers = parts.map(Number);
  const where = `${FIELDS[field].path} [${FIELDS[field].label}]`;
  if (!parts.length) return { error: `${where}: enter a value` };
  if (numbers.some((n) => !Number.isFinite(n))) return { error: `${where}: “${text.trim()}” is not a number` };
  if (field === 'gamma' && numbers.length > 1) return { value: numbers };
  if (numbers.length > 1) return { error: `${where}: enter one number` };
  return { value: numbers[0] };
}

/** Whether typed text means the value the file has. */
export function sameValue(field: Field, text: string, value: number | number[]): boolean {
  const parsed = parseThreshold(field, text);
  return 'value' in parsed && showValue(parsed.value) === showValue(value);
}
