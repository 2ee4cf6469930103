// The Units tab: what the units of one hidden layer learned, read from the run's checkpoint after a
// task. Layer 1 of image data: each unit's incoming weights as a small image (a diverging colour map
// centred on 0, one scale for the view, legend on top), grouped by birth task, every split copy right
// after its original with the drift ρ that split it. Other layers and non-image inputs: a heatmap,
// a row per unit in the same order. Drawn once per change into one ImageData (no chart.js).
import { fillSelect, h } from '../dom';
import type { TableData } from '../tables';
import { unitImage, unitOrder } from '../unitsLayout';
import type { UnitWeights } from '../../src/common/protocol';
import { COPY_UNKNOWN } from '../../src/engine/network/state';
import { ChartPanel, type Drawn, type PanelActions } from './chartPanel';
import type { RenderContext } from './context';
import { fmt } from '../../src/common/vocabulary';

type Select = HTMLElement & { value: string };
type Checkbox = HTMLElement & { checked: boolean; disabled: boolean };

/** What the host answered for a run, task and layer. */
export interface UnitsAnswer {
  runId: string;
  task: number;
  layer: number;
  view: UnitWeights | null;
  problem: string | null;
}

interface Placed {
  unit: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

const GAP = 4;
const HEADER = 16;
const LEGEND = 34;

/** [r, g, b] of any CSS colour, through a canvas (which normalises it). */
function rgbOf(color: string): [number, number, number] {
  const c = document.createElement('canvas').getContext('2d')!;
  c.fillStyle = '#000';
  c.fillStyle = color;
  const s = String(c.fillStyle);
  if (s.startsWith('#')) return [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16)) as [number, number, number];
  const m = /rgba?\(([^)]+)\)/.exec(s);
  const [r, g, b] = (m ? m[1].split(',') : ['0', '0', '0']).map((v) => Number(v.trim()));
  return [r, g, b];
}

export class UnitsPanel extends ChartPanel {
  private readonly layerPicker: Select;
  private readonly unpermute: Checkbox;
  private readonly details: HTMLElement;
  private layer = 1;
  private answer: UnitsAnswer | null = null;
  private asked = '';
  private decoded: { of: UnitsAnswer; weights: Float32Array } | null = null;
  private placed: Placed[] = [];
  private shownView: { ctx: RenderContext; view: UnitWeights } | null = null;

  constructor(
    actions: PanelActions,
    private readonly request: (runId: string, task: number, layer: number) => void,
  ) {
    super('units', 'Units: incoming weights', actions, 'scroll');
    this.layerPicker = h('vscode-single-select', { id: 'units-layer', 'data-action': 'units-layer', 'aria-label': 'Layer' }) as Select;
    this.layerPicker.addEventListener('change', () => {
      this.layer = Number(this.layerPicker.value) || 1;
      this.redraw();
    });
    this.unpermute = h('vscode-checkbox', { 'data-action': 'unpermute', title: 'Show each unit in the pixel order of the task that created it (permuted tasks), so that its weights look like strokes' }, 'Task pixel order') as Checkbox;
    this.unpermute.addEventListener('change', () => this.redraw());
    this.details = h('p', { class: 'units-unit', 'aria-live': 'polite' });
    this.tools.append(h('div', { class: 'picker' }, h('vscode-label', { for: 'units-layer' }, 'Layer'), this.layerPicker), this.unpermute);
    this.extra.append(this.details);
    this.canvas.addEventListener('mousemove', (e) => this.hover(e.offsetX, e.offsetY));
    this.canvas.addEventListener('click', (e) => {
      this.details.textContent = this.hover(e.offsetX, e.offsetY);
    });
  }

  /** The host's answer to a request (ignored unless it is for what the panel shows). */
  setAnswer(answer: UnitsAnswer): void {
    this.answer = answer;
    this.redraw();
  }

