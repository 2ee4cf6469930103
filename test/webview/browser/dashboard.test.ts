// The built dashboard (dist/webview/dashboard.js) in Chromium, under the panel's own HTML and CSP,
// talking to a fake extension host (../harness.ts) fed the recorded runs of ../fixtures/.
// Screenshots of every tab go to test-artifacts/webview/.
import { strict as assert } from 'node:assert';
import * as fs from 'fs';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import type { DenEvent, RunSnapshot } from '../../../src/common/protocol';
import { batches, diagonal, eventsOfTask, LINEAGE_FIXTURE, loadFixture, loadSweepFixture, longTaskEvents, unitsViewOf } from '../fixtures';
import { chartData, launchChromium, openDashboard, settled, startServer, type FakeHost, type PageServer } from '../harness';

const artifacts = path.resolve(__dirname, '..', '..', '..', 'test-artifacts', 'webview');
const run02 = loadFixture('sigma-0.02');
const run05 = loadFixture('sigma-0.05');
const progressive = loadFixture('progressive');
const lossCount = (run: RunSnapshot, task: number) => eventsOfTask(run.events, task).filter((e) => e.type === 'loss').length;
/** Where a task's subnetwork retraining starts: the selection marker of a run recorded without its step. */
const subnetworkStart = (run: RunSnapshot, task: number) =>
  (eventsOfTask(run.events, task).find((e) => e.type === 'stage-start' && e.stage === 'subnetwork') as Extract<DenEvent, { type: 'stage-start' }>).step;

/** Runs in the page (the root project has no DOM types). */
type PageGlobals = {
  __den: { posted: { type: string; level?: string; message?: string }[]; errors: string[]; violations: string[]; acquired(): number };
  __denSetTheme(kind: 'light' | 'dark'): void;
  sessionStorage: { getItem(k: string): string | null };
};
const pageState = (page: Page) => page.evaluate(() => {
  const g = globalThis as unknown as PageGlobals;
  return { errors: g.__den.errors.slice(), violations: g.__den.violations.slice(), acquired: g.__den.acquired(), posted: g.__den.posted.slice() };
});

async function pick(page: Page, select: string, text: string | RegExp): Promise<void> {
  await page.locator(`#${select}`).click();
  await page.locator(`#${select} li[role=option]`, { hasText: text }).first().click();
  await settled(page);
}

/** The text a single-select shows (its selected option's label). */
async function pickerText(page: Page, select: string): Promise<string> {
  return ((await page.locator(`#${select} .select-face .text`).textContent()) ?? '').trim();
}

async function showTab(page: Page, tab: string): Promise<void> {
  await page.locator(`vscode-tab-header[data-tab="${tab}"]`).click();
  await settled(page);
}

