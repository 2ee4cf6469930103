// "Adopt these values" of a sweep point without vscode: the text edits that give the experiment file
// the point's values. A value the file has already is left alone; a value the file writes is
// replaced where it stands (only that number or list changes: comments, spacing and the other
// fields stay as they are); a field the file omits (its default) is inserted by jsonc-parser.
// The result must be a valid experiment, or nothing is edited.
import { applyEdits, findNodeAtLocation, getNodeValue, modify, parseTree, type Edit } from 'jsonc-parser';
import { ExperimentError, parseExperimentText, validateExperiment } from '../../engine/experiment';
import type { GridValue } from '../../engine/sweep/grid';

export interface AdoptResult {
  /** Edits of the original text (offsets into it, not overlapping); empty when the file has the values already. */
  edits: Edit[];
  /** The text after the edits. */
  text: string;
  /** Fields whose value changes. */
  changed: string[];
  /** Why the values cannot be adopted (the schema's messages); no edits then. */
  problems: string[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const literal = (v: GridValue) => (Array.isArray(v) ? `[${v.map((x) => JSON.stringify(x)).join(', ')}]` : JSON.stringify(v));

export function adoptEdits(text: string, label: string, values: Record<string, GridValue>): AdoptResult {
  const tree = parseTree(text, [], { allowTrailingComma: true });
  let current: Record<string, Record<string, unknown>>;
  try {
    current = validateExperiment(parseExperimentText(text, label), label) as unknown as Record<string, Record<string, unknown>>;
  } catch (err) {
    if (!(err instanceof ExperimentError)) throw err;
    return { edits: [], text, changed: [], problems: [`${label} has errors; fix them first: ${err.message}`] };
  }
  const inPlace: Edit[] = [];
  const missing: [string[], GridValue][] = [];
  const changed: string[] = [];
  for (const [field, value] of Object.entries(values)) {
    const path = field.split('.');
    if (same(current[path[0]]?.[path[1]] ?? null, value)) continue;
    changed.push(field);
    const node = tree && findNodeAtLocation(tree, path);
    if (node && !same(getNodeValue(node), value)) inPlace.push({ offset: node.offset, length: node.length, content: literal(value) });
    else if (!node) missing.push([path, value]);
  }
  let next = applyEdits(text, inPlace);
  let edits = inPlace;
  if (missing.length) {
    // insertions may share an object (and its commas): made one after the other, then given as one edit of the span that changed
    for (const [path, value] of missing) next = applyEdits(next, modify(next, path, value, { formattingOptions: { insertSpaces: true, tabSize: 2 } }));
    edits = [spanEdit(text, next)];
  }
  try {
    validateExperiment(parseExperimentText(next, label), label);
  } catch (err) {
    if (!(err instanceof ExperimentError)) throw err;
    return { edits: [], text, changed: [], problems: [err.message] };
  }
  return { edits, text: next, changed, problems: [] };
}

/** The single edit that turns `before` into `after`: the span between their common prefix and suffix. */
export function spanEdit(before: string, after: string): Edit {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let end = 0;
  while (end < before.length - start && end < after.length - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end++;
  return { offset: start, length: before.length - start - end, content: after.slice(start, after.length - end) };
}
