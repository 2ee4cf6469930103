// Min/max decimation of a long series for drawing: per bucket of x the first, lowest, highest and
// last point, in x order, so every spike and the line's envelope survive. Buckets lie on a fixed
// grid (bucket b holds b·width ≤ x < (b+1)·width), so a series that grows is decimated
// incrementally: only its last, still open bucket is decimated again. No DOM.

export interface Point {
  x: number;
  y: number;
}

/**
 * One series decimated and kept up to date while points are appended to it. Each update makes a new,
 * frozen array (chart.js leaves a frozen array alone instead of patching its methods), which reuses
 * the point objects of every closed bucket.
 */
export class MinMaxSeries {
  points: readonly Point[] = Object.freeze([]);
  private width = NaN;
  /** Where the last (open) bucket starts: its first input index and its first index in `points`. */
  private openInput = 0;
  private openOutput = 0;

  /**
   * Brings `points` up to date with xs/ys (xs ascending; only appended to since the last call). A
   * width of 1 or less keeps every point of a series of integer steps; a new width decimates anew.
   */
  update(xs: readonly number[], ys: readonly number[], width: number): readonly Point[] {
    if (width !== this.width || xs.length < this.openInput) {
      this.width = width;
      this.openInput = 0;
      this.openOutput = 0;
    }
    const keep = this.openOutput; // the points of closed buckets stay as they are
    const n = xs.length;
    const added: Point[] = [];
    let i = this.openInput;
    while (i < n) {
      const bucket = Math.floor(xs[i] / width);
      const first = i;
      let lo = i;
      let hi = i;
      i++;
      while (i < n && Math.floor(xs[i] / width) === bucket) {
        if (ys[i] < ys[lo]) lo = i;
        if (ys[i] > ys[hi]) hi = i;
        i++;
      }
      // this bucket may still grow: the next update starts over from it
      this.openInput = first;
      this.openOutput = keep + added.length;
      // the four indices in x order, without repeats
      const picks = [first, lo, hi, i - 1].sort((a, b) => a - b);
      for (let k = 0; k < picks.length; k++) if (k === 0 || picks[k] !== picks[k - 1]) added.push({ x: xs[picks[k]], y: ys[picks[k]] });
    }
    if (keep < this.points.length || added.length) this.points = Object.freeze(this.points.slice(0, keep).concat(added));
    return this.points;
  }
}