  /** The completed task the view shows: the header's task when it has a checkpoint, else the last. */
  private taskOf(ctx: RenderContext): number | null {
    const done = ctx.run?.tasks.length ?? 0;
    if (!done) return null;
    return ctx.task !== null && ctx.task <= done ? ctx.task : done;
  }

  protected draw(ctx: RenderContext): Drawn {
    const run = ctx.run;
    const task = this.taskOf(ctx);
    const layers = run?.tasks[0]?.units.length ?? 1;
    if (this.layer > layers) this.layer = 1;
    fillSelect(this.layerPicker, Array.from({ length: layers }, (_, l) => ({ value: String(l + 1), label: `layer ${l + 1}` })), String(this.layer));
    const empty = (note: string): Drawn => {
      this.clear();
      return { label: note, data: { tiles: 0, task, layer: this.layer }, note };
    };
    if (!run || task === null) return empty('The units appear when the first task completes.');
    // a checkpoint is read only for a tab someone looks at
    if (ctx.view.tab !== 'units') return empty('');
    const key = `${run.id}/${task}/${this.layer}`;
    const a = this.answer;
    if (!a || `${a.runId}/${a.task}/${a.layer}` !== key) {
      if (this.asked !== key) {
        this.asked = key;
        this.request(run.id, task, this.layer);
      }
      return empty(`Reading layer ${this.layer} of the checkpoint after task ${task}…`);
    }
    if (!a.view) return empty(`Cannot show the units: ${a.problem ?? 'no checkpoint'}`);
    return this.drawView(ctx, a);
  }

  private weightsOf(a: UnitsAnswer): Float32Array {
    if (this.decoded?.of !== a) {
      const bin = atob(a.view!.weights);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      this.decoded = { of: a, weights: new Float32Array(bytes.buffer, 0, bytes.length >> 2) }; // a bad length fails the shape check
    }
    return this.decoded.weights;
  }

  /** ρ of the split that made copy u (from the run's split events), or null. */
  private rhoOf(ctx: RenderContext, view: UnitWeights, u: number): number | null {
    const original = view.copyOf[u];
    if (original < 0) return null;
    return ctx.run?.traces.get(view.born[u])?.split?.drift[view.layer - 1]?.[original] ?? null;
  }