async function snap(page: Page, name: string): Promise<void> {
  fs.mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

/** Waits until a chart's data-* attribute has the value. */
async function waitForData(page: Page, chart: string, key: string, value: string, timeout = 5000): Promise<void> {
  const attr = 'data-' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
  await page.locator(`canvas[data-chart="${chart}"][${attr}="${value}"]`).waitFor({ state: 'attached', timeout });
}

describe('dashboard webview in Chromium', function () {
  this.timeout(60_000);
  let server: PageServer;
  let browser: Browser;
  let page: Page;
  let host: FakeHost;

  before(async () => {
    server = await startServer();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    ({ page, host } = await openDashboard(browser, server));
    await settled(page);
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await snap(page, `failed-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 60)}`);
    await page.context().close();
  });
  /** Mocha's `it`, and the test also fails on a page error, an unhandled rejection or a message the host refused. */
  const it = (title: string, fn: (this: Mocha.Context) => Promise<void>) =>
    globalThis.it(title, async function () {
      await fn.call(this);
      assert.deepEqual(await host.failures(), [], 'no error in the page');
    });

  it('loads under the panel’s CSP, says ready first, and draws the snapshot without an error', async () => {
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    assert.match(csp!, /^default-src 'none'; script-src 'nonce-[^']+'; style-src http:\/\/127\.0\.0\.1:\d+ 'nonce-[^']+'; img-src http:\/\/127\.0\.0\.1:\d+ data:; font-src http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(host.received[0].type, 'ready');
    const state = await pageState(page);
    assert.equal(state.acquired, 1);
    assert.deepEqual(state.violations, []);
    assert.deepEqual(state.errors, []);
    // nothing but the page, its style and its script (and the browser's own favicon probe)
    assert.deepEqual(
      [...new Set(server.requests)].filter((r) => r !== '/favicon.ico').sort(),
      ['/', '/dist/webview/dashboard.js', '/media/dashboard.css'],
    );
    assert.equal(await page.locator('.dashboard').getAttribute('data-run'), run02.id);
    assert.match((await page.locator('.status').textContent())!, /3 of 10 tasks trained/);
    await snap(page, 'loss');
  });

  it('charts the loss of the selected task, a line per stage, with the selection, τ, expansion, pruning and split markers', async () => {
    let loss = await chartData(page, 'loss');
    assert.equal(loss.task, '3', 'shows the last task by default');
    assert.equal(loss.points, String(lossCount(run02, 3)));
    assert.equal(loss.drawn, loss.points, 'a short series is drawn whole');
    assert.equal(loss.stages, 'sparse-head,subnetwork,expansion,retrain');
    assert.equal(loss.markerKinds, 'selection,tau,expansion,prune,split');
    assert.equal(loss.markerSteps, `${subnetworkStart(run02, 3)},575,720,720,720`);
    assert.equal(loss.tau, '0.01');
    assert.ok(Number(loss.tauPx) > 0, 'the τ line is drawn');

    await pick(page, 'task-picker', 'task 2');
    loss = await chartData(page, 'loss');
    assert.equal(loss.task, '2');
    assert.equal(loss.points, String(lossCount(run02, 2)));
    assert.equal(loss.markers, '4');
    assert.equal(loss.markerKinds, 'selection,tau,expansion,split');

    await pick(page, 'task-picker', 'task 1');
    loss = await chartData(page, 'loss');
    assert.equal(loss.points, String(lossCount(run02, 1)));
    assert.equal(loss.stages, 'task1');
    assert.equal(loss.markers, '0');
    assert.match((await page.locator('#loss-chart').getAttribute('aria-label'))!, /^Loss over steps\. Loss of task 1 \(permuted-1\) over \d+ steps/);
  });

  it('names the shown task in the Task picker and the chart titles: after a pick, after a new task, after a cancel', async () => {
    assert.equal(await pickerText(page, 'task-picker'), 'Latest (task 3)');
    assert.equal((await page.locator('#loss-title').textContent())!.trim(), 'Loss over steps · task 3 (permuted-3)');
    await pick(page, 'task-picker', 'task 2');
    assert.equal(await pickerText(page, 'task-picker'), 'task 2 · permuted-2');
    assert.equal((await page.locator('#loss-title').textContent())!.trim(), 'Loss over steps · task 2 (permuted-2)');
    assert.equal((await page.locator('#drift-title').textContent())!.trim(), 'Unit drift ρ and σ · task 2 (permuted-2)');
    // a new task trains and finishes: the chosen task stays chosen, and the picker still says so
    await host.send({ type: 'training', running: true, runId: run02.id, task: 4 });
    const task4 = longTaskEvents(4, 40);
    await host.send({ type: 'events', runId: run02.id, events: task4.slice(0, 20) });
    await settled(page);
    assert.equal(await pickerText(page, 'task-picker'), 'task 2 · permuted-2');
    assert.equal((await chartData(page, 'loss')).task, '2');
    // following again: the training task, named
    await pick(page, 'task-picker', 'Follow training');
    assert.equal(await pickerText(page, 'task-picker'), 'Follow training (task 4)');
    assert.equal((await chartData(page, 'loss')).task, '4');

    // Stop during task 4: nothing of it is shown as a task, as in the header and the tree
    await host.send({ type: 'events', runId: run02.id, events: [...task4.slice(20, 30), { type: 'cancelled', task: 4, lastCompletedTask: 3 }] });
    await host.send({ type: 'training', running: false, runId: null, task: null });
    await settled(page);
    assert.match((await page.locator('.status').textContent())!, /3 of 10 tasks trained/);
    assert.equal(await pickerText(page, 'task-picker'), 'Latest (task 3)');
    const loss = await chartData(page, 'loss');
    assert.equal(loss.task, '3');
    assert.equal(loss.points, String(lossCount(run02, 3)), 'the loss chart shows task 3, not the partial curve of task 4');
    assert.equal(loss.tau, '0.01', 'the τ marker of task 3');
    await page.locator('#task-picker').click();
    await page.locator('#task-picker li[role=option]').first().waitFor();
    assert.deepEqual((await page.locator('#task-picker li[role=option]').allTextContents()).map((t) => t.trim()), ['Latest (task 3)', 'task 1 · permuted-1', 'task 2 · permuted-2', 'task 3 · permuted-3'], 'no task 4 to pick');
    await page.keyboard.press('Escape');
    await showTab(page, 'drift');
    assert.equal((await chartData(page, 'drift')).task, '3');
    assert.equal(await page.locator('#drift-note').isVisible(), false, 'the drift of task 3, not “no split test”');
    await showTab(page, 'compare');
    await waitForData(page, 'compare-drift', 'task', '3');
    assert.equal((await page.locator('#compare-drift-title').textContent())!.trim(), 'Compare: drift ρ · task 3 (permuted-3)');
  });

  it('shows the Score picker only on the tabs it changes', async () => {
    const score = page.locator('#score-picker');
    assert.equal(await score.isVisible(), false, 'not on the Loss tab');
    await showTab(page, 'forgetting');
    assert.equal(await score.isVisible(), true);
    await showTab(page, 'drift');
    assert.equal(await score.isVisible(), false);
    await showTab(page, 'compare');
    assert.equal(await score.isVisible(), true);
  });

  it('labels the loss chart’s markers in words', async () => {
    const labels = (await chartData(page, 'loss')).markerLabels;
    assert.ok(labels, 'the labels are published');
    assert.doesNotMatch(labels, /\[/, `no JSON-like lists: ${labels}`);
    assert.match(labels, /expansion: \+\d+ new units/);
  });

  it('shows an invalid experiment file’s errors by their fields and refuses to train until it is fixed', async () => {
    host.experimentText = host.experimentText.replace(/"k": \d+/, '"k": -3');
    await page.reload();
    await host.waitFor('ready', 2);
    await page.locator('#threshold-k[invalid]').waitFor();
    assert.equal(await page.locator('#threshold-k input').inputValue(), '-3', 'the value as written, not a blank');
    assert.match((await page.locator('#threshold-k-help').textContent())!, /den\.k .*must be ≥ 0 and ≤ 4096, got -3/);
    assert.equal(await page.locator('#threshold-sigma input').inputValue(), '0.02', 'the other fields keep their values');
    assert.match((await page.locator('.thresholds .problems').textContent())!, /has errors; fix them in the file to train/);
    const train = page.locator('vscode-button[data-action="train-next"]');
    const retrain = page.locator('vscode-button[data-action="retrain"]');
    assert.equal(await train.getAttribute('disabled'), '');
    assert.equal(await retrain.getAttribute('disabled'), '');
    assert.equal((await retrain.textContent())!.trim(), 'Retrain task 3 with these values', 'a real task number, never “task t”');
    // fixed in the file: training is offered again
    host.experimentText = host.experimentText.replace('"k": -3', '"k": 6');
    await host.send({ type: 'thresholds', experimentFile: host.experimentFile, values: host.thresholds(), problems: [], valid: true });
    await settled(page);
    assert.equal(await train.getAttribute('disabled'), null);
    assert.equal(await page.locator('#threshold-k').getAttribute('invalid'), null);
  });

  it('moves the σ line when σ changes and counts the units that would split', async () => {
    await showTab(page, 'drift');
    await pick(page, 'task-picker', 'task 2');
    let drift = await chartData(page, 'drift');
    const split = run02.events.find((e): e is Extract<DenEvent, { type: 'split' }> => e.type === 'split' && e.task === 2)!;
    assert.equal(drift.sigma, '0.02');
    assert.equal(drift.sigmaUsed, '0.02');
    assert.equal(drift.split, split.splitUnits.map((u) => u.length).join(','));
    assert.equal(drift.above, drift.split, 'at the trained σ, the units above are those that split');
    assert.equal(drift.points, String(split.drift.flat().length));
    const px02 = Number(drift.sigmaPx);

    // the experiment file changes (typed in the editor): the line follows
    await host.send({ type: 'thresholds', experimentFile: host.experimentFile, values: { ...host.thresholds()!, sigma: 0.025 }, problems: [], valid: true });
    await waitForData(page, 'drift', 'sigma', '0.025');
    drift = await chartData(page, 'drift');
    const px025 = Number(drift.sigmaPx);
    assert.ok(px025 > px02, `the line moved right: ${px02} → ${px025}`);
    const above = drift.above.split(',').map(Number);
    const expected = split.drift.map((layer) => layer.filter((r) => r > 0.025).length);
    assert.deepEqual(above, expected);
    assert.equal(drift.split, split.splitUnits.map((u) => u.length).join(','), 'what split in training does not change');

    // typing a value previews it before anything is written; Escape goes back
    const field = page.locator('#threshold-sigma input');
    await field.fill('0.01');
    await waitForData(page, 'drift', 'sigma', '0.01');
    assert.ok(Number((await chartData(page, 'drift')).sigmaPx) < px02);
    assert.ok(!host.received.some((m) => m.type === 'setThreshold'), 'not written while typing');
    await field.press('Escape');
    await waitForData(page, 'drift', 'sigma', '0.025');
    await snap(page, 'drift');
  });

  it('streams live events into the charts: points, stages, markers, then the task’s results', async () => {
    const cut = run02.events.findIndex((e) => e.type === 'task-start' && e.task === 3);
    host.training = { running: true, runId: run02.id, task: 3 };
    await host.send(host.snapshot({ ...run02, events: run02.events.slice(0, cut + 1), summary: { ...run02.summary!, tasks: run02.summary!.tasks.slice(0, 2), accuracy: run02.summary!.accuracy.slice(0, 2), auroc: run02.summary!.auroc.slice(0, 2) } }));
    await settled(page);
    assert.equal((await chartData(page, 'loss')).task, '3', 'follows the task in training');
    assert.equal((await chartData(page, 'loss')).points, '0');
    assert.equal((await chartData(page, 'growth')).tasks, '2');
    let seen = 0;
    for (const batch of batches(run02.events.slice(cut + 1), 15)) {
      await host.send({ type: 'events', runId: run02.id, events: batch });
      seen += batch.filter((e) => e.type === 'loss').length;
      await waitForData(page, 'loss', 'points', String(seen));
    }
    await host.send({ type: 'training', running: false, runId: null, task: null });
    await settled(page);
    const loss = await chartData(page, 'loss');
    assert.equal(loss.points, String(lossCount(run02, 3)));
    assert.equal(loss.markerKinds, 'selection,tau,expansion,prune,split');
    assert.equal(loss.state, 'done');
    assert.equal((await chartData(page, 'growth')).tasks, '3');
    assert.equal((await chartData(page, 'forgetting')).points, '6');
    // events of another run are not this run's
    await host.send({ type: 'events', runId: 'elsewhere', events: [{ type: 'loss', task: 3, stage: 'retrain', step: 99_999, loss: 1 }] });
    await settled(page);
    assert.equal((await chartData(page, 'loss')).points, String(lossCount(run02, 3)));
  });

  it('shows a new task from its first batch: its loss in the next frame, the charts of the other tabs one frame later', async () => {
    host.training = { running: true, runId: run02.id, task: 4 };
    await host.send(host.snapshot());
    await settled(page);
    assert.equal((await chartData(page, 'loss')).task, '3', 'no event of task 4 yet: the last task');
    const first = batches(longTaskEvents(4, 2000), 500)[0];
    // the page's data of the loss chart (this tab) and the drift chart (another tab) after each of the
    // two animation frames that follow the batch (a frame callback asked for after the dashboard's runs
    // after its draw)
    const frames = await page.evaluate(
      ({ runId, events }) =>
        new Promise<Record<string, string>[][]>((resolve) => {
          const g = globalThis as unknown as {
            addEventListener(type: string, f: () => void, o: { once: boolean }): void;
            postMessage(m: unknown, o: string): void;
            requestAnimationFrame(f: () => void): void;
            document: { querySelector(s: string): { dataset: Record<string, string> } };
          };
          const seen: Record<string, string>[][] = [];
          g.addEventListener(
            'message',
            () =>
              g.requestAnimationFrame(() => {
                seen.push(['loss', 'drift'].map((id) => ({ ...g.document.querySelector(`canvas[data-chart="${id}"]`).dataset })));
                g.requestAnimationFrame(() => {
                  seen.push(['loss', 'drift'].map((id) => ({ ...g.document.querySelector(`canvas[data-chart="${id}"]`).dataset })));
                  resolve(seen);
                });
              }),
            { once: true },
          );
          g.postMessage({ type: 'events', runId, events }, '*');
        }),
      { runId: run02.id, events: first },
    );
    const [[loss1, drift1], [loss2, drift2]] = frames;
    const points = first.filter((e) => e.type === 'loss').length;
    assert.equal(loss1.task, '4', 'the loss chart follows the new task in the first frame');
    assert.equal(loss1.points, String(points), 'with the first batch’s points');
    assert.equal(loss1.stages, 'sparse-head');
    assert.equal(drift1.task, '3', 'the drift chart (another tab) is not drawn in that frame');
    assert.equal(drift2.task, '4', 'but in the next');
    assert.equal(loss2.renders, loss1.renders, 'the loss chart is not drawn twice');
    assert.equal((await page.locator('#loss-title').textContent())!.trim(), 'Loss over steps · task 4 (permuted-4)');
    await showTab(page, 'drift');
    assert.equal((await chartData(page, 'drift')).task, '4');
  });

  it('ignores a malformed message, logging the error to the console and the host', async () => {
    const before = await chartData(page, 'loss');
    const messages = await page.locator('.dashboard').getAttribute('data-messages');
    await host.send({ type: 'events', runId: 7, events: 'lots' });
    await host.send({ type: 'snapshot', runs: [] });
    await host.send({ type: 'events', runId: run02.id, events: [{ task: 3 }] });
    await host.send('not even an object');
    await settled(page);
    const logs = host.received.filter((m) => m.type === 'log');
    assert.equal(logs.length, 4);
    assert.ok(logs.every((m) => m.type === 'log' && m.level === 'error' && /malformed message/.test(m.message)));
    assert.match(logs[0].type === 'log' ? logs[0].message : '', /'events'\.runId: Invalid type: Expected string but received 7/);
    const state = await pageState(page);
    assert.equal(state.errors.filter((e) => /malformed/.test(e)).length, 4);
    assert.equal(await page.locator('.dashboard').getAttribute('data-messages'), messages, 'none of them was handled');
    assert.deepEqual({ ...(await chartData(page, 'loss')), renders: '' }, { ...before, renders: '' });
    // and the page still works
    await host.send({ type: 'training', running: true, runId: run02.id, task: 4 });
    await page.locator('.status', { hasText: 'Training task 4' }).waitFor();
  });

  it('edits the experiment file through the host, and shows the schema’s message for an invalid value', async () => {
    const sigma = page.locator('#threshold-sigma input');
    const help = page.locator('#threshold-sigma-help');
    await sigma.fill('-1');
    await sigma.press('Enter');
    const rejected = await host.waitFor('setThreshold');
    assert.deepEqual(rejected, { type: 'setThreshold', field: 'sigma', value: -1 });
    await help.filter({ hasText: 'must be ≥ 0' }).waitFor();
    assert.equal((await help.textContent())!.trim(), 'den.sigma [σ (split threshold)]: must be ≥ 0, got -1');
    assert.equal(await page.locator('#threshold-sigma').getAttribute('invalid'), '');
    assert.equal(await sigma.inputValue(), '-1', 'the rejected text stays for correction');
    assert.match(host.experimentText, /"sigma": 0\.02/, 'the file is untouched');

    await sigma.fill('abc');
    await sigma.press('Enter');
    await help.filter({ hasText: 'is not a number' }).waitFor();
    assert.equal(host.received.filter((m) => m.type === 'setThreshold').length, 1, 'not sent');

    await sigma.fill('0.03');
    await sigma.press('Enter');
    assert.deepEqual(await host.waitFor('setThreshold', 2), { type: 'setThreshold', field: 'sigma', value: 0.03 });
    await help.filter({ hasText: 'split a unit whose' }).waitFor();
    assert.match(host.experimentText, /"sigma": 0\.03,/);
    assert.equal(await page.locator('#threshold-sigma').getAttribute('invalid'), null);

    await page.locator('#threshold-gamma input').fill('0.001, 0.02');
    await page.locator('#threshold-gamma input').press('Tab');
    assert.deepEqual(await host.waitFor('setThreshold', 3), { type: 'setThreshold', field: 'gamma', value: [0.001, 0.02] });

    // the file edited elsewhere: the panel follows
    const values = { tau: 0.5, sigma: 0.03, k: 12, mu: 1e-5, gamma: [0.001, 0.02], lambda: 0.5, epochs: 3, learningRate: 0.002 };
    await host.send({ type: 'thresholds', experimentFile: host.experimentFile, values, problems: [], valid: true });
    await settled(page);
    assert.equal(await page.locator('#threshold-tau input').inputValue(), '0.5');
    assert.equal(await page.locator('#threshold-k input').inputValue(), '12');
    assert.equal(await page.locator('#threshold-learningRate input').inputValue(), '0.002');
    // τ of the experiment against the τ test of the shown task
    const loss = await chartData(page, 'loss');
    assert.equal(loss.tauPreview, '0.5');
    assert.ok(Number(loss.tauPreviewPx) > 0);
    assert.match((await page.locator('#loss-chart').getAttribute('aria-label'))!, /τ test|train loss/);
    await snap(page, 'thresholds');
  });

  it('trains the next task and retrains the shown one from its buttons, from the keyboard', async () => {
    const train = page.locator('vscode-button[data-action="train-next"]');
    const retrain = page.locator('vscode-button[data-action="retrain"]');
    assert.equal((await retrain.textContent())!.trim(), 'Retrain task 3 with these values');
    await train.focus();
    await page.keyboard.press('Enter');
    assert.deepEqual(await host.waitFor('trainNext'), { type: 'trainNext' });
    await pick(page, 'task-picker', 'task 2');
    assert.equal((await retrain.textContent())!.trim(), 'Retrain task 2 with these values');
    await retrain.focus();
    await page.keyboard.press(' ');
    assert.deepEqual(await host.waitFor('retrainTask'), { type: 'retrainTask', task: 2 });
    // while training, neither can start
    await host.send({ type: 'training', running: true, runId: run02.id, task: 4 });
    await settled(page);
    assert.equal(await train.getAttribute('disabled'), '');
    assert.equal(await retrain.getAttribute('disabled'), '');
  });

  it('saves any chart as PNG and exports the metrics as CSV and JSON', async () => {
    await page.locator('#loss-section vscode-button[data-action="png"]').click();
    const png = await host.waitFor('savePng');
    assert.equal(png.chart, 'permuted-mnist-loss-task3');
    const bytes = Buffer.from(png.dataUrl.slice('data:image/png;base64,'.length), 'base64');
    assert.equal(bytes.subarray(1, 4).toString(), 'PNG');
    assert.ok(bytes.readUInt32BE(16) > 300 && bytes.readUInt32BE(20) > 200, 'the canvas size');
    await showTab(page, 'forgetting');
    await page.locator('#forgetting-section vscode-button[data-action="png"]').click();
    assert.equal((await host.waitFor('savePng', 2)).chart, 'permuted-mnist-forgetting');
    await page.locator('vscode-button[data-action="export-csv"]').click();
    await page.locator('vscode-button[data-action="export-json"]').click();
    assert.deepEqual(await host.waitFor('exportMetrics', 1), { type: 'exportMetrics', format: 'csv' });
    assert.deepEqual(await host.waitFor('exportMetrics', 2), { type: 'exportMetrics', format: 'json' });
  });

  it('names every chart and offers each as a table', async () => {
    const charts = ['loss', 'growth', 'drift', 'forgetting', 'accuracy', 'params', 'compare-capacity', 'compare-growth', 'compare-drift', 'compare-accuracy'];
    for (const id of charts) {
      const canvas = page.locator(`canvas[data-chart="${id}"]`);
      assert.equal(await canvas.getAttribute('role'), 'img', id);
      const label = (await canvas.getAttribute('aria-label')) ?? '';
      assert.ok(label.length > 30, `${id}: “${label}”`);
    }
    const section = page.locator('#loss-section');
    await section.locator('vscode-checkbox[data-action="table"]').click();
    const table = section.locator('.chart-table table');
    await table.waitFor();
    assert.ok(await section.locator('.chart-canvas').isHidden());
    assert.equal(await table.locator('tbody tr').count(), 4 + 5, '4 stages + 5 markers');
    assert.match((await table.locator('caption').textContent())!, /Loss of task 3/);
    assert.equal(await table.locator('thead th').first().textContent(), 'stage / marker');

    await showTab(page, 'forgetting');
    await page.locator('#forgetting-section vscode-checkbox[data-action="table"]').click();
    const r = page.locator('#forgetting-section table');
    assert.equal(await r.locator('tbody tr').count(), 3);
    assert.equal((await r.locator('tbody tr').nth(2).locator('td').first().textContent())!, run02.summary!.accuracy[2][0].toPrecision(4));
    await showTab(page, 'drift');
    await page.locator('#drift-section vscode-checkbox[data-action="table"]').click();
    const d = page.locator('#drift-section table');
    assert.equal(await d.locator('tbody tr').count(), 2, 'one row per layer');
    await snap(page, 'drift-table');
  });

  it('works from the keyboard: tabs with the arrow keys, pickers, checkboxes', async () => {
    const first = page.locator('vscode-tab-header[data-tab="loss"]');
    await first.focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await settled(page);
    assert.equal(await page.locator('.dashboard').getAttribute('data-tab'), 'drift');
    assert.ok(await page.locator('#drift-section').isVisible());

    // the task picker: open with Enter, move with the arrows, choose with Enter
    await page.locator('#task-picker').focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await settled(page);
    assert.equal((await chartData(page, 'drift')).task, '2');

    // a table toggle with Space
    await page.locator('#drift-section vscode-checkbox[data-action="table"]').focus();
    await page.keyboard.press(' ');
    await page.locator('#drift-section table').waitFor();

    // Tab reaches every kind of control
    await page.locator('#run-picker').focus();
    const reached = new Set<string>();
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      reached.add(
        await page.evaluate(() => {
          const el = (globalThis as unknown as { document: { activeElement: { tagName: string; id: string; dataset: Record<string, string>; shadowRoot: unknown } | null } }).document.activeElement;
          return el ? `${el.tagName.toLowerCase()}${el.dataset.action ? `[${el.dataset.action}]` : ''}${el.id ? `#${el.id}` : ''}` : '';
        }),
      );
    }
    for (const expected of ['vscode-single-select[task]#task-picker', 'vscode-button[export-csv]', 'vscode-tab-header', 'vscode-checkbox[table]', 'vscode-button[png]', 'vscode-button[train-next]', 'vscode-textfield#threshold-sigma']) {
      assert.ok([...reached].some((r) => r.startsWith(expected)), `Tab reaches ${expected}: ${[...reached].join(' ')}`);
    }
  });

  it('comes back after a reload with its view and the same data', async () => {
    await pick(page, 'task-picker', 'task 2');
    await showTab(page, 'forgetting');
    await pick(page, 'score-picker', 'AUROC');
    await showTab(page, 'growth');
    await page.locator('#growth-section vscode-checkbox[data-action="table"]').click();
    const before = { loss: await chartData(page, 'loss'), growth: await chartData(page, 'growth'), forgetting: await chartData(page, 'forgetting') };
    const stored = JSON.parse((await page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.getItem('den-state')))!);
    assert.equal(stored.runId, run02.id, 'the serializer gets the run');

    await page.reload();
    await host.waitFor('ready', 2);
    await page.waitForSelector('.dashboard[data-messages="1"]');
    await settled(page);
    assert.equal(await page.locator('.dashboard').getAttribute('data-tab'), 'growth');
    assert.ok(await page.locator('#growth-section table').isVisible());
    const strip = (d: Record<string, string>) => ({ ...d, renders: '', tauPx: '', tauPreviewPx: '', sigmaPx: '' });
    assert.deepEqual(strip(await chartData(page, 'loss')), strip(before.loss));
    assert.equal((await chartData(page, 'loss')).task, '2');
    assert.equal(await pickerText(page, 'task-picker'), 'task 2 · permuted-2', 'the Task picker names the task shown after a reload');
    assert.deepEqual(strip(await chartData(page, 'growth')), strip(before.growth));
    assert.deepEqual(strip(await chartData(page, 'forgetting')), strip(before.forgetting));
    assert.equal((await chartData(page, 'forgetting')).score, 'auroc');
  });

  it('follows the VS Code theme when it changes', async () => {
    assert.equal(await page.locator('.dashboard').getAttribute('data-theme'), 'dark');
    await page.evaluate(() => (globalThis as unknown as PageGlobals).__denSetTheme('light'));
    await page.locator('.dashboard[data-theme="light"]').waitFor();
    await settled(page);
    for (const id of ['loss', 'growth', 'drift', 'forgetting']) assert.equal((await chartData(page, id)).theme, 'light', id);
    await snap(page, 'light');
  });

  it('overlays two runs (σ 0.02 and σ 0.05) on growth, drift and accuracy', async () => {
    await showTab(page, 'compare');
    assert.equal((await chartData(page, 'compare-growth')).runs, '0');
    await page.locator('#compare-picker').click();
    await page.locator('#compare-picker li[role=option]', { hasText: 'sigma-0.02' }).click();
    await page.locator('#compare-picker li[role=option]', { hasText: 'sigma-0.05' }).click();
    await page.keyboard.press('Escape');
    const asked = await host.waitFor('compareRuns');
    assert.deepEqual(asked.runIds.sort(), [run02.id, run05.id].sort());
    await waitForData(page, 'compare-growth', 'runs', '2');
    await pick(page, 'task-picker', 'task 2');
    const drift = await chartData(page, 'compare-drift');
    assert.equal(drift.shown, '2');
    assert.deepEqual(drift.sigmas.split(',').sort(), ['0.02', '0.05']);
    assert.equal((await chartData(page, 'compare-accuracy')).points, '6');
    assert.equal(host.received.filter((m) => m.type === 'compareRuns').length, 1, 'one request for the whole choice');
    assert.match((await page.locator('#compare-growth-chart').getAttribute('aria-label'))!, /σ 0\.02.*σ 0\.05|σ 0\.05.*σ 0\.02/);
    await snap(page, 'compare');
  });

  it('draws the unit lineage of a recorded run: a band per birth task, the split copies marked, and the readers of a chosen group', async () => {
    const lineage = loadFixture(LINEAGE_FIXTURE);
    await page.context().close();
    ({ page, host } = await openDashboard(browser, server, { runs: [lineage, run02], viewport: { width: 1280, height: 2000 } }));
    await settled(page);
    await showTab(page, 'growth');
    const tasks = lineage.summary!.tasks;
    const last = tasks[tasks.length - 1].index;
    for (const layer of [1, 2]) {
      if (layer === 2) await pick(page, 'lineage-layer', 'layer 2');
      const d = await chartData(page, 'lineage');
      assert.equal(d.layer, String(layer));
      assert.equal(d.tasks, tasks.map((t) => t.index).join(','));
      // the stack's top is the layer's size after every task; a band per task that created units
      assert.equal(d.totals, tasks.map((t) => t.units[layer - 1]).join(','), `layer ${layer} totals`);
      assert.equal(d.groups, tasks.filter((t) => t.index === 1 || (t.expanded && t.added[layer - 1] > 0) || t.split[layer - 1] > 0).map((t) => t.index).join(','));
      // a mark where a task made split copies, with their number
      assert.equal(d.copyMarks, tasks.map((t) => t.split[layer - 1]).join(','), `layer ${layer} copies`);
    }
    assert.ok(tasks.some((t) => t.split[1] > 0), 'the fixture has split copies in layer 2');
    // choose the group of a task that made a copy: its originals, its pruned units, its readers
    const copier = tasks.find((t) => t.split[1] > 0)!;
    const group = copier.lineage![1].find((g) => g.born === copier.index)!;
    await pick(page, 'lineage-group', `task ${copier.index}`);
    const d = await chartData(page, 'lineage');
    assert.equal(d.group, String(copier.index));
    assert.equal(d.readers, `${copier.index}-${last}`);
    const text = (await page.locator('#lineage-section .lineage-group').textContent())!;
    assert.ok(text.includes(`of unit${group.copiesOf!.length === 1 ? '' : 's'} ${group.copiesOf!.map((o) => o + 1).join(', ')}`), text);
    assert.ok(text.includes(`removed ${group.pruned} of the units task ${copier.index} added`), text);
    assert.ok(text.includes(`Read by tasks ${copier.index}–${last}`), text);
    await snap(page, 'lineage');
    // the table alternative has a row per task and group
    await page.locator('#lineage-section vscode-checkbox[data-action="table"]').click();
    const rows = page.locator('#lineage-section .chart-table tbody tr');
    assert.equal(await rows.count(), tasks.reduce((n, t) => n + t.lineage![1].length, 0));
    // a run recorded before lineage says so instead of drawing nothing silently
    await pick(page, 'run-picker', 'sigma-0.02');
    assert.match((await page.locator('#lineage-section .chart-note').textContent())!, /before DEN Lab recorded unit lineage/);
  });

  it('Units tab: a tile per live unit from the checkpoint, split copies beside their originals with ρ, a tooltip, the task pixel order', async () => {
    host.units = (_runId, task) => ({ view: unitsViewOf(run02, task), problem: null });
    await showTab(page, 'units');
    const split = (t: number) => eventsOfTask(run02.events, t).find((e) => e.type === 'split') as Extract<DenEvent, { type: 'split' }>;
    const tasks = run02.summary!.tasks;
    await waitForData(page, 'units', 'mode', 'image');
    assert.deepEqual(host.received.filter((m) => m.type === 'requestUnits').pop(), { type: 'requestUnits', runId: run02.id, task: tasks.length, layer: 1 });
    let d = await chartData(page, 'units');
    assert.equal(d.mode, 'image');
    assert.equal(Number(d.tiles), tasks[tasks.length - 1].units[0], 'a tile per live unit');
    // every copy right after its original (or after a copy of the same original), with the ρ its split event measured
    const order = d.order.split(',').map(Number);
    const pairs = d.pairs.split(' ').filter(Boolean).map((p) => p.split(':'));
    assert.equal(pairs.length, tasks.reduce((n, t) => n + t.split[0], 0));
    assert.ok(pairs.length > 0, 'the fixture has copies in layer 1');
    const view = unitsViewOf(run02, tasks.length);
    for (const [o, c, rho] of pairs) {
      const between = order.slice(order.indexOf(Number(o)) + 1, order.indexOf(Number(c)));
      assert.ok(order.indexOf(Number(c)) > order.indexOf(Number(o)) && between.every((u) => view.copyOf[u] >= 0), `copy ${c} beside ${o}`);
      assert.equal(Number(rho), split(view.born[Number(c)]).drift[0][Number(o)], `ρ of ${o} → ${c}`);
    }
    // the tooltip of unit 1: index, birth task, strongest outgoing weight
    const [unit, x, y, w, h] = d.tile0.split(',').map(Number);
    assert.equal(unit, 0);
    await page.locator('canvas[data-chart="units"]').hover({ position: { x: x + w / 2, y: y + h / 2 } });
    assert.match((await page.locator('canvas[data-chart="units"]').getAttribute('title'))!, /^unit 1 of layer 1 · born in task 1 · strongest outgoing: layer 2 unit 1 \+0\.5/);
    // unit 1 learned a diagonal in task 1's pixel order: scrambled as stored, a diagonal once put back
    const lit = () =>
      page.locator('canvas[data-chart="units"]').evaluate((el, [x0, y0, zoom]) => {
        const c = (el as unknown as { getContext(k: string): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } }).getContext('2d');
        const bg = c.getImageData(x0 + 28 * zoom + 1, y0, 1, 1).data; // the gap right of the tile
        const out: number[] = [];
        for (let p = 0; p < 784; p++) {
          const px = c.getImageData(x0 + (p % 28) * zoom, y0 + Math.floor(p / 28) * zoom, 1, 1).data;
          out.push(px[0] !== bg[0] || px[1] !== bg[1] || px[2] !== bg[2] ? 1 : 0);
        }
        return out;
      }, [x, y, w / 28]);
    const stroke = Array.from(diagonal());
    assert.notDeepEqual(await lit(), stroke, 'in the task’s input order the stroke is scrambled');
    await page.locator('#units-section vscode-checkbox[data-action="unpermute"]').click();
    await waitForData(page, 'units', 'unpermuted', 'yes');
    assert.deepEqual(await lit(), stroke, 'in pixel order: the diagonal, nothing else');
    await snap(page, 'units');
    // another task from the header: a new request, the units of that task
    await pick(page, 'task-picker', 'task 2');
    await page.locator('canvas[data-chart="units"][data-task="2"][data-mode="image"]').waitFor({ state: 'attached', timeout: 5000 });
    d = await chartData(page, 'units');
    assert.equal(Number(d.tiles), tasks[1].units[0]);
    // a deeper layer (no image): a heatmap row per unit, in the same order
    host.units = (_runId, task, layer) => ({ view: { ...unitsViewOf(run02, task), layer, image: null }, problem: null });
    await pick(page, 'units-layer', 'layer 2');
    await page.locator('canvas[data-chart="units"][data-layer="2"][data-mode="heatmap"]').waitFor({ state: 'attached', timeout: 5000 });
    d = await chartData(page, 'units');
    assert.equal(Number(d.tiles), tasks[1].units[0], 'a row per unit');
    assert.equal(d.unpermuted, 'no', 'no pixel order without an image');
    await pick(page, 'units-layer', 'layer 1');
    // a checkpoint that cannot be read: its one-line problem
    host.units = () => ({ view: null, problem: 'checkpoint …/task-001: weights.bin is missing' });
    await pick(page, 'task-picker', 'task 1');
    await page.locator('#units-section .chart-note', { hasText: 'Cannot show the units: checkpoint …/task-001: weights.bin is missing' }).waitFor();
    assert.equal((await chartData(page, 'units')).tiles, '0');
  });

  it('overlays runs of different methods (DEN and progressive) on score against parameters', async () => {
    await showTab(page, 'compare');
    await page.locator('#compare-picker').click();
    for (const name of ['sigma-0.05', 'progressive']) await page.locator('#compare-picker li[role=option]', { hasText: name }).click();
    await page.keyboard.press('Escape');
    await host.waitFor('compareRuns');
    await waitForData(page, 'compare-capacity', 'runs', '2');
    let capacity = await chartData(page, 'compare-capacity');
    const order = host.compare.map((id) => [run05, progressive].find((r) => r.id === id)!);
    assert.equal(capacity.methods, order.map((r) => r.summary!.method).join(','));
    assert.equal(capacity.params, order.map((r) => r.summary!.params.total).join(','), "each run's last point at its parameters");
    assert.equal(capacity.points, '6', 'a point per task per run');
    assert.equal(capacity.score, 'accuracy');
    const label = (await page.locator('#compare-capacity-chart').getAttribute('aria-label'))!;
    const params = (r: RunSnapshot) => r.summary!.params.total.toLocaleString('en-US');
    assert.ok(label.includes(`· progressive: accuracy ${Number(progressive.summary!.acc!.toPrecision(3))} with ${params(progressive)} parameters after task 3`), label);
    assert.ok(label.includes(`sigma-0.05 · den, k 10: accuracy ${Number(run05.summary!.acc!.toPrecision(3))} with ${params(run05)} parameters after task 3`), label);
    await snap(page, 'compare-methods');
    // the score picker switches it to AUROC; the table lists parameters and score per task
    await pick(page, 'score-picker', 'AUROC');
    await waitForData(page, 'compare-capacity', 'score', 'auroc');
    await page.locator('#compare-capacity-section vscode-checkbox[data-action="table"]').click();
    const rows = page.locator('#compare-capacity-section table tbody tr');
    assert.equal(await rows.count(), 2);
    const prog = rows.filter({ hasText: 'progressive' });
    assert.equal((await prog.locator('td').nth(0).textContent())!.trim(), 'progressive');
    assert.equal((await prog.locator('td').nth(3).textContent())!, `${params(progressive)} · ${Number(progressive.summary!.aurocMetrics.acc!.toPrecision(4))}`);
    capacity = await chartData(page, 'compare-capacity');
    assert.equal(capacity.points, '6');
  });

  it('shows a sweep in the Sweep tab: points as they finish, the front, colour by a field, a table; a chosen point is adopted or opened', async () => {
    const sweep = loadSweepFixture();
    const live = structuredClone(sweep);
    live.state = 'running';
    for (const p of live.points.slice(3)) {
      p.status = p === live.points[3] ? 'running' : 'pending';
      p.result = null;
      p.pareto = false;
    }
    live.front = live.front.filter((id) => sweep.points.slice(0, 3).some((p) => p.id === id));
    const ref = { id: 'sweep1', label: 'tiny-sweep · den.tau × den.k · 6 points' };
    await host.send({ type: 'sweep', sweeps: [ref], shown: { ...ref, sweep: live }, reveal: true });
    await settled(page);
    assert.equal(await page.locator('.dashboard').getAttribute('data-tab'), 'sweep', 'revealed');
    let data = await chartData(page, 'sweep');
    assert.equal(data.points, '3');
    assert.equal(data.done, '3');
    assert.equal(data.running, '1');
    assert.match((await page.locator('#sweep-chart').getAttribute('aria-label'))!, /3 of 6 points done, 1 running, 2 waiting/);

    // sweep.json changed: every point done
    await host.send({ type: 'sweep', sweeps: [ref], shown: { ...ref, sweep }, reveal: false });
    await waitForData(page, 'sweep', 'points', '6');
    data = await chartData(page, 'sweep');
    const byParams = sweep.points.filter((p) => sweep.front.includes(p.id)).sort((a, b) => a.result!.params - b.result!.params || b.result!.acc! - a.result!.acc!);
    assert.equal(data.front, byParams.map((p) => p.id).join(','));
    assert.equal(data.colorField, 'den.tau');
    assert.equal(data.groups, '0.01|0.5');
    assert.equal(data.quality, 'acc');

    await pick(page, 'sweep-color', 'den.k');
    await waitForData(page, 'sweep', 'groups', '2|6|12');

    // a click on a point chooses it (of two equal points, the first: 01 and 04 differ only in τ, which changed nothing)
    const clicked = sweep.points[0];
    const at = Object.fromEntries((await chartData(page, 'sweep')).at.split('|').map((e) => [e.slice(0, e.indexOf(':')), e.slice(e.indexOf(':') + 1).split(',').map(Number)]));
    assert.deepEqual(Object.keys(at).sort(), sweep.points.map((p) => p.id).sort());
    const box = (await page.locator('#sweep-chart').boundingBox())!;
    await page.mouse.click(box.x + at[clicked.id][0], box.y + at[clicked.id][1]);
    await waitForData(page, 'sweep', 'selected', clicked.id);

    const chosen = sweep.points[2];
    await pick(page, 'sweep-point', chosen.id);
    await waitForData(page, 'sweep', 'selected', chosen.id);
    const details = (await page.locator('#sweep-section .sweep-point').textContent())!;
    assert.match(details, new RegExp(`den\\.k = ${chosen.values['den.k']}`));
    assert.match(details, new RegExp(`parameters ${chosen.result!.params.toLocaleString('en-US')}`));
    await snap(page, 'sweep');
    await page.locator('#sweep-section vscode-button[data-action="adopt"]').click();
    assert.deepEqual(await host.waitFor('adoptSweepPoint'), { type: 'adoptSweepPoint', sweepId: 'sweep1', pointId: chosen.id });

    await page.locator('#sweep-section vscode-checkbox[data-action="table"]').click();
    const table = page.locator('#sweep-section .chart-table table');
    await table.waitFor();
    assert.equal(await table.locator('tbody tr').count(), 6);
    assert.equal(await table.locator('thead th').nth(1).textContent(), 'den.tau');

    await page.locator('#sweep-section vscode-button[data-action="open-run"]').click();
    assert.deepEqual(await host.waitFor('openSweepRun'), { type: 'openSweepRun', sweepId: 'sweep1', pointId: chosen.id });
    await settled(page);
    assert.equal(await page.locator('.dashboard').getAttribute('data-tab'), 'growth', 'the run’s own charts');
  });

  it('says what is missing in a workspace without runs or experiment file', async () => {
    await host.send({ type: 'snapshot', runs: [], run: null, compare: [], experimentFile: null, thresholds: null, training: { running: false, runId: null, task: null } });
    await settled(page);
    assert.equal((await chartData(page, 'loss')).points, '0');
    assert.match((await page.locator('#loss-note').textContent())!, /No run selected/);
    assert.match((await page.locator('.status').textContent())!, /No run yet/);
    assert.match((await page.locator('.experiment-file').textContent())!, /No experiment file/);
    assert.equal(await page.locator('vscode-button[data-action="train-next"]').getAttribute('disabled'), '');
    assert.equal(await page.locator('#threshold-sigma').getAttribute('disabled'), '');
    assert.deepEqual((await pageState(page)).errors, []);
  });

  it('keeps 50,000 streamed loss points and draws them decimated', async () => {
    host.training = { running: true, runId: run02.id, task: 4 };
    await host.send(host.snapshot());
    const stream = longTaskEvents(4, 50_000);
    for (const batch of batches(stream, 1000)) await host.send({ type: 'events', runId: run02.id, events: batch });
    await waitForData(page, 'loss', 'points', '50000', 20_000);
    const loss = await chartData(page, 'loss');
    assert.equal(loss.task, '4');
    const width = await page.locator('#loss-chart').evaluate((c) => (c as unknown as { clientWidth: number }).clientWidth);
    assert.ok(Number(loss.drawn) <= 4 * Math.max(200, width) + 16, `drawn ${loss.drawn} for ${width} px`);
    assert.ok(Number(loss.drawn) >= Math.max(200, width), `drawn ${loss.drawn}`);
    assert.equal(loss.markerKinds, 'tau,expansion,prune,split');
    assert.deepEqual((await pageState(page)).errors, []);
  });

  globalThis.it('the harness counts an uncaught error, an unhandled rejection and a message the host refused as failures', async () => {
    await page.evaluate(() => {
      const w = globalThis as unknown as { setTimeout(f: () => void): void; __den: { post(m: unknown): void } };
      w.setTimeout(() => {
        throw new Error('thrown in the page');
      });
      void Promise.reject(new Error('rejected in the page'));
      w.__den.post({ type: 'selectRun', runDir: '/etc' }); // a path, not a run id: the fake host refuses it
    });
    await page.waitForTimeout(300);
    const failures = await host.failures();
    assert.ok(failures.some((f) => /pageerror: .*thrown in the page/s.test(f)), failures.join('\n'));
    assert.ok(failures.some((f) => /unhandled rejection: .*rejected in the page/s.test(f)), failures.join('\n'));
    assert.ok(failures.some((f) => /the host refused 'selectRun': the webview posted a malformed message: 'selectRun'\.runId: Invalid key/.test(f)), failures.join('\n'));
  });
});
