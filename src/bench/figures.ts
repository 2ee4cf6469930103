// The bench's figures, as the DEN paper draws its comparison (Fig. 3 and 4), one set per suite,
// from the aggregated stats (means and sd over the seeds) and in the suite's quality metric
// (mean AUROC on one-vs-rest, ACC otherwise):
//   quality-params  quality against parameters: a point per method and protocol at its final
//                   capacity with error bars, and DEN's trajectory over the tasks as a line;
//   per-task        each task's score after the last task: grouped bars per task, per method;
//   task1           task 1's score after each task: forgetting curves.
// The last two show each method once, under its stronger weight-decay protocol.
import type { MethodName } from '../engine/experiment';
import type { MethodStats, Stat } from './aggregate';
import { methodLabel, quality, strongestProtocols } from './report';
import type { Protocol, SuiteInfo } from './run';
import { INK, LegendItem, Scale, el, figure, linearScale, logScale, num, padded, plotArea, text } from './svg';

export interface Figure {
  /** File name suffix: <suite>-<date>-<name>.svg */
  name: string;
  title: string;
  svg: string;
}

/** A colour per method, the same in every figure (Okabe–Ito and a few more, all readable on white). */
const COLORS: Record<MethodName, string> = {
  den: '#0072b2',
  'den-no-timestamps': '#56b4e9',
  'den-constant': '#009e73',
  'den-no-split': '#6a3d9a',
  finetune: '#e69f00',
  l2: '#a6761d',
  ewc: '#cc79a7',
  stl: '#1a1a1a',
  joint: '#8c8c8c',
  progressive: '#d55e00',
};

const PROTOCOLS: Protocol[] = ['coupled', 'decoupled'];
const WIDTH = 960;
const HEIGHT = 540;

const has = (s: Stat): s is Stat & { mean: number } => s.mean !== null;
const sd = (s: Stat) => s.sd ?? 0;
const seedsNote = (stats: MethodStats[]) => {
  const n = Math.max(...stats.map((s) => s.seeds.length));
  return n > 1 ? `mean ± sd over ${n} seeds` : 'one seed';
};

/** Coupled weight decay: a dot; decoupled: a ring around where the dot would be (both stay visible where they coincide). */
const protocolMarker = (protocol: MethodStats['protocol'], color: string, x: number, y: number) =>
  protocol === 'coupled' ? el('circle', { cx: x, cy: y, r: 4.5, fill: color }) : el('circle', { cx: x, cy: y, r: 7.5, fill: 'none', stroke: color, 'stroke-width': 2 });
const marker = (s: MethodStats, x: number, y: number) => protocolMarker(s.protocol, COLORS[s.method], x, y);

/** Error bars: ± sd around (x, y) in pixels, vertical and horizontal, with caps. */
function errorBars(color: string, x: number, y: number, dy: [number, number] | null, dx: [number, number] | null): string {
  const line = (x1: number, y1: number, x2: number, y2: number) => el('line', { x1, y1, x2, y2, stroke: color, 'stroke-width': 1.2 });
  const parts: string[] = [];
  if (dy && Math.abs(dy[1] - dy[0]) > 0.5) parts.push(line(x, dy[0], x, dy[1]), line(x - 4, dy[0], x + 4, dy[0]), line(x - 4, dy[1], x + 4, dy[1]));
  if (dx && Math.abs(dx[1] - dx[0]) > 0.5) parts.push(line(dx[0], y, dx[1], y), line(dx[0], y - 4, dx[0], y + 4), line(dx[1], y - 4, dx[1], y + 4));
  return parts.join('');
}

const mark = (s: MethodStats, ...children: string[]) => el('g', { class: 'mark', 'data-method': s.method, 'data-protocol': s.protocol }, ...children);
const swatch = (color: string) => el('rect', { x: 0, y: -6, width: 14, height: 12, fill: color });