  private drawView(ctx: RenderContext, a: UnitsAnswer): Drawn {
    const started = performance.now();
    const view = a.view!;
    const weights = this.weightsOf(a);
    if (weights.length !== view.units * view.inputs) return { label: 'The checkpoint’s weights do not match its shape.', data: { tiles: 0 }, note: 'The checkpoint’s weights do not match its shape.' };
    this.shownView = { ctx, view };
    const groups = unitOrder(view.born, view.copyOf);
    const order = groups.flatMap((g) => g.units);
    const image = view.image;
    const canPermute = image !== null && view.pixelOrder.some((p) => p !== null);
    this.unpermute.disabled = !canPermute;
    const unpermuted = canPermute && this.unpermute.checked;
    const width = Math.max(320, Math.floor(this.canvas.parentElement?.clientWidth || 900) - 8);
    const theme = ctx.theme;
    const [neg, zero, pos] = [rgbOf(theme.series[0]), rgbOf(theme.background), rgbOf(theme.series[4])];
    const scale = view.scale || 1;
    // layout: tiles (image) or rows (heatmap), a header line per birth group, ρ under each copy
    const placed: Placed[] = [];
    const labels: { x: number; y: number; text: string }[] = [];
    let y = LEGEND;
    if (image) {
      const zoom = view.units <= 300 ? 2 : 1;
      const tw = image[1] * zoom;
      const th = image[0] * zoom;
      const cell = th + 12; // room for ρ under a copy
      const perRow = Math.max(1, Math.floor((width + GAP) / (tw + GAP)));
      for (const g of groups) {
        labels.push({ x: 0, y: y + 12, text: `born in task ${g.born} · ${g.units.length} units` });
        y += HEADER;
        g.units.forEach((u, i) => {
          const x = (i % perRow) * (tw + GAP);
          const top = y + Math.floor(i / perRow) * (cell + GAP);
          placed.push({ unit: u, x, y: top, w: tw, h: th });
          const rho = this.rhoOf(ctx, view, u);
          if (view.copyOf[u] >= 0) labels.push({ x, y: top + th + 10, text: rho === null ? `copy of ${view.copyOf[u] + 1}` : `ρ ${fmt(rho, 2)}` });
        });
        y += Math.ceil(g.units.length / perRow) * (cell + GAP) + GAP;
      }
    } else {
      const cw = Math.max(1, Math.floor(width / view.inputs));
      const rh = view.units <= 300 ? 3 : 2;
      for (const g of groups) {
        labels.push({ x: 0, y: y + 12, text: `born in task ${g.born} · ${g.units.length} units` });
        y += HEADER;
        for (const u of g.units) {
          placed.push({ unit: u, x: 0, y, w: cw * view.inputs, h: rh });
          y += rh;
        }
        y += GAP;
      }
    }
    const height = Math.max(y, LEGEND + 20);
    if (this.canvas.width !== width) this.canvas.width = width;
    if (this.canvas.height !== height) this.canvas.height = height;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    const c = this.canvas.getContext('2d')!;
    const img = c.createImageData(width, height);
    // one 32-bit write per pixel (RGBA bytes in memory order), colours from a 511-step table
    const px = new Uint32Array(img.data.buffer);
    const pack = ([r, g, b]: number[]) => ((255 << 24) | (Math.round(b) << 16) | (Math.round(g) << 8) | Math.round(r)) >>> 0;
    const STEPS = 255;
    const lut = Uint32Array.from({ length: 2 * STEPS + 1 }, (_, i) => {
      const t = (i - STEPS) / STEPS;
      const to = t < 0 ? neg : pos;
      return pack(zero.map((z, k) => z + (to[k] - z) * Math.abs(t)));
    });
    px.fill(lut[STEPS]);
    const colour = (w: number) => lut[STEPS + Math.round(Math.max(-1, Math.min(1, w / scale)) * STEPS)];
    const paint = (x: number, yy: number, w: number) => {
      px[yy * width + x] = colour(w);
    };
    for (const p of placed) {
      const born = view.born[p.unit];
      const values = unitImage(weights, p.unit, view.inputs, unpermuted ? view.pixelOrder[born - 1] ?? null : null);
      if (image) {
        const zoom = p.w / image[1];
        for (let r = 0; r < image[0]; r++) {
          for (let col = 0; col < image[1]; col++) {
            const v = colour(values[r * image[1] + col]);
            const at = (p.y + r * zoom) * width + p.x + col * zoom;
            for (let dy = 0; dy < zoom; dy++) for (let dx = 0; dx < zoom; dx++) px[at + dy * width + dx] = v;
          }
        }
      } else {
        const cw = p.w / view.inputs;
        for (let i = 0; i < view.inputs; i++) {
          const v = colour(values[i]);
          for (let r = 0; r < p.h; r++) for (let dx = 0; dx < cw; dx++) px[(p.y + r) * width + p.x + i * cw + dx] = v;
        }
      }
    }
    // the legend: the colour scale, shared by every unit of the view
    const barW = Math.min(240, width - 120);
    for (let x = 0; x < barW; x++) for (let r = 4; r < 16; r++) paint(60 + x, r, ((x / (barW - 1)) * 2 - 1) * scale);
    c.putImageData(img, 0, 0);
    c.fillStyle = theme.foreground;
    c.font = `11px ${theme.fontFamily}`;
    c.textAlign = 'right';
    c.fillText(`−${fmt(scale, 2)}`, 55, 14);
    c.textAlign = 'left';
    c.fillText(`+${fmt(scale, 2)}   weight (0 in the middle)`, 65 + barW, 14);
    for (const l of labels) c.fillText(l.text, l.x, l.y);
    this.placed = placed;
    const pairs = order.filter((u) => view.copyOf[u] >= 0).map((u) => `${view.copyOf[u]}:${u}:${this.rhoOf(ctx, view, u) ?? ''}`);
    return {
      label:
        `${view.units} units of hidden layer ${view.layer} after task ${view.task}, ${image ? 'each as a ' + image.join('×') + ' image of its incoming weights' : 'a row of incoming weights each'}, ` +
        `grouped by birth task (${groups.map((g) => `task ${g.born}: ${g.units.length}`).join(', ')}); ${pairs.length} split copies beside their originals. Colour scale ±${fmt(scale, 3)}.`,
      data: {
        task: view.task,
        layer: view.layer,
        mode: image ? 'image' : 'heatmap',
        tiles: placed.length,
        tile0: placed[0] ? [placed[0].unit, placed[0].x, placed[0].y, placed[0].w, placed[0].h].join(',') : null,
        order: order.join(','),
        pairs: pairs.join(' '),
        unpermuted: unpermuted ? 'yes' : 'no',
        scale: view.scale,
        drawMs: Math.round((performance.now() - started) * 10) / 10,
      },
    };
  }

