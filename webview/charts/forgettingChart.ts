// Chart 4: forgetting. The score matrix R[i][j] (task j's accuracy or AUROC after training task i)
// as a heatmap drawn on a plain canvas, with ACC, BWT, FWT and forgetting beside it.
import { h } from '../dom';
import { scores, type RunModel, type Score } from '../model';
import type { TableData } from '../tables';
import { withAlpha, type Theme } from '../theme';
import { ChartPanel, type Drawn, type PanelActions } from './chartPanel';
import type { RenderContext } from './context';
import { fmt, signed } from '../../src/common/vocabulary';

const SCORE_NAMES: Record<Score, string> = { accuracy: 'accuracy', auroc: 'AUROC' };

export class ForgettingChart extends ChartPanel {
  private readonly metrics: HTMLElement;
  private painted: { R: (number | null)[][]; theme: Theme; score: Score } | null = null;

  constructor(actions: PanelActions) {
    super('forgetting', 'Forgetting: the score matrix R', actions);
    this.metrics = h('dl', { class: 'metrics', 'aria-label': 'Continual-learning metrics' });
    this.extra.append(this.metrics);
    new ResizeObserver(() => this.paint()).observe(this.canvas.parentElement!);
  }

  protected draw(ctx: RenderContext): Drawn {
    const run = ctx.run;
    const score = ctx.view.score;
    const R = matrix(run, score);
    this.painted = { R, theme: ctx.theme, score };
    this.paint();
    const s = run ? scores(run, score) : null;
    const entries: [string, string, string][] = [
      ['ACC', fmt(s?.acc), `mean ${SCORE_NAMES[score]} over the tasks after the last one`],
      ['BWT', signed(s?.bwt), 'backward transfer: mean change of each old task since it was learned (negative = forgetting)'],
      ['FWT', signed(s?.fwt), 'forward transfer: score of a task before training it, minus a random model’s'],
      ['forgetting', signed(s?.forgetting), 'mean drop from each old task’s best score to its last'],
    ];
    this.metrics.replaceChildren(...entries.flatMap(([k, v, title]) => [h('dt', { title }, k), h('dd', { 'data-metric': k.toLowerCase() }, v)]));
    const T = R.length;
    const cells = R.reduce((n, row) => n + row.filter((v) => v !== null && v !== undefined).length, 0);
    const last = R[T - 1] ?? [];
    return {
      label: T
        ? `${SCORE_NAMES[score]} of every task (columns) after each task (rows), ${T} by ${T}, lower triangle. ` +
          `After the last task: ${last.map((v, j) => `task ${j + 1} ${fmt(v, 3)}`).join(', ')}. ACC ${fmt(s?.acc)}, BWT ${signed(s?.bwt)}, FWT ${signed(s?.fwt)}, forgetting ${signed(s?.forgetting)}.`
        : 'No completed task yet.',
      data: { score, tasks: T, points: cells, acc: s?.acc ?? null, bwt: s?.bwt ?? null, fwt: s?.fwt ?? null, forgetting: s?.forgetting ?? null },
      note: T ? undefined : 'The matrix fills in as tasks complete.',
    };
  }

  protected table(ctx: RenderContext): TableData {
    const R = matrix(ctx.run, ctx.view.score);
    return {
      caption: `R[i][j]: ${SCORE_NAMES[ctx.view.score]} on task j (columns) after training task i (rows)`,
      columns: ['after task', ...R.map((_, j) => `task ${j + 1}`)],
      rows: R.map((row, i) => [`task ${i + 1}`, ...R.map((_, j) => row[j] ?? null)]),
    };
  }

  /** Draws the heatmap at the canvas's CSS size × devicePixelRatio. */
  private paint(): void {
    if (!this.painted) return;
    const { R, theme, score } = this.painted;
    const canvas = this.canvas;
    const box = canvas.parentElement!;
    const cssW = box.clientWidth;
    const cssH = box.clientHeight;
    if (!cssW || !cssH) return;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(cssW * dpr);
    canvas.height = Math.round(cssH * dpr);
    canvas.style.width = `${cssW}px`;
    canvas.style.height = `${cssH}px`;
    const g = canvas.getContext('2d')!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = theme.background;
    g.fillRect(0, 0, cssW, cssH);
    const T = R.length;
    if (!T) return;
    const font = `${Math.max(10, theme.fontSize - 1)}px ${theme.fontFamily}`;
    g.font = font;
    const left = 70;
    const top = 28;
    const legendW = 70;
    const size = Math.max(8, Math.min((cssW - left - legendW - 10) / T, (cssH - top - 10) / T));
    const values = R.flat().filter((v): v is number => typeof v === 'number');
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const shade = (v: number) => 0.15 + 0.8 * (hi > lo ? (v - lo) / (hi - lo) : 1);
    const base = theme.series[0];
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    g.fillStyle = theme.muted;
    g.fillText(`task j (${SCORE_NAMES[score]})`, left + (size * T) / 2, 10);
    for (let j = 0; j < T; j++) {
      g.fillStyle = theme.foreground;
      if (size >= 18) g.fillText(String(j + 1), left + size * (j + 0.5), top - 8);
    }
    for (let i = 0; i < T; i++) {
      g.textAlign = 'right';
      g.fillStyle = theme.foreground;
      g.fillText(size >= 14 || i % 5 === 0 ? `after ${i + 1}` : '', left - 6, top + size * (i + 0.5));
      g.textAlign = 'center';
      for (let j = 0; j <= i; j++) {
        const v = R[i][j];
        const x = left + size * j;
        const y = top + size * i;
        if (typeof v !== 'number') continue;
        g.fillStyle = withAlpha(base, shade(v));
        g.fillRect(x + 1, y + 1, size - 2, size - 2);
        if (size >= 44) {
          g.fillStyle = shade(v) > 0.6 ? theme.background : theme.foreground;
          g.fillText(v.toFixed(3), x + size / 2, y + size / 2);
        }
      }
    }
    // legend: the colour scale from the lowest to the highest score
    const lx = left + size * T + 16;
    const steps = 20;
    const lh = Math.min(size * T, 160);
    for (let k = 0; k < steps; k++) {
      g.fillStyle = withAlpha(base, 0.15 + (0.8 * (steps - 1 - k)) / (steps - 1));
      g.fillRect(lx, top + (lh * k) / steps, 12, lh / steps + 0.5);
    }
    g.textAlign = 'left';
    g.fillStyle = theme.foreground;
    g.fillText(hi.toFixed(3), lx + 16, top + 4);
    g.fillText(lo.toFixed(3), lx + 16, top + lh - 4);
  }
}

function matrix(run: RunModel | null, score: Score): (number | null)[][] {
  if (!run) return [];
  return score === 'accuracy' ? run.accuracy : run.auroc;
}
