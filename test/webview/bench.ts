// npm run bench:webview [-- --baseline <git ref>] [--rounds N]: how the dashboard keeps up with a
// long task. 50,000 loss points stream into the page as the host sends them (batches every 100 ms),
// then as fast as the page takes them; the page records the interval of every animation frame, the
// time of its own draws, and at the end its JS heap (after a garbage collection, through the
// DevTools protocol). The first frame and the first draw are printed apart, per round: the first
// batch starts a new task, which the page switches to. With --baseline, the page of that commit is
// built too (dist/webview/baseline) and both are measured in alternation in the same run, with the
// ratios printed. Printed, not asserted.
import { execFileSync, execSync } from 'child_process';
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import type { DenEvent } from '../../src/common/protocol';
import { webviewBundleOptions } from '../../scripts/webview-bundle.mjs';
import { batches, longTaskEvents, unitsViewOf } from './fixtures';
import { launchChromium, openDashboard, settled, startServer, type PageServer } from './harness';

const POINTS = 50_000;
const BATCH = 500;
const root = path.resolve(__dirname, '..', '..');

interface Stats {
  ms: number;
  frames: number[];
  draws: number[];
  longTasks: number;
  drawn: number;
  points: number;
  /** JS heap in use at the end of the stream, and after a garbage collection (bytes). */
  heap: number;
  heapAfterGc: number;
}

const streamInPage = fs.readFileSync(path.join(__dirname, 'page', 'stream.js'), 'utf8').replace(/^\/\/.*\n/gm, '');

/**
 * Streams the batches into the page (see page/stream.js), then reads its JS heap. The batches are put
 * in the page first and the garbage of that transfer is collected before the clock starts: sent with
 * the call that starts the stream (50,000 events, 4.2 MB of script), they kept the page busy for
 * 80–290 ms into the first measured frame, which was then the one frame over 50 ms of every round.
 */
async function stream(page: Page, runId: string, events: DenEvent[][], interval: number): Promise<Stats> {
  const cdp = await page.context().newCDPSession(page);
  await page.evaluate((b) => {
    (globalThis as unknown as { __benchBatches: unknown }).__benchBatches = b;
  }, events);
  await cdp.send('HeapProfiler.collectGarbage');
  await settled(page);
  const s = (await page.evaluate(`(${streamInPage})(${JSON.stringify({ runId, interval })})`)) as Omit<Stats, 'heap' | 'heapAfterGc'>;
  const before = (await cdp.send('Runtime.getHeapUsage')).usedSize;
  await cdp.send('HeapProfiler.collectGarbage');
  const after = (await cdp.send('Runtime.getHeapUsage')).usedSize;
  await cdp.detach();
  return { ...s, heap: before, heapAfterGc: after };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
const median = (xs: number[]) => quantile(xs, 0.5);
/** How many frames took over 50 ms and which (their index in the stream: 0 is the first frame after the first batch). */
const longFrames = (s: Stats) => {
  const which = s.frames.flatMap((f, i) => (f > 50 ? [`#${i}`] : []));
  return which.length ? `${which.length} (${which.join(' ')})` : '0';
};

/** Builds the dashboard of `ref` into dist/webview/baseline; returns the short commit id. */
async function buildBaseline(ref: string): Promise<string> {
  const sha = execFileSync('git', ['rev-parse', '--short', ref], { cwd: root, encoding: 'utf8' }).trim();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'den-webview-baseline-'));
  try {
    execSync(`git archive ${sha} webview src media/dashboard.css tsconfig.json | tar -x -C ${JSON.stringify(tmp)}`, { cwd: root });
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(tmp, 'node_modules'));
    const out = path.join(root, 'dist', 'webview', 'baseline');
    await esbuild.build(webviewBundleOptions(path.join(tmp, 'webview', 'main.ts'), path.join(out, 'dashboard.js')));
    fs.copyFileSync(path.join(tmp, 'media', 'dashboard.css'), path.join(out, 'dashboard.css'));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return sha;
}

const MODES = [
  ['host rate (a batch of 500 every 100 ms)', 100],
  ['flood (batches back to back)', 0],
] as const;

interface Variant {
  name: string;
  server: PageServer;
  runs: Stats[][]; // per mode
}