  private clear(): void {
    this.placed = [];
    this.shownView = null;
    const c = this.canvas.getContext('2d');
    if (c) c.clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** The unit under (x, y) as a sentence (also the canvas's tooltip). */
  private hover(x: number, y: number): string {
    const p = this.placed.find((q) => x >= q.x && x < q.x + q.w && y >= q.y && y < q.y + q.h);
    const text = p && this.shownView ? this.describe(this.shownView.ctx, this.shownView.view, p.unit) : '';
    this.canvas.title = text;
    return text;
  }

  private describe(ctx: RenderContext, view: UnitWeights, u: number): string {
    const parts = [`unit ${u + 1} of layer ${view.layer}`, `born in task ${view.born[u]}`];
    const o = view.copyOf[u];
    const rho = this.rhoOf(ctx, view, u);
    if (o >= 0) parts.push(`split copy of unit ${o + 1}${rho !== null ? ` (ρ ${fmt(rho, 3)})` : ''}`);
    const copies = view.copyOf.flatMap((c, i) => (c === u ? [i + 1] : []));
    if (copies.length) parts.push(`copied to unit${copies.length === 1 ? '' : 's'} ${copies.join(', ')}`);
    const out = view.outgoing[u] ?? [];
    if (out.length) parts.push(`strongest outgoing: ${out.map((w) => `${w.layer ? `layer ${w.layer} unit ${w.unit + 1}` : `task ${w.task} output ${w.unit + 1}`} ${w.weight > 0 ? '+' : ''}${fmt(w.weight, 3)}`).join(', ')}`);
    return parts.join(' · ');
  }

  protected table(ctx: RenderContext): TableData {
    const a = this.answer;
    const view = a?.view;
    if (!view) return { caption: 'No units to list', columns: [], rows: [] };
    const weights = this.weightsOf(a);
    const order = unitOrder(view.born, view.copyOf).flatMap((g) => g.units);
    return {
      caption: `Units of hidden layer ${view.layer} after task ${view.task}, grouped by birth task, copies after their originals`,
      columns: ['unit', 'born in task', 'split copy of', 'ρ', 'largest |w|', 'strongest outgoing'],
      rows: order.map((u) => {
        let max = 0;
        for (let i = u * view.inputs; i < (u + 1) * view.inputs; i++) max = Math.max(max, Math.abs(weights[i]));
        const o = view.copyOf[u];
        return [u + 1, view.born[u], o >= 0 ? o + 1 : o === COPY_UNKNOWN ? 'unknown' : '', this.rhoOf(ctx, view, u), max, (view.outgoing[u] ?? []).map((w) => `${w.layer ? `L${w.layer}:${w.unit + 1}` : `t${w.task}:${w.unit + 1}`} ${fmt(w.weight, 3)}`).join(', ')];
      }),
    };
  }
}