/** (a) Quality against parameters: every method and protocol at its final capacity, DEN over the tasks. */
export function qualityParamsFigure(info: SuiteInfo, stats: MethodStats[]): Figure {
  const q = quality(info);
  const a = plotArea(WIDTH, HEIGHT);
  const points = stats.filter((s) => has(q.of(s)) && has(s.params) && s.params.mean > 0);
  const den = points.find((s) => s.method === 'den');
  const path = den ? den.curves.params.map((p, t) => ({ t: t + 1, x: p.mean, y: q.curves(den).average[t]?.mean ?? null })).filter((p): p is { t: number; x: number; y: number } => p.x !== null && p.y !== null && p.x > 0) : [];
  const xs = [...points.flatMap((s) => [s.params.mean! - sd(s.params), s.params.mean! + sd(s.params)]), ...path.map((p) => p.x)].filter((v) => v > 0);
  const ys = [...points.flatMap((s) => [q.of(s).mean! - sd(q.of(s)), q.of(s).mean! + sd(q.of(s))]), ...path.map((p) => p.y)];
  const [x0, x1] = xs.length ? [Math.min(...xs) / 1.3, Math.max(...xs) * 1.3] : [1, 10];
  const x = logScale([x0, x1], [a.left, a.right]);
  const y = linearScale(ys.length ? padded(ys) : [0, 1], [a.bottom, a.top]);
  const trajectory = path.length
    ? el(
        'g',
        { class: 'trajectory', 'data-method': 'den', 'data-points': path.length },
        el('polyline', { points: path.map((p) => `${num(x(p.x))},${num(y(p.y))}`).join(' '), fill: 'none', stroke: COLORS.den, 'stroke-width': 1.5, 'stroke-dasharray': '5 3' }),
        ...path.map((p) => el('circle', { cx: x(p.x), cy: y(p.y), r: 2.5, fill: COLORS.den })),
        text(x(path[0].x) + 6, y(path[0].y) + 14, 'after task 1', { 'font-size': 11, fill: COLORS.den }),
      )
    : '';
  // den last, on top: its ablations often land on the same point
  const marks = [...points.filter((s) => s !== den), ...(den ? [den] : [])].map((s) => {
    const [px, py] = [x(s.params.mean!), y(q.of(s).mean!)];
    const dy: [number, number] = [y(q.of(s).mean! - sd(q.of(s))), y(q.of(s).mean! + sd(q.of(s)))];
    const dx: [number, number] = [x(Math.max(x0, s.params.mean! - sd(s.params))), x(s.params.mean! + sd(s.params))];
    return mark(s, errorBars(COLORS[s.method], px, py, dy, dx), marker(s, px, py));
  });
  const legend: LegendItem[] = points.map((s) => ({ label: methodLabel(s), symbol: marker(s, 7, 0) }));
  if (path.length) legend.push({ label: `den after each task (1–${path.length})`, symbol: el('line', { x1: 0, x2: 14, y1: 0, y2: 0, stroke: COLORS.den, 'stroke-width': 1.5, 'stroke-dasharray': '5 3' }) });
  for (const p of PROTOCOLS) if (points.some((s) => s.protocol === p)) legend.push({ label: `${p} weight decay`, symbol: protocolMarker(p, '#57606a', 7, 0) });
  return {
    name: 'quality-params',
    title: `${info.suite}: ${q.label} against parameters`,
    svg: figure({
      width: WIDTH,
      height: HEIGHT,
      title: `${info.suite}: ${q.label} against parameters`,
      subtitle: `${q.label} after all ${info.tasks} tasks against the model's parameters (log scale), ${seedsNote(stats)}; STL = ${info.stlParams.toLocaleString('en-US')} parameters.`,
      xTicks: x.ticks.map((t) => ({ at: x(t.value), label: t.label })),
      y,
      xTitle: 'parameters (hidden layers and every head)',
      yTitle: q.label,
      legend,
      body: trajectory + marks.join(''),
    }),
  };
}

