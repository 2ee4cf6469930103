// A small SVG writer for the bench's figures: elements as strings, linear and log scales with
// readable ticks, and a figure frame (white background, title, axes with grid lines and titles, a
// legend on the right). No DOM and no browser, so `npm run bench` writes figures anywhere Node
// runs, and the same numbers always give the same file (committed results diff cleanly).

export type Attrs = Record<string, string | number | null | undefined>;

export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Numbers with at most two decimals (pixels), so files stay small and stable. */
export const num = (v: number) => String(Math.round(v * 100) / 100);

/** An element; attributes that are null or undefined are left out, children are markup already. */
export function el(tag: string, attrs: Attrs = {}, ...children: (string | false | null | undefined)[]): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => ` ${k}="${typeof v === 'number' ? num(v) : esc(v as string)}"`)
    .join('');
  const inner = children.filter((c): c is string => typeof c === 'string' && c !== '').join('');
  return inner ? `<${tag}${a}>${inner}</${tag}>` : `<${tag}${a}/>`;
}

export const text = (x: number, y: number, s: string, attrs: Attrs = {}) => el('text', { x, y, ...attrs }, esc(s));

/** A map from data values to pixels, with the ticks its axis shows. */
export interface Scale {
  (v: number): number;
  ticks: { value: number; label: string }[];
}

/** Ticks at 1, 2 or 5 × 10^k covering [lo, hi], about `count` of them. */
function niceTicks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) out.push(Number((i * step).toPrecision(12)));
  return out;
}

/** Decimals enough to tell ticks `step` apart. */
const decimals = (step: number) => Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));

export function linearScale([d0, d1]: [number, number], [r0, r1]: [number, number], count = 6): Scale {
  const span = d1 - d0 || 1;
  const f = ((v: number) => r0 + ((v - d0) / span) * (r1 - r0)) as Scale;
  const ticks = niceTicks(d0, d1, count);
  const digits = ticks.length > 1 ? decimals(ticks[1] - ticks[0]) : 2;
  f.ticks = ticks.map((value) => ({ value, label: value.toFixed(digits) }));
  return f;
}

/** Parameter counts: 1.5k, 250k, 2.9M. */
export function compact(v: number): string {
  const [div, unit] = v >= 1e6 ? [1e6, 'M'] : v >= 1e3 ? [1e3, 'k'] : [1, ''];
  return `${Number((v / div).toPrecision(3))}${unit}`;
}

/** A log10 scale (positive data) with ticks at 1, 2 and 5 × 10^k inside the domain (more mantissas on a short domain). */
export function logScale([d0, d1]: [number, number], [r0, r1]: [number, number]): Scale {
  const [l0, l1] = [Math.log10(d0), Math.log10(d1)];
  const f = ((v: number) => r0 + ((Math.log10(v) - l0) / (l1 - l0 || 1)) * (r1 - r0)) as Scale;
  const ticksWith = (mantissas: number[]) => {
    const ticks: number[] = [];
    for (let e = Math.floor(l0); e <= Math.ceil(l1); e++) for (const m of mantissas) if (m * 10 ** e >= d0 && m * 10 ** e <= d1) ticks.push(Number((m * 10 ** e).toPrecision(6)));
    return ticks;
  };
  const ticks = [[1, 2, 5], [1, 2, 3, 5, 7], [1, 1.5, 2, 3, 4, 5, 6, 7, 8]].map(ticksWith).find((t) => t.length >= 4) ?? ticksWith([1, 1.5, 2, 3, 4, 5, 6, 7, 8]);
  f.ticks = ticks.map((value) => ({ value, label: compact(value) }));
  return f;
}

/** The data range [lo, hi] widened by `pad` of its span on each side. */
export function padded(values: number[], pad = 0.06): [number, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || Math.abs(hi) * 0.1 || 1;
  return [lo - pad * span, hi + pad * span];
}

