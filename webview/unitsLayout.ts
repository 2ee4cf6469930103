// The Units tab's layout (pure): units grouped by the task that created them, every split copy
// right after the unit it copies (copies of copies after their copy), each unit exactly once; and
// a unit's weights as an image in its task's pixel order.

/** A group of the layout: the units born at `born` that are not copies, each followed by its copies. */
export interface UnitGroup {
  born: number;
  units: number[];
}

/**
 * Drawing order of a layer's units. A copy (copyOf ≥ 0) goes right after its original, whatever
 * task made it; every other unit (copyOf −1, or −2 when unknown) opens a place in its birth group.
 */
export function unitOrder(born: number[], copyOf: number[]): UnitGroup[] {
  const copies = new Map<number, number[]>();
  copyOf.forEach((o, u) => {
    if (o >= 0) copies.set(o, [...(copies.get(o) ?? []), u]);
  });
  const withCopies = (u: number): number[] => [u, ...(copies.get(u) ?? []).flatMap(withCopies)];
  const groups: UnitGroup[] = [];
  born.forEach((b, u) => {
    if (copyOf[u] >= 0) return;
    let g = groups[groups.length - 1];
    if (!g || g.born !== b) groups.push((g = { born: b, units: [] }));
    g.units.push(...withCopies(u));
  });
  return groups;
}

/**
 * The image of a unit's incoming weights (one value per input). With a pixel order (permuted
 * tasks: input i reads source pixel order[i]) each weight goes back to the pixel it reads, so that
 * a unit of a permuted task looks like a stroke; without one the inputs are the pixels.
 */
export function unitImage(weights: Float32Array, unit: number, inputs: number, order: number[] | null): Float32Array {
  const w = weights.subarray(unit * inputs, (unit + 1) * inputs);
  if (!order) return w;
  const out = new Float32Array(inputs);
  for (let i = 0; i < inputs; i++) out[order[i]] = w[i];
  return out;
}
