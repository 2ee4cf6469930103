// Min/max decimation of a long series for drawing: per bucket of x the first, lowest, highest and
// last point, in x order, so every spike and the line's envelope survive. No DOM.

export interface Point {
  x: number;
  y: number;
}

/**
 * At most about 4 points per bucket over [xMin, xMax] (`xs` ascending). Short series come back whole.
 */
export function decimateMinMax(xs: readonly number[], ys: readonly number[], buckets: number, xMin = xs[0], xMax = xs[xs.length - 1]): Point[] {
  const n = xs.length;
  if (n <= buckets * 4 || !(xMax > xMin) || buckets < 1) {
    const out: Point[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = { x: xs[i], y: ys[i] };
    return out;
  }
  const out: Point[] = [];
  const width = (xMax - xMin) / buckets;
  let i = 0;
  while (i < n) {
    const bucket = Math.min(buckets - 1, Math.floor((xs[i] - xMin) / width));
    const first = i;
    let lo = i;
    let hi = i;
    i++;
    while (i < n && Math.min(buckets - 1, Math.floor((xs[i] - xMin) / width)) === bucket) {
      if (ys[i] < ys[lo]) lo = i;
      if (ys[i] > ys[hi]) hi = i;
      i++;
    }
    const last = i - 1;
    // the four indices in x order, without repeats
    const picks = [first, lo, hi, last].sort((a, b) => a - b);
    for (let k = 0; k < picks.length; k++) if (k === 0 || picks[k] !== picks[k - 1]) out.push({ x: xs[picks[k]], y: ys[picks[k]] });
  }
  return out;
}
