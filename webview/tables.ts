// "Show as table": the numbers behind a chart as a plain HTML table (caption, header row, rows).
import { h } from './dom';

export type Cell = string | number | null | undefined;

export interface TableData {
  caption: string;
  columns: string[];
  rows: Cell[][];
}

export function formatCell(v: Cell): string {
  if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toPrecision(4);
  return v;
}

export function renderTable(container: HTMLElement, data: TableData): void {
  const table = h(
    'table',
    {},
    h('caption', {}, data.caption),
    h('thead', {}, h('tr', {}, ...data.columns.map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      ...data.rows.map((row) => h('tr', {}, ...row.map((cell, i) => (i === 0 ? h('th', { scope: 'row' }, formatCell(cell)) : h('td', {}, formatCell(cell)))))),
    ),
  );
  container.replaceChildren(table);
}