/** (b) Each task's score after the last task, grouped by task, a bar per method. */
export function perTaskFigure(info: SuiteInfo, stats: MethodStats[]): Figure {
  const q = quality(info);
  const a = plotArea(WIDTH, HEIGHT);
  const series = strongestProtocols(info, stats).filter((s) => q.curves(s).final.some(has));
  const T = Math.max(0, ...series.map((s) => q.curves(s).final.length));
  const values = series.flatMap((s) => q.curves(s).final.filter(has).map((v) => v.mean - sd(v)));
  // scores near 1 are unreadable from 0: the axis starts a little below the lowest bar
  const lo = values.length ? Math.max(0, Math.floor((Math.min(...values) - 0.02) * 20) / 20) : 0;
  const y = linearScale([lo, 1], [a.bottom, a.top]);
  const band = (a.right - a.left) / Math.max(1, T);
  const barW = (band * 0.84) / Math.max(1, series.length);
  const marks = series.map((s, i) =>
    mark(
      s,
      ...q.curves(s).final.map((v, j) => {
        if (!has(v)) return '';
        const x0 = a.left + j * band + band * 0.08 + i * barW;
        const top = y(Math.max(lo, v.mean));
        return (
          el('rect', { x: x0, y: top, width: Math.max(1, barW - 1), height: a.bottom - top, fill: COLORS[s.method], 'data-task': j + 1 }) +
          errorBars(INK, x0 + barW / 2 - 0.5, top, v.sd === null ? null : [y(Math.max(lo, v.mean - v.sd)), y(Math.min(1, v.mean + v.sd))], null)
        );
      }),
    ),
  );
  return {
    name: 'per-task',
    title: `${info.suite}: each task's ${q.score} after the last task`,
    svg: figure({
      width: WIDTH,
      height: HEIGHT,
      title: `${info.suite}: each task's ${q.score} after the last task`,
      subtitle: `${q.score} of each task after all ${T} tasks, ${seedsNote(stats)}; baselines under their stronger protocol; the axis starts at ${lo.toFixed(2)}.`,
      xTicks: Array.from({ length: T }, (_, j) => ({ at: a.left + (j + 0.5) * band, label: `task ${j + 1}` })),
      y,
      xTitle: 'task',
      yTitle: `${q.score} after task ${T}`,
      legend: series.map((s) => ({ label: methodLabel(s), symbol: swatch(COLORS[s.method]) })),
      body: marks.join(''),
    }),
  };
}

/** (c) Task 1's score after each task: how much of it each method forgets. */
export function task1Figure(info: SuiteInfo, stats: MethodStats[]): Figure {
  const q = quality(info);
  const a = plotArea(WIDTH, HEIGHT);
  const series = strongestProtocols(info, stats).filter((s) => q.curves(s).first.some(has));
  const T = Math.max(1, ...series.map((s) => q.curves(s).first.length));
  const x: Scale = linearScale([0.6, T + 0.4], [a.left, a.right]);
  const ys = series.flatMap((s) => q.curves(s).first.filter(has).flatMap((v) => [v.mean - sd(v), v.mean + sd(v)]));
  const y = linearScale(ys.length ? padded(ys) : [0, 1], [a.bottom, a.top]);
  const marks = series.map((s, i) => {
    // each method a few pixels aside, so that methods that never forget stay apart
    const dodge = (i - (series.length - 1) / 2) * 3;
    const pts = q.curves(s).first.map((v, t) => ({ px: x(t + 1) + dodge, v })).filter((p): p is { px: number; v: Stat & { mean: number } } => has(p.v));
    return mark(
      s,
      el('polyline', { points: pts.map((p) => `${num(p.px)},${num(y(p.v.mean))}`).join(' '), fill: 'none', stroke: COLORS[s.method], 'stroke-width': 2 }),
      ...pts.map((p) => errorBars(COLORS[s.method], p.px, y(p.v.mean), p.v.sd === null ? null : [y(p.v.mean - p.v.sd), y(p.v.mean + p.v.sd)], null) + el('circle', { cx: p.px, cy: y(p.v.mean), r: 3.5, fill: COLORS[s.method] })),
    );
  });
  return {
    name: 'task1',
    title: `${info.suite}: task 1's ${q.score} over the sequence`,
    svg: figure({
      width: WIDTH,
      height: HEIGHT,
      title: `${info.suite}: task 1's ${q.score} over the sequence`,
      subtitle: `${q.score} of task 1 after each task, ${seedsNote(stats)}; baselines under their stronger protocol; lines 3 px apart.`,
      xTicks: Array.from({ length: T }, (_, t) => ({ at: x(t + 1), label: String(t + 1) })),
      y,
      xTitle: 'after task',
      yTitle: `${q.score} of task 1`,
      legend: series.map((s) => ({ label: methodLabel(s), symbol: el('line', { x1: 0, x2: 14, y1: 0, y2: 0, stroke: COLORS[s.method], 'stroke-width': 2 }) + el('circle', { cx: 7, cy: 0, r: 3, fill: COLORS[s.method] }) })),
      body: marks.join(''),
    }),
  };
}

/** The three figures of a suite. */
export function suiteFigures(info: SuiteInfo, stats: MethodStats[]): Figure[] {
  return [qualityParamsFigure(info, stats), perTaskFigure(info, stats), task1Figure(info, stats)];
}