export interface LegendItem {
  label: string;
  /** A small symbol drawn at (0, 0), about 14 px wide. */
  symbol: string;
}

export const INK = '#24292f';
const MUTED = '#57606a';
const GRID = '#d0d7de';
export const FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";

/** Where the plot area is inside a figure of the given size (legend on the right). */
export function plotArea(width: number, height: number, legendWidth = 230) {
  return { left: 78, top: 58, right: width - legendWidth - 20, bottom: height - 58 };
}

export interface FigureSpec {
  width: number;
  height: number;
  title: string;
  /** One sentence under the title: what the figure shows. */
  subtitle: string;
  /** Ticks on the x axis at pixel positions (a band scale's categories, or a Scale's ticks). */
  xTicks: { at: number; label: string }[];
  y: Scale;
  xTitle: string;
  yTitle: string;
  legend: LegendItem[];
  /** The marks, drawn inside the plot area. */
  body: string;
}

/** The whole SVG document: background, title, grid, axes, body, legend. */
export function figure(f: FigureSpec): string {
  const a = plotArea(f.width, f.height);
  const yTicks = f.y.ticks.filter((t) => f.y(t.value) >= a.top - 0.5 && f.y(t.value) <= a.bottom + 0.5);
  const grid = yTicks.map((t) => el('line', { x1: a.left, x2: a.right, y1: f.y(t.value), y2: f.y(t.value), stroke: GRID, 'stroke-width': 1 })).join('');
  const yAxis = el(
    'g',
    { class: 'axis y', 'font-size': 12, fill: MUTED, 'text-anchor': 'end' },
    el('line', { x1: a.left, x2: a.left, y1: a.top, y2: a.bottom, stroke: MUTED }),
    ...yTicks.map((t) => text(a.left - 8, f.y(t.value) + 4, t.label)),
    text(0, 0, f.yTitle, { transform: `translate(18 ${num((a.top + a.bottom) / 2)}) rotate(-90)`, 'text-anchor': 'middle', fill: INK, 'font-size': 13 }),
  );
  const xAxis = el(
    'g',
    { class: 'axis x', 'font-size': 12, fill: MUTED, 'text-anchor': 'middle' },
    el('line', { x1: a.left, x2: a.right, y1: a.bottom, y2: a.bottom, stroke: MUTED }),
    ...f.xTicks.map((t) => el('line', { x1: t.at, x2: t.at, y1: a.bottom, y2: a.bottom + 5, stroke: MUTED }) + text(t.at, a.bottom + 19, t.label)),
    text((a.left + a.right) / 2, f.height - 14, f.xTitle, { fill: INK, 'font-size': 13 }),
  );
  const legendX = a.right + 24;
  const legend = el(
    'g',
    { class: 'legend', 'font-size': 12, fill: INK },
    ...f.legend.map((item, i) => el('g', { transform: `translate(${num(legendX)} ${num(a.top + 8 + i * 20)})` }, item.symbol, text(22, 4, item.label))),
  );
  const id = f.title.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase();
  return (
    el(
      'svg',
      { xmlns: 'http://www.w3.org/2000/svg', width: f.width, height: f.height, viewBox: `0 0 ${f.width} ${f.height}`, role: 'img', 'aria-labelledby': `${id}-title ${id}-desc`, 'font-family': FONT },
      el('title', { id: `${id}-title` }, esc(f.title)),
      el('desc', { id: `${id}-desc` }, esc(f.subtitle)),
      el('rect', { class: 'background', x: 0, y: 0, width: f.width, height: f.height, fill: '#ffffff' }),
      text(a.left, 24, f.title, { 'font-size': 16, 'font-weight': 600, fill: INK }),
      text(a.left, 43, f.subtitle, { 'font-size': 12, fill: MUTED }),
      grid,
      yAxis,
      xAxis,
      el('g', { class: 'marks' }, f.body),
      legend,
    ) + '\n'
  );
}
