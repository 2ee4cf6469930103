// Tick labels of a log axis of counts (no DOM, unit-tested in Node).
/** A tick label of a log axis of counts: 1, 2, 3, 5 and 7 × 10^k, compact (300k, 1M); '' elsewhere. */
export function logTick(v: number | string): string {
  const n = Number(v);
  if (!(n > 0)) return '';
  const e = Math.floor(Math.log10(n) + 1e-9);
  if (![1, 2, 3, 5, 7].some((m) => Math.abs(n / 10 ** e - m) < 1e-6)) return '';
  const [div, unit] = n >= 1e6 ? [1e6, 'M'] : n >= 1e3 ? [1e3, 'k'] : [1, ''];
  return `${Number((n / div).toPrecision(3))}${unit}`;
}
