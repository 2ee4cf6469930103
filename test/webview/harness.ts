// The dashboard in Chromium without VS Code: a local server that serves the page exactly as the
// panel builds it (same HTML, same CSP, the built dist/webview/dashboard.js and media/dashboard.css),
// a stand-in for acquireVsCodeApi, and a fake extension host that answers the webview's messages
// like src/extension/dashboard/dashboardPanel.ts does (snapshots, threshold edits checked by the
// real thresholdEdits.ts) from recorded runs.
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { dashboardHtml } from '../../src/common/dashboard/dashboardHtml';
import { editThreshold, readThresholds } from '../../src/common/dashboard/thresholdEdits';
import type { HostToWebview, RunSnapshot, ThresholdValues, TrainingState, UnitWeights, WebviewToHost } from '../../src/common/protocol';
import { checkWebviewToHost } from '../../src/common/protocolGuards';
import { FIXTURES, fixtureExperimentText, loadFixture } from './fixtures';

const root = path.resolve(__dirname, '..', '..');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// ─── the page server ────────────────────────────────────────────────────────────────────────────

export interface PageServer {
  url: string;
  /** Every path the page asked for. */
  requests: string[];
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.txt': 'text/plain' };

/**
 * `bundle`: another build of the page to serve (a folder under dist/webview holding dashboard.js and
 * dashboard.css; the benchmark's baseline), instead of dist/webview/dashboard.js and media/dashboard.css.
 */
export async function startServer(options: { bundle?: string } = {}): Promise<PageServer> {
  const requests: string[] = [];
  let origin = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    requests.push(url.pathname);
    if (url.pathname === '/') {
      const [scriptUri, styleUri] = options.bundle
        ? [`${origin}/dist/webview/${options.bundle}/dashboard.js`, `${origin}/dist/webview/${options.bundle}/dashboard.css`]
        : [`${origin}/dist/webview/dashboard.js`, `${origin}/media/dashboard.css`];
      const html = dashboardHtml({ cspSource: origin, scriptUri, styleUri });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      return;
    }
    // only what the panel's localResourceRoots allow: dist/webview and media
    const file = path.normalize(path.join(root, url.pathname));
    const allowed = [path.join(root, 'dist', 'webview') + path.sep, path.join(root, 'media') + path.sep].some((d) => file.startsWith(d));
    if (!allowed || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: `${origin}/`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  if (!fs.existsSync(path.join(root, 'dist', 'webview', 'dashboard.js'))) throw new Error('dist/webview/dashboard.js is missing: npm run build');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

// ─── the fake extension host ────────────────────────────────────────────────────────────────────

/** Answers the dashboard like the real panel, from recorded runs; records both directions. */
export class FakeHost {
  readonly received: WebviewToHost[] = [];
  readonly sent: HostToWebview[] = [];
  runs: RunSnapshot[];
  runId: string | null;
  compare: string[] = [];
  experimentFile = '/workspace/permuted-mnist.den.json';
  experimentText = fixtureExperimentText();
  training: TrainingState = { running: false, runId: null, task: null };
  /** Uncaught errors and unhandled rejections in the page; every test fails on any (see openDashboard). */
  readonly pageErrors: string[] = [];
  /** When false, 'ready' gets no snapshot (the test sends its own). */
  autoSnapshot = true;

  constructor(
    readonly page: Page,
    runs: RunSnapshot[] = FIXTURES.map(loadFixture),
  ) {
    this.runs = runs;
    this.runId = runs[0]?.id ?? null;
    page.on('pageerror', (err) => this.pageErrors.push(`pageerror: ${err.stack ?? err.message}`));
  }

  /** Connects to the page (before it loads). */
  async attach(): Promise<void> {
    // the page awaits this binding (vscode-stand-in.js): a message this host rejects fails the test
    await this.page.exposeBinding('__denHost', (_source, msg: unknown) => this.receive(msg));
  }

  /** Everything that went wrong in the page: uncaught errors, unhandled rejections, binding failures. */
  async failures(): Promise<string[]> {
    const inPage = await this.page.evaluate(() => (globalThis as unknown as { __den: { failures: string[] } }).__den.failures.slice()).catch(() => [] as string[]);
    return [...this.pageErrors, ...inPage];
  }

  async send(msg: unknown): Promise<void> {
    this.sent.push(msg as HostToWebview);
    await this.page.evaluate((m) => (globalThis as unknown as { postMessage(m: unknown, o: string): void }).postMessage(m, '*'), msg);
  }

  snapshot(run: RunSnapshot | null = this.runs.find((r) => r.id === this.runId) ?? null): HostToWebview {
    return {
      type: 'snapshot',
      runs: this.runs.map((r) => ({ id: r.id, label: r.label })),
      run,
      compare: this.compare.map((id) => this.runs.find((r) => r.id === id)).filter((r): r is RunSnapshot => r !== undefined),
      experimentFile: this.experimentFile,
      thresholds: this.thresholds(),
      training: this.training,
    };
  }

  /** A snapshot, and as the extension does, the experiment file's problems after it when it has any. */
  async sendSnapshot(): Promise<void> {
    await this.send(this.snapshot());
    const { values, problems } = readThresholds(this.experimentText, 'permuted-mnist.den.json');
    if (problems.length) await this.send({ type: 'thresholds', experimentFile: this.experimentFile, values, problems, valid: false });
  }

  /** The thresholds of the experiment text now. */
  thresholds(): ThresholdValues | null {
    return readThresholds(this.experimentText, 'permuted-mnist.den.json').values;
  }

  /** Waits until the webview has posted a message of this type (n-th occurrence). */
  async waitFor<T extends WebviewToHost['type']>(type: T, count = 1, timeoutMs = 10_000): Promise<Extract<WebviewToHost, { type: T }>> {
    const start = Date.now();
    for (;;) {
      const found = this.received.filter((m) => m.type === type);
      if (found.length >= count) return found[count - 1] as Extract<WebviewToHost, { type: T }>;
      if (Date.now() - start > timeoutMs) throw new Error(`the webview posted no '${type}' (#${count}) within ${timeoutMs} ms; got ${this.received.map((m) => m.type).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The answer to the Units tab's requests (none: the request stays unanswered). */
  units: ((runId: string, task: number, layer: number) => { view: UnitWeights | null; problem: string | null }) | null = null;

  private async receive(raw: unknown): Promise<void> {
    const checked = checkWebviewToHost(raw);
    if (!checked.ok) throw new Error(`the webview posted a malformed message: ${checked.problem}`);
    const msg = checked.value;
    this.received.push(msg);
    switch (msg.type) {
      case 'ready':
        if (this.autoSnapshot) await this.sendSnapshot();
        break;
      case 'selectRun':
        this.runId = msg.runId;
        await this.sendSnapshot();
        break;
      case 'compareRuns':
        this.compare = msg.runIds;
        await this.sendSnapshot();
        break;
      case 'setThreshold': {
        const result = editThreshold(this.experimentText, 'permuted-mnist.den.json', msg.field, msg.value);
        if (result.text) this.experimentText = result.text;
        const { values } = readThresholds(this.experimentText, 'permuted-mnist.den.json');
        await this.send({ type: 'thresholds', experimentFile: this.experimentFile, values, problems: result.problems, valid: true });
        break;
      }
      case 'requestUnits':
        // the real host reads the run's checkpoint (src/engine/unitWeights.ts, tested in npm test); here a test supplies the view
        if (this.units) await this.send({ type: 'units', runId: msg.runId, task: msg.task, layer: msg.layer, ...this.units(msg.runId, msg.task, msg.layer) });
        break;
      default:
        break;
    }
  }
}

export interface DashboardPage {
  page: Page;
  host: FakeHost;
}

/** A fresh page with the dashboard loaded and its first snapshot drawn. */
export async function openDashboard(browser: Browser, server: PageServer, options: { runs?: RunSnapshot[]; autoSnapshot?: boolean; viewport?: { width: number; height: number } } = {}): Promise<DashboardPage> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.addInitScript({ path: path.join(__dirname, 'page', 'vscode-stand-in.js') });
  const host = new FakeHost(page, options.runs);
  host.autoSnapshot = options.autoSnapshot ?? true;
  await host.attach();
  await page.goto(server.url);
  await host.waitFor('ready');
  if (host.autoSnapshot) await page.waitForSelector('.dashboard[data-messages]');
  return { page, host };
}

/** data-* of a chart's canvas. */
export async function chartData(page: Page, chart: string): Promise<Record<string, string>> {
  return page.locator(`canvas[data-chart="${chart}"]`).evaluate((el) => ({ ...(el as unknown as { dataset: Record<string, string> }).dataset }));
}

/** Resolves after the dashboard has drawn what it was sent (two animation frames). */
export async function settled(page: Page): Promise<void> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const raf = (globalThis as unknown as { requestAnimationFrame(cb: () => void): number }).requestAnimationFrame;
        raf(() => raf(() => resolve()));
      }),
  );
}
