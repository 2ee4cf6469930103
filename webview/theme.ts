// Chart colours from the VS Code theme: read from the `--vscode-*` CSS variables at run time and
// again whenever VS Code switches theme (it changes the body class vscode-light / vscode-dark /
// vscode-high-contrast and the variables on <html>).
import type { StageName } from '../src/common/protocol';

export interface Theme {
  kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
  foreground: string;
  muted: string;
  background: string;
  grid: string;
  fontFamily: string;
  fontSize: number;
  /** Series colours, in order: blue, orange, green, purple, red, yellow. */
  series: string[];
  /** Hidden layers, in order (apart from the added / split / pruned colours). */
  layers: string[];
  stage: Record<StageName, string>;
  marker: { selection: string; tau: string; expansion: string; prune: string; split: string; sigma: string };
}

function themeKind(body: HTMLElement): Theme['kind'] {
  if (body.classList.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (body.classList.contains('vscode-high-contrast')) return 'high-contrast';
  if (body.classList.contains('vscode-light')) return 'light';
  return 'dark';
}

/** The current theme's colours (with VS Code's dark defaults outside VS Code). */
export function readTheme(): Theme {
  const style = getComputedStyle(document.documentElement);
  const bodyStyle = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => bodyStyle.getPropertyValue(name).trim() || style.getPropertyValue(name).trim() || fallback;
  const kind = themeKind(document.body);
  const light = kind === 'light' || kind === 'high-contrast-light';
  const blue = v('--vscode-charts-blue', light ? '#1a85ff' : '#3794ff');
  const orange = v('--vscode-charts-orange', light ? '#d18616' : '#d18616');
  const green = v('--vscode-charts-green', light ? '#388a34' : '#89d185');
  const purple = v('--vscode-charts-purple', light ? '#652d90' : '#b180d7');
  const red = v('--vscode-charts-red', light ? '#e51400' : '#f14c4c');
  const yellow = v('--vscode-charts-yellow', light ? '#bf8803' : '#cca700');
  const foreground = v('--vscode-charts-foreground', v('--vscode-foreground', light ? '#616161' : '#cccccc'));
  return {
    kind,
    foreground,
    muted: v('--vscode-descriptionForeground', light ? '#717171' : '#9d9d9d'),
    background: v('--vscode-editor-background', light ? '#ffffff' : '#1e1e1e'),
    grid: v('--vscode-charts-lines', light ? 'rgba(97, 97, 97, 0.25)' : 'rgba(204, 204, 204, 0.2)'),
    fontFamily: v('--vscode-font-family', 'system-ui, sans-serif'),
    fontSize: parseFloat(v('--vscode-font-size', '13px')) || 13,
    series: [blue, orange, green, purple, red, yellow],
    layers: [blue, yellow, foreground, red, green],
    // task1 and retrain never share a task's chart, so they may share blue; retrain must differ from expansion
    stage: { task1: blue, 'sparse-head': purple, subnetwork: green, expansion: orange, retrain: blue, train: blue },
    marker: { selection: blue, tau: red, expansion: orange, prune: purple, split: green, sigma: red },
  };
}

/** Calls `onChange` after every theme switch; returns a function that stops watching. */
export function watchTheme(onChange: (theme: Theme) => void): () => void {
  let last = '';
  const check = () => {
    const theme = readTheme();
    const key = JSON.stringify(theme);
    if (key !== last) {
      last = key;
      onChange(theme);
    }
  };
  last = JSON.stringify(readTheme());
  const observer = new MutationObserver(check);
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  return () => observer.disconnect();
}

/** `color` at `alpha` (any CSS colour the canvas understands). */
export function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{3,8})$/i.exec(color.trim());
  if (hex) {
    let h = hex[1];
    if (h.length <= 4) h = [...h].map((c) => c + c).join('');
    const [r, g, b] = [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }
  const rgb = /^rgba?\(([^)]+)\)$/i.exec(color.trim());
  if (rgb) {
    const [r, g, b] = rgb[1].split(/[\s,/]+/);
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }
  return color;
}
