// The threshold fields of the panel: labels, where each lives in the experiment file, and how typed
// text becomes a value. No DOM (unit-tested in Node).
import { THRESHOLD_FIELDS } from '../src/common/protocol';
import { THRESHOLDS, thresholdPath, type ThresholdField } from '../src/common/vocabulary';

export type Field = ThresholdField;

/** Label and meaning of each field (the shared vocabulary), with its dotted place in the file. */
export const FIELDS: Record<Field, { label: string; help: string; path: string }> = Object.fromEntries(
  THRESHOLD_FIELDS.map((f) => [f, { label: THRESHOLDS[f].label, help: THRESHOLDS[f].help, path: thresholdPath(f) }]),
) as Record<Field, { label: string; help: string; path: string }>;

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
