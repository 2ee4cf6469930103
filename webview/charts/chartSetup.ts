// chart.js with only what the dashboard uses, and two small plugins: the theme background (so a
// saved PNG looks like the panel) and markers (vertical lines at steps, horizontal lines at
// thresholds, labelled points).
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type ChartType,
  type Plugin,
} from 'chart.js';
import type { Theme } from '../theme';

Chart.register(LineController, BarController, LineElement, BarElement, PointElement, LinearScale, LogarithmicScale, CategoryScale, Filler, Legend, Tooltip);

export interface VerticalMarker {
  x: number;
  label: string;
  color: string;
  dash?: number[];
  /** Data attribute key under which the drawn pixel position is published (e.g. 'sigmaPx'). */
  publish?: string;
}
export interface HorizontalMarker {
  y: number;
  label: string;
  color: string;
  dash?: number[];
  publish?: string;
}
export interface PointMarker {
  x: number;
  y: number;
  label: string;
  color: string;
}
export interface MarkerOptions {
  vertical?: VerticalMarker[];
  horizontal?: HorizontalMarker[];
  points?: PointMarker[];
  font?: string;
}

declare module 'chart.js' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- an augmentation repeats chart.js's type parameter
  interface PluginOptionsByType<TType extends ChartType> {
    denMarkers?: MarkerOptions;
    denBackground?: { color: string };
  }
}

const backgroundPlugin: Plugin = {
  id: 'denBackground',
  beforeDraw(chart, _args, options: { color?: string }) {
    if (!options.color) return;
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.fillStyle = options.color;
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

const markersPlugin: Plugin = {
  id: 'denMarkers',
  afterDatasetsDraw(chart, _args, options: MarkerOptions) {
    const { ctx, chartArea: area } = chart;
    const x = chart.scales.x;
    const y = chart.scales.y;
    if (!x || !y || !area) return;
    const canvas = chart.canvas;
    ctx.save();
    ctx.font = options.font ?? '11px sans-serif';
    ctx.lineWidth = 1.5;
    let labelRow = 0;
    for (const m of options.vertical ?? []) {
      const px = x.getPixelForValue(m.x);
      if (m.publish) canvas.dataset[m.publish] = px.toFixed(1);
      if (px < area.left - 0.5 || px > area.right + 0.5) continue;
      ctx.strokeStyle = m.color;
      ctx.setLineDash(m.dash ?? []);
      ctx.beginPath();
      ctx.moveTo(px, area.top);
      ctx.lineTo(px, area.bottom);
      ctx.stroke();
      ctx.fillStyle = m.color;
      const w = ctx.measureText(m.label).width;
      // labels of markers at the same step go on successive rows
      ctx.fillText(m.label, px + 4 + w > area.right ? px - 4 - w : px + 4, area.top + 12 + 13 * labelRow++);
    }
    for (const m of options.horizontal ?? []) {
      const py = y.getPixelForValue(m.y);
      if (m.publish) canvas.dataset[m.publish] = py.toFixed(1);
      if (py < area.top - 0.5 || py > area.bottom + 0.5) continue;
      ctx.strokeStyle = m.color;
      ctx.setLineDash(m.dash ?? [6, 4]);
      ctx.beginPath();
      ctx.moveTo(area.left, py);
      ctx.lineTo(area.right, py);
      ctx.stroke();
      ctx.fillStyle = m.color;
      ctx.fillText(m.label, area.left + 4, py - 4);
    }
    ctx.setLineDash([]);
    for (const m of options.points ?? []) {
      const px = x.getPixelForValue(m.x);
      const py = y.getPixelForValue(m.y);
      if (px < area.left || px > area.right || py < area.top || py > area.bottom) continue;
      ctx.fillStyle = m.color;
      ctx.strokeStyle = m.color;
      ctx.beginPath();
      ctx.arc(px, py, 4.5, 0, 2 * Math.PI);
      ctx.fill();
      const w = ctx.measureText(m.label).width;
      ctx.fillText(m.label, px + 8 + w > area.right ? px - 8 - w : px + 8, py - 6);
    }
    ctx.restore();
  },
};

Chart.register(backgroundPlugin, markersPlugin);

/** Options every chart shares: no animation (streams redraw ~10×/s), theme colours and font. */
export function baseOptions(theme: Theme) {
  return {
    animation: false as const,
    responsive: true,
    maintainAspectRatio: false,
    normalized: true,
    color: theme.foreground,
    font: { family: theme.fontFamily, size: Math.max(11, theme.fontSize - 1) },
    interaction: { mode: 'nearest' as const, intersect: false },
    plugins: {
      legend: { labels: { color: theme.foreground, boxWidth: 12, boxHeight: 12 } },
      tooltip: { animation: false as const },
      denBackground: { color: theme.background },
    },
  };
}

/** Axis options in the theme's colours. */
export function axis(theme: Theme, title: string) {
  return {
    title: { display: true, text: title, color: theme.muted },
    ticks: { color: theme.foreground },
    grid: { color: theme.grid },
    border: { color: theme.grid },
  };
}

export function markerFont(theme: Theme): string {
  return `${Math.max(10, theme.fontSize - 2)}px ${theme.fontFamily}`;
}

export { Chart };