async function measure(browser: Browser, server: PageServer, interval: number): Promise<Stats> {
  const { page, host } = await openDashboard(browser, server, { viewport: { width: 1280, height: 900 } });
  const runId = host.runId!;
  host.training = { running: true, runId, task: 4 };
  await host.send(host.snapshot());
  await settled(page);
  const s = await stream(page, runId, batches(longTaskEvents(4, POINTS), BATCH), interval);
  const failures = await host.failures();
  await page.context().close();
  if (failures.length) throw new Error(`the page failed while streaming:\n${failures.join('\n')}`);
  return s;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const ref = arg('--baseline');
  const rounds = Number(arg('--rounds') ?? 3);
  const variants: Variant[] = [];
  if (ref) variants.push({ name: `before (${await buildBaseline(ref)})`, server: await startServer({ bundle: 'baseline' }), runs: MODES.map(() => []) });
  variants.push({ name: ref ? 'now' : 'dashboard', server: await startServer(), runs: MODES.map(() => []) });
  const browser = await launchChromium();
  try {
    // rounds alternate the variants, so that a change of the machine's load hits both alike
    for (let r = 0; r < rounds; r++) for (const v of variants) for (const [m, [, interval]] of MODES.entries()) v.runs[m].push(await measure(browser, v.server, interval));
  } finally {
    await browser.close();
    for (const v of variants) await v.server.close();
  }
  const units = await unitsBench();

  const ms = (x: number) => x.toFixed(1);
  const spread = (xs: number[], f: (x: number) => string) => (xs.length > 1 ? `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})` : f(xs[0]));
  const mb = (x: number) => (x / 2 ** 20).toFixed(1);
  const head = ['page', 'stream', 'all drawn after s', 'frame median ms', 'frame p95 ms', 'frame max ms', 'frames > 50 ms (which)', 'first frame, first draw ms (per round)', 'draw p95 ms', 'draw max ms', 'JS heap MB', 'after GC MB'];
  const rows: string[][] = [];
  for (const v of variants)
    for (const [m, [mode]] of MODES.entries()) {
      const runs = v.runs[m];
      rows.push([
        v.name,
        mode,
        spread(runs.map((s) => s.ms / 1000), (x) => x.toFixed(2)),
        spread(runs.map((s) => median(s.frames)), ms),
        spread(runs.map((s) => quantile(s.frames, 0.95)), ms),
        spread(runs.map((s) => Math.max(...s.frames)), ms),
        runs.map(longFrames).join('; '),
        runs.map((s) => `${ms(s.frames[0])}, ${ms(s.draws[0])}`).join('; '),
        spread(runs.map((s) => quantile(s.draws, 0.95)), ms),
        spread(runs.map((s) => Math.max(...s.draws)), ms),
        spread(runs.map((s) => s.heap), mb),
        spread(runs.map((s) => s.heapAfterGc), mb),
      ]);
    }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const drawn = variants.map((v) => `${v.name}: ${v.runs[0][0].drawn.toLocaleString('en-US')}`).join(', ');
  console.log(`Dashboard: ${POINTS.toLocaleString('en-US')} streamed loss points in batches of ${BATCH}, Chromium headless, 1280×900, ${rounds} rounds (median (min–max) over rounds; points drawn ${drawn})`);
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  if (variants.length === 2) {
    console.log('\nnow / before (medians over rounds; below 1 is better)');
    for (const [m, [mode]] of MODES.entries()) {
      const ratio = (f: (s: Stats) => number) => (median(variants[1].runs[m].map(f)) / median(variants[0].runs[m].map(f))).toFixed(2);
      console.log(
        `${mode}: frame p95 ×${ratio((s) => quantile(s.frames, 0.95))}, frame max ×${ratio((s) => Math.max(...s.frames))}, draw p95 ×${ratio((s) => quantile(s.draws, 0.95))}, draw total ×${ratio((s) => s.draws.reduce((a, b) => a + b, 0))}, time ×${ratio((s) => s.ms)}, heap after GC ×${ratio((s) => s.heapAfterGc)}`,
      );
    }
  }
  console.log(`\nUnits tab: ${UNITS.toLocaleString('en-US')} first-layer units (28×28 each), drawn ${units.length} times (redraws after a toggle of the pixel order)`);
  console.log(`draw median ${quantile(units, 0.5).toFixed(1)} ms, p95 ${quantile(units, 0.95).toFixed(1)} ms, max ${Math.max(...units).toFixed(1)} ms`);
  console.log(`\nMachine load (1/5/15 min averages, ${os.cpus().length} cores): ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
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
