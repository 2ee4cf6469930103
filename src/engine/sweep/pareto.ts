// The accuracy–capacity Pareto front of a sweep: the points no other point beats on both counts.
// A point dominates another if its quality is at least as high and its parameters at most as
// many, and it is strictly better in one of the two. The front is every point that nothing
// dominates. Consequences: of two points with the same parameters only the better one is on the
// front (and of two with the same quality only the smaller one); points with equal quality AND
// equal parameters (duplicates) dominate neither each other and are all on the front. Points
// without a finite quality or parameter count are never on it.

export interface Candidate {
  id: string;
  /** Higher is better (ACC or mean AUROC). */
  quality: number | null;
  /** Lower is better. */
  params: number | null;
}

const usable = (c: Candidate): c is Candidate & { quality: number; params: number } =>
  typeof c.quality === 'number' && Number.isFinite(c.quality) && typeof c.params === 'number' && Number.isFinite(c.params);

export const dominates = (a: { quality: number; params: number }, b: { quality: number; params: number }): boolean =>
  a.quality >= b.quality && a.params <= b.params && (a.quality > b.quality || a.params < b.params);

/** The ids on the front, by parameters ascending (then quality descending, then id). */
export function paretoFront(candidates: Candidate[]): string[] {
  const points = candidates.filter(usable);
  return points
    .filter((p) => !points.some((q) => dominates(q, p)))
    .sort((a, b) => a.params - b.params || b.quality - a.quality || a.id.localeCompare(b.id))
    .map((p) => p.id);
}
