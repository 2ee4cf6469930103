// npm run bench:webview: how the dashboard keeps up with a long task. 50,000 loss points stream into
// the page as the host sends them (batches every 100 ms), then as fast as the page takes them; the
// page records the interval of every animation frame meanwhile. Printed, not asserted.
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import type { DenEvent } from '../../src/common/protocol';
import { batches, longTaskEvents, unitsViewOf } from './fixtures';
import { launchChromium, openDashboard, settled, startServer } from './harness';

const POINTS = 50_000;
const BATCH = 500;

interface Stats {
  ms: number;
  frames: number[];
  longTasks: number;
  drawn: number;
  points: number;
}

const streamInPage = fs.readFileSync(path.join(__dirname, 'page', 'stream.js'), 'utf8').replace(/^\/\/.*\n/gm, '');

/** Streams the batches into the page (see page/stream.js). */
async function stream(page: Page, runId: string, events: DenEvent[][], interval: number): Promise<Stats> {
  return (await page.evaluate(`(${streamInPage})(${JSON.stringify({ runId, batches: events, interval })})`)) as Stats;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

async function main(): Promise<void> {
  const server = await startServer();
  const browser = await launchChromium();
  const rows: string[][] = [];
  try {
    for (const [name, interval] of [
      ['host rate (a batch of 500 every 100 ms)', 100],
      ['flood (batches back to back)', 0],
    ] as const) {
      const { page, host } = await openDashboard(browser, server, { viewport: { width: 1280, height: 900 } });
      const runId = host.runId!;
      host.training = { running: true, runId, task: 4 };
      await host.send(host.snapshot());
      await settled(page);
      const s = await stream(page, runId, batches(longTaskEvents(4, POINTS), BATCH), interval);
      rows.push([
        name,
        s.points.toLocaleString('en-US'),
        s.drawn.toLocaleString('en-US'),
        `${(s.ms / 1000).toFixed(2)} s`,
        Math.round((s.points / s.ms) * 1000).toLocaleString('en-US'),
        quantile(s.frames, 0.5).toFixed(1),
        quantile(s.frames, 0.95).toFixed(1),
        Math.max(...s.frames).toFixed(1),
        String(s.longTasks),
      ]);
      await page.context().close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const units = await unitsBench();
  const head = ['stream', 'points', 'drawn', 'time', 'points/s', 'frame median ms', 'frame p95 ms', 'frame max ms', 'long tasks'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`Dashboard: ${POINTS.toLocaleString('en-US')} streamed loss points in batches of ${BATCH}, Chromium headless, 1280×900`);
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  console.log(`\nUnits tab: ${UNITS.toLocaleString('en-US')} first-layer units (28×28 each), drawn ${units.length} times (redraws after a toggle of the pixel order)`);
  console.log(`draw median ${quantile(units, 0.5).toFixed(1)} ms, p95 ${quantile(units, 0.95).toFixed(1)} ms, max ${Math.max(...units).toFixed(1)} ms`);
}

const UNITS = 1000;

/** Times the Units tab's draw of a 1,000-unit layer (the panel reports each draw's time as data-draw-ms). */
async function unitsBench(): Promise<number[]> {
  const server = await startServer();
  const browser = await launchChromium();
  try {
    const { page, host } = await openDashboard(browser, server, { viewport: { width: 1280, height: 900 } });
    const run = host.runs.find((r) => r.id === host.runId)!;
    host.units = (_runId, task) => ({ view: unitsViewOf(run, task, UNITS), problem: null });
    await page.locator('vscode-tab-header[data-tab="units"]').click();
    await page.locator('canvas[data-chart="units"][data-mode="image"]').waitFor({ state: 'attached', timeout: 30_000 });
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const before = await page.locator('canvas[data-chart="units"]').getAttribute('data-renders');
      await page.locator('#units-section vscode-checkbox[data-action="unpermute"]').click();
      await page.locator(`canvas[data-chart="units"]:not([data-renders="${before}"])`).waitFor({ state: 'attached' });
      await settled(page);
      times.push(Number(await page.locator('canvas[data-chart="units"]').getAttribute('data-draw-ms')));
    }
    return times;
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
