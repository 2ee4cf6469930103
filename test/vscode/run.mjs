#!/usr/bin/env node
// DEN Lab in a real VS Code: code-server 4.100.3 (installed by scripts/install-code-server.sh),
// driven by Playwright in Debian's Chromium. `npm run test:vscode` builds first, then runs this.
//
//   node test/vscode/run.mjs            1. the mocha suite test/vscode/suite/ INSIDE the extension
//                                          host (the extension loaded from this folder);
//                                       2. the UI flow: palette "DEN Lab: Train Next Task" on a copy of
//                                          examples/, the Runs tree rows, a screenshot;
//                                       3. the dashboard: two tasks trained, the loss chart's points
//                                          and expansion/split markers, the same after a window reload;
//                                       3b. the sweep: palette "DEN Lab: Sweep Thresholds…" through its
//                                          quick picks (2 points), the Sweep tab's points, a
//                                          screenshot, "Adopt these values";
//                                       3c. the Runs view's title buttons (hidden with no experiment,
//                                          shown once one is written) and the dashboard tab's icon
//                                          under a light and a dark theme;
//                                       4. the extension host SIGKILLed while it trains: its trainer
//                                          must exit within a few seconds;
//                                       5. a second code-server WITH workspace trust: the in-host
//                                          suite for an untrusted workspace (restricted mode).
//   node test/vscode/run.mjs --vsix     also: `npm run package`, install den-lab.vsix into code-server,
//                                       check what it holds (no node_modules) and run the UI flow
//                                       again against the installed copy.
//   --in-host-only                      only 1 and 5 (the in-host suites), e.g. on an older VS Code
//   node test/vscode/run.mjs --slurm    only the in-host suite slurm.test.ts, on the Slurm cluster
//                                       of test/slurm/run.sh (which runs this; needs its SLURM_CONF)
//   node test/vscode/run.mjs --screenshots
//                                       only the README's screenshots of the extension, from a real
//                                       run of a few one-vs-rest tasks trained here (about 5–10 min;
//                                       npm run screenshots:vscode): media/vscode-runs-tree.png,
//                                       media/dashboard.png, media/dashboard-drift.png, media/vscode-units.png
//   --keep                              keep the temporary folder (profile, workspaces, server log)
//   --only <flow,…>                     only these of 2–5: ui, dashboard, sweep, title, kill-host, untrusted
//   --grep <regexp>                     only the in-host tests whose titles match (with --in-host-only:
//                                       while working on a few tests; later tests may need earlier ones)
//   CODE_SERVER_VERSION=4.90.3 node test/vscode/run.mjs --in-host-only
//                                       the same on code-server 4.90.3 (VS Code 1.90.2, the oldest that
//                                       engines.vscode allows), installed into
//                                       .vscode-test/code-server-4.90.3 by scripts/install-code-server.sh
//
// Screenshots and the server log go to test-artifacts/ (git-ignored). Exits non-zero on any
// failure; the last line is "N passed, N failed".
import { execFileSync, spawn } from 'child_process';
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { format } from 'util';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const args = process.argv.slice(2);
const flags = new Set(args);
// --grep <regexp>: only the in-host tests whose titles match (while working on a few; not for CI)
const GREP = flags.has('--grep') ? args[args.indexOf('--grep') + 1] : undefined;
// --only <flow,…>: after the in-host suite, only these browser flows (ui, dashboard, sweep, title, kill-host, untrusted)
const ONLY = flags.has('--only') ? args[args.indexOf('--only') + 1].split(',') : undefined;
const VSIX = flags.has('--vsix');
const KEEP = flags.has('--keep');
const IN_HOST_ONLY = flags.has('--in-host-only');
const SLURM = flags.has('--slurm');
const SCREENSHOTS = flags.has('--screenshots');
if (SLURM && !process.env.SLURM_CONF) {
  console.error('--slurm: no SLURM_CONF; run it through npm run test:slurm, which starts the cluster');
  process.exit(2);
}
// the folder scripts/install-code-server.sh installs CODE_SERVER_VERSION into (default 4.100.3)
const CS_VERSION = process.env.CODE_SERVER_VERSION ?? '4.100.3';
const CS_DIR = process.env.CODE_SERVER_DIR ?? path.join(root, CS_VERSION === '4.100.3' ? '.vscode-test/code-server' : `.vscode-test/code-server-${CS_VERSION}`);
const CODE_SERVER = path.join(CS_DIR, 'node_modules/.bin/code-server');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(root, 'test-artifacts');
const IN_HOST_TIMEOUT_MS = 15 * 60_000;

const t0 = Date.now();
const say = (msg) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}`);
let passed = 0;
let failed = 0;

for (const [what, file] of [['code-server (run scripts/install-code-server.sh)', CODE_SERVER], ['Chromium (apt-get install chromium)', CHROMIUM], ['the build (npm run build)', path.join(root, 'dist/extension.js')]]) {
  if (!fs.existsSync(file)) {
    console.error(`missing ${what}: ${file}`);
    process.exit(2);
  }
}
fs.mkdirSync(ARTIFACTS, { recursive: true });
// this runner's artifacts from an earlier run (other test suites may share the folder; --slurm keeps them)
if (!SLURM) for (const f of fs.readdirSync(ARTIFACTS).filter((f) => /^(vscode-.*\.png|code-server.*\.log)$/.test(f))) fs.rmSync(path.join(ARTIFACTS, f));

// --- a throw-away profile and workspaces ---
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'den-lab-vscode-'));
const dirs = { ud: path.join(tmp, 'user-data'), udTrust: path.join(tmp, 'user-data-trust'), ext: path.join(tmp, 'extensions'), tests: path.join(tmp, 'tests') };
/** A user-data folder; `trust`: workspace trust on, new folders open in restricted mode without asking. */
function writeProfile(dir, trust) {
  fs.mkdirSync(path.join(dir, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'User', 'settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'security.workspace.trust.enabled': trust,
      'security.workspace.trust.startupPrompt': 'never',
    }),
  );
}
writeProfile(dirs.ud, false);
writeProfile(dirs.udTrust, true);
fs.cpSync(path.join(root, 'test/vscode/workspace'), dirs.tests, { recursive: true });
/** A fresh copy of examples/ (one per UI flow), with the media/ its "$schema" points to. */
function exampleWorkspace(name) {
  const dir = path.join(tmp, name, 'examples');
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.den.json'))) fs.copyFileSync(path.join(root, 'examples', f), path.join(dir, f));
  fs.mkdirSync(path.join(tmp, name, 'media'));
  fs.copyFileSync(path.join(root, 'media/experiment.schema.json'), path.join(tmp, name, 'media', 'experiment.schema.json'));
  return dir;
}
fs.writeFileSync(path.join(tmp, 'config.yaml'), 'auth: none\ncert: false\n');
// code-server keeps its own state in XDG folders; keep them out of ~/.config and ~/.local
const env = { ...process.env, XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'), XDG_DATA_HOME: path.join(tmp, 'xdg-data'), ...(GREP ? { DEN_LAB_TEST_GREP: GREP } : {}) };
const profile = ['--config', path.join(tmp, 'config.yaml'), '--user-data-dir', dirs.ud, '--extensions-dir', dirs.ext];
const trustProfile = ['--config', path.join(tmp, 'config.yaml'), '--user-data-dir', dirs.udTrust, '--extensions-dir', dirs.ext];

function buildSuite() {
  const out = path.join(root, 'out/vscode-test');
  fs.rmSync(out, { recursive: true, force: true });
  esbuild.buildSync({
    entryPoints: ['index.ts', 'extension.test.ts', 'untrusted.test.ts', 'killHost.test.ts', 'slurm.test.ts'].map((f) => path.join(root, 'test/vscode/suite', f)),
    outdir: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    logLevel: 'warning',
    external: ['vscode', 'mocha', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
    alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
  });
  return path.join(out, 'index'); // extensionTestsPath: without .js
}

/** Packages the extension and installs it into the test profile; checks what the installed copy holds. */
function installVsix() {
  const vsix = path.join(root, 'den-lab.vsix');
  fs.rmSync(vsix, { force: true });
  execFileSync('npm', ['run', 'package', '--silent'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  say(`npm run package: den-lab.vsix, ${(fs.statSync(vsix).size / 1e6).toFixed(2)} MB`);
  execFileSync(CODE_SERVER, [...profile, '--install-extension', vsix], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const installed = fs.readdirSync(dirs.ext).find((d) => d.startsWith('den-lab.den-lab-'));
  if (!installed) throw new Error(`the vsix did not install into ${dirs.ext}`);
  const dir = path.join(dirs.ext, installed);
  // vsce renames README.marketplace.md (package.json's vsce.readmePath), CHANGELOG.md and LICENSE
  const must = ['dist/extension.js', 'dist/trainer.js', 'dist/wasm/tfjs-backend-wasm-simd.wasm', 'dist/data/mnist-images.idx3-ubyte.gz', 'media/experiment.schema.json', 'package.json', 'readme.md', 'changelog.md', 'LICENSE.txt'];
  const missing = must.filter((f) => !fs.existsSync(path.join(dir, f)));
  // dist/cli.js: the extension runs the CLI from dist/trainer.js; the screenshots are the readme's, linked on GitHub
  const extra = ['node_modules', 'src', 'test', 'scripts', 'dist/cli.js', 'media/dashboard.png'].filter((f) => fs.existsSync(path.join(dir, f)));
  if (missing.length || extra.length) throw new Error(`installed extension ${installed}: missing [${missing.join(', ')}], unexpected [${extra.join(', ')}]`);
  // the Marketplace shows the readme outside the repository: every link and image must be absolute
  const links = [...fs.readFileSync(path.join(dir, 'readme.md'), 'utf8').matchAll(/\]\(([^)\s]+)/g)].map((m) => m[1]);
  const relative = links.filter((l) => !/^https:\/\//.test(l));
  if (!links.length || relative.length) throw new Error(`readme.md of the .vsix: links that work only inside the repository: [${relative.join(', ')}]`);
  say(`installed ${installed} (no node_modules: the trainer runs from the bundles and the packed digits)`);
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

/**
 * Starts code-server in its own session (setsid), so that one signal ends it and everything it
 * started. `trust`: with workspace trust (a folder opens in restricted mode), else without it.
 */
async function startServer(port, { trust = false } = {}) {
  const log = fs.openSync(path.join(tmp, trust ? 'code-server-trust.log' : 'code-server.log'), 'w');
  const child = spawn(
    CODE_SERVER,
    [...(trust ? trustProfile : profile), '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check', ...(trust ? [] : ['--disable-workspace-trust']), '--disable-getting-started-override'],
    { env, detached: true, stdio: ['ignore', log, log] },
  );
  const origin = `http://127.0.0.1:${port}`;
  const end = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited with code ${child.exitCode}; see ${path.join(tmp, 'code-server.log')}`);
    try {
      if ((await fetch(`${origin}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error('code-server did not answer /healthz within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, origin };
}

/** Ends the server's whole process group: the server, its extension hosts, their trainers, file watchers. */
async function stopServer(child) {
  const group = -child.pid;
  const alive = () => {
    try {
      process.kill(group, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(group, 'SIGTERM');
  for (let i = 0; i < 30 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive()) process.kill(group, 'SIGKILL');
}

function workbenchUrl(origin, folder, payload) {
  const q = `?folder=${encodeURIComponent(folder)}`;
  return `${origin}/${q}${payload.length ? `&payload=${encodeURIComponent(JSON.stringify(payload))}` : ''}`;
}

/** 1. A mocha suite inside the extension host (index.ts picks it by the folder's name); its result comes back through the automation hooks. */
async function inHostTests(browser, origin, testsPath, folder = dirs.tests) {
  const host = new URL(origin).host; // the remote authority is the page's host:port
  const payload = [
    ['extensionDevelopmentPath', `vscode-remote://${host}${root}`],
    ['extensionTestsPath', `vscode-remote://${host}${testsPath}`],
  ];
  const context = await browser.newContext({ viewport: { width: 1400, height: 850 } });
  const page = await context.newPage();
  let counts = null;
  let exit;
  const exited = new Promise((r) => (exit = r));
  // the hooks VS Code's own browser integration tests use: extension-host console, then the exit code
  await page.exposeFunction('codeAutomationLog', (_type, args) => {
    const line = format(...args); // console.log's own arguments: a format string, then values
    const m = /in-host results: (\d+) passed, (\d+) failed/.exec(line);
    if (m) counts = { passed: Number(m[1]), failed: Number(m[2]) };
    else console.log(`  │ ${line.replace(/\n/g, '\n  │ ')}`);
  });
  await page.exposeFunction('codeAutomationExit', (code) => exit(code));
  await page.goto(workbenchUrl(origin, folder, payload), { timeout: 120_000 }); // a busy machine loads the workbench slowly
  let timer;
  const code = await Promise.race([exited, new Promise((r) => (timer = setTimeout(() => r('timeout'), IN_HOST_TIMEOUT_MS)))]);
  clearTimeout(timer);
  if (code !== 0) await page.screenshot({ path: path.join(ARTIFACTS, 'vscode-in-host-failure.png') }).catch(() => {});
  await context.close();
  say(`in-host tests (${path.basename(folder)}): exit code ${code}${counts ? `, ${counts.passed} passed, ${counts.failed} failed` : ''}`);
  if (counts) {
    passed += counts.passed;
    failed += counts.failed;
  }
  if (code !== 0 && !counts?.failed) failed += 1; // a crash or timeout before mocha reported
}

/** Drags the side bar's right edge to `width` pixels. */
async function widenSideBar(page, width) {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box) return;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width + 1, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 5 });
  await page.mouse.up();
  await page.mouse.move(box.x + width + 300, y); // off the sash, which is highlighted while hovered
  await page.waitForTimeout(500);
}

/** 2. The UI flow on a copy of examples/: palette → Train Next Task → Runs tree rows → screenshot. */
async function uiFlow(browser, origin, installed, shotName) {
  const host = new URL(origin).host;
  const payload = installed ? [] : [['extensionDevelopmentPath', `vscode-remote://${host}${root}`]];
  const folder = exampleWorkspace(installed ? 'example-vsix' : 'example');
  say(`UI flow, ${installed ? 'the installed .vsix' : 'the extension from this folder'}:`);
  const context = await browser.newContext({ viewport: { width: 1400, height: 850 } });
  const page = await context.newPage();
  const step = async (what, fn) => {
    const t = Date.now();
    await fn();
    say(`  ui: ${what} (${((Date.now() - t) / 1000).toFixed(1)}s)`);
  };
  try {
    await step('workbench loaded', () => page.goto(workbenchUrl(origin, folder, payload)).then(() => page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 60_000 })));
    const devHost = (await page.title()).includes('[Extension Development Host]');
    if (devHost === installed) throw new Error(`the window title "${await page.title()}" is wrong for ${installed ? 'the installed extension' : 'a development copy'}`);
    const view = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Runs' }) });
    await step('DEN Lab view opened, its welcome shown', async () => {
      await page.locator('.activitybar .action-item a[aria-label^="DEN Lab"]').click({ timeout: 60_000 });
      await view.getByText('No runs yet. Train the first task').waitFor({ timeout: 60_000 });
    });
    await step('palette: DEN Lab: Train Next Task, experiment picked', async () => {
      await page.keyboard.press('F1');
      await page.locator('.quick-input-widget input').fill('>DEN Lab: Train Next Task');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'DEN Lab: Train Next Task' }).first().waitFor();
      await page.keyboard.press('Enter');
      // two experiment files in the folder: the command asks which one
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'permuted-mnist.den.json' }).click({ timeout: 30_000 });
      await page.locator('.notification-toast', { hasText: 'train task 1 of a new permuted-mnist.den.json run' }).waitFor({ timeout: 30_000 });
    });
    await step('the progress notification moves within task 1 (its bar and its message)', async () => {
      const toast = page.locator('.notification-toast', { hasText: 'train task 1 of a new permuted-mnist.den.json run' });
      const seen = new Set();
      const end = Date.now() + 120_000;
      while (Date.now() < end) {
        const state = await toast
          .evaluate((t) => `${t.querySelector('.progress-bit')?.style.width ?? ''} ${t.querySelector('.notification-list-item-message')?.textContent ?? ''}`)
          .catch(() => null);
        if (state === null) break; // the toast is gone: the task ended
        if (/^\d[\d.]*% .*task 1 of 10/.test(state)) seen.add(state.split(' ')[0]);
        if (seen.size >= 2) return;
        await page.waitForTimeout(250);
      }
      throw new Error(`the notification's bar showed ${[...seen].join(', ') || 'no width'} during task 1`);
    });
    const row = (text) => view.locator('.monaco-list-row', { hasText: text });
    const runRow = row(/permuted-mnist · \d{8}-\d{6}/);
    await step('run row appeared while task 1 trains, with its live row', async () => {
      await row(/permuted-mnist · \d{8}-\d{6}.*training…/).waitFor({ timeout: 60_000 });
      const text = await row(/permuted-mnist · \d{8}-\d{6}/).first().textContent();
      if (/\?|ACC —/.test(text)) throw new Error(`the starting run row shows placeholders: ${text}`);
      await runRow.click();
      await row(/1 · permuted-1\s*training: task 1 of 10/).waitFor({ timeout: 30_000 });
    });
    await step('task 1 trained: run row says 1/10 tasks', () => row(/permuted-mnist · \d{8}-\d{6}.*den · \w+ · ACC [\d.]+ · 1\/10 tasks(?!.*training)/).waitFor({ timeout: 300_000 }));
    await step('task row and layer rows', async () => {
      await row(/1 · permuted-1\s*acc 0\.\d{4}/).click({ timeout: 30_000 });
      // nothing changed in task 1: the layer rows say their units and nothing else
      await row(/layer 1\s*312 units$/).waitFor({ timeout: 30_000 });
      await row(/layer 2\s*128 units$/).waitFor({ timeout: 30_000 });
    });
    await step('experiment file open with its CodeLens', async () => {
      await page.keyboard.press('Control+P');
      await page.locator('.quick-input-widget input').fill('permuted-mnist.den.json');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'permuted-mnist.den.json' }).first().waitFor();
      await page.keyboard.press('Enter');
      await page.locator('.codelens-decoration', { hasText: 'Train next task (2 of 10)' }).waitFor({ timeout: 30_000 });
    });
    await page.locator('.notification-toast').first().waitFor({ state: 'detached', timeout: 15_000 }).catch(() => {});
    await widenSideBar(page, 540).catch(() => {}); // cosmetic: the tree rows' descriptions in full
    await page.screenshot({ path: path.join(ARTIFACTS, shotName) });
    say(`  ui: screenshot ${path.relative(root, path.join(ARTIFACTS, shotName))}`);
    passed += 1;
  } catch (err) {
    failed += 1;
    console.error(`UI flow failed: ${err.stack ?? err}`);
    await page.screenshot({ path: path.join(ARTIFACTS, shotName.replace(/\.png$/, '-failure.png')) }).catch(() => {});
  } finally {
    await context.close();
  }
}

/** What the dashboard's loss chart shows, read from its canvas's data attributes. */
async function lossChartState(web) {
  const canvas = web.locator('canvas#loss-chart');
  const get = async (name) => canvas.getAttribute(`data-${name}`);
  return { task: await get('task'), points: Number(await get('points')), markers: Number(await get('markers')), kinds: await get('marker-kinds') };
}

/**
 * 3. The dashboard in the real VS Code: train two tasks, open the dashboard, check the loss chart's
 * points and its expansion/split markers, reload the window, and check the restored panel shows
 * the same; then the Units tab on the run's checkpoint (a screenshot for the README).
 */
async function dashboardFlow(browser, origin) {
  const host = new URL(origin).host;
  const folder = path.join(tmp, 'dashboard');
  fs.cpSync(path.join(root, 'test/vscode/dashboard-workspace'), folder, { recursive: true });
  say('dashboard flow:');
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const step = async (what, fn) => {
    const t = Date.now();
    const result = await fn();
    say(`  dashboard: ${what} (${((Date.now() - t) / 1000).toFixed(1)}s)`);
    return result;
  };
  const palette = async (title) => {
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').fill(`>${title}`);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
    await page.keyboard.press('Enter');
  };
  const web = page.frameLocator('iframe.webview.ready[src*="extensionId=den-lab.den-lab"]').frameLocator('#active-frame');
  try {
    await step('workbench loaded', () =>
      page.goto(workbenchUrl(origin, folder, [['extensionDevelopmentPath', `vscode-remote://${host}${root}`]])).then(() => page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 60_000 })),
    );
    const view = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Runs' }) });
    await page.locator('.activitybar .action-item a[aria-label^="DEN Lab"]').click({ timeout: 60_000 });
    await step('palette: DEN Lab: Train Remaining Tasks, two tasks trained', async () => {
      await view.getByText('No runs yet').waitFor({ timeout: 60_000 });
      await palette('DEN Lab: Train Remaining Tasks');
      await view.locator('.monaco-list-row', { hasText: /dash · \d{8}-\d{6}.*2\/2 tasks(?!.*training)/ }).waitFor({ timeout: 300_000 });
    });
    const before = await step('palette: DEN Lab: Open Dashboard, loss chart of task 2 with its markers', async () => {
      await palette('DEN Lab: Open Dashboard');
      await web.locator('canvas#loss-chart[data-task="2"][data-points]').waitFor({ timeout: 60_000 });
      const state = await lossChartState(web);
      if (!(state.points > 10)) throw new Error(`the loss chart has ${state.points} points`);
      for (const kind of ['tau', 'expansion', 'split']) {
        if (!state.kinds?.split(',').includes(kind)) throw new Error(`no ${kind} marker on the loss chart (markers: ${state.kinds})`);
      }
      return state;
    });
    await page.locator('.notification-toast').first().waitFor({ state: 'detached', timeout: 15_000 }).catch(() => {});
    await page.screenshot({ path: path.join(ARTIFACTS, 'vscode-dashboard.png') });
    say(`  dashboard: screenshot test-artifacts/vscode-dashboard.png (${before.points} loss points, markers ${before.kinds})`);
    await step('window reloaded: the panel comes back with the same data', async () => {
      // as a user does: the command flushes the workbench state (open editors) before reloading
      const reloaded = page.waitForEvent('load', { timeout: 60_000 });
      await palette('Developer: Reload Window');
      await reloaded;
      await page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 60_000 });
      await web.locator('canvas#loss-chart[data-task="2"][data-points]').waitFor({ timeout: 60_000 });
      const after = await lossChartState(web);
      if (JSON.stringify(after) !== JSON.stringify(before)) throw new Error(`after the reload the loss chart shows ${JSON.stringify(after)}, before ${JSON.stringify(before)}`);
      // the Task picker and the chart's title name the task the chart shows
      await web.locator('#task-picker .select-face .text', { hasText: 'Latest (task 2)' }).waitFor({ timeout: 30_000 });
      await web.locator('#loss-title', { hasText: 'Loss over steps · task 2' }).waitFor({ timeout: 30_000 });
    });
    await page.screenshot({ path: path.join(ARTIFACTS, 'vscode-dashboard-reloaded.png') });
    await step('Units tab: a tile per unit of layer 1 from the checkpoint, split copies beside their originals, in task pixel order', async () => {
      const runDir = fs.readdirSync(path.join(folder, 'runs')).map((d) => path.join(folder, 'runs', d)).find((d) => fs.existsSync(path.join(d, 'summary.json')));
      const summary = JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8'));
      const last = summary.tasks[summary.tasks.length - 1];
      await web.locator('vscode-tab-header[data-tab="units"]').click();
      const canvas = web.locator(`canvas#units-chart[data-mode="image"][data-task="${last.index}"]`);
      await canvas.waitFor({ state: 'attached', timeout: 60_000 });
      const tiles = Number(await canvas.getAttribute('data-tiles'));
      if (tiles !== last.units[0]) throw new Error(`the Units tab drew ${tiles} tiles; layer 1 has ${last.units[0]} units after task ${last.index}`);
      const pairs = (await canvas.getAttribute('data-pairs')).split(' ').filter(Boolean).length;
      if (pairs !== last.split[0]) throw new Error(`the Units tab shows ${pairs} split pairs; task ${last.index} split ${last.split[0]} units of layer 1`);
      await web.locator('#units-section vscode-checkbox[data-action="unpermute"]').click();
      await web.locator('canvas#units-chart[data-unpermuted="yes"]').waitFor({ state: 'attached', timeout: 10_000 });
    });
    await page.screenshot({ path: path.join(ARTIFACTS, 'vscode-units.png') });
    say('  dashboard: screenshot test-artifacts/vscode-units.png');
    passed += 1;
  } catch (err) {
    failed += 1;
    console.error(`dashboard flow failed: ${err.stack ?? err}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'vscode-dashboard-failure.png') }).catch(() => {});
  } finally {
    await context.close();
  }
}

/**
 * 3b. A sweep from the palette in the real VS Code: "DEN Lab: Sweep Thresholds…" on the tiny experiment,
 * answered through the real quick picks (from scratch, both tasks; τ = 0.01 × k ∈ {2, 6, 12}: task 2
 * expands, so k matters), the Sweep tab's three points, a point chosen, a screenshot, then "Adopt
 * these values" into the experiment file.
 */
async function sweepFlow(browser, origin) {
  const host = new URL(origin).host;
  const folder = path.join(tmp, 'sweep');
  fs.mkdirSync(folder);
  fs.copyFileSync(path.join(root, 'test/vscode/workspace/tiny.den.json'), path.join(folder, 'tiny.den.json'));
  say('sweep flow:');
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const step = async (what, fn) => {
    const t = Date.now();
    const result = await fn();
    say(`  sweep: ${what} (${((Date.now() - t) / 1000).toFixed(1)}s)`);
    return result;
  };
  const input = page.locator('.quick-input-widget input');
  const row = (text) => page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
  const web = page.frameLocator('iframe.webview.ready[src*="extensionId=den-lab.den-lab"]').frameLocator('#active-frame');
  try {
    await step('workbench loaded', () =>
      page.goto(workbenchUrl(origin, folder, [['extensionDevelopmentPath', `vscode-remote://${host}${root}`]])).then(() => page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 60_000 })),
    );
    await page.locator('.activitybar .action-item a[aria-label^="DEN Lab"]').click({ timeout: 60_000 });
    await step('palette: DEN Lab: Sweep Thresholds…, answered through its quick picks', async () => {
      // once in CI (a clean clone, right after the dashboard flow) the palette listed only "similar
      // commands" for this query, and the same run passed in every other; a command that is really
      // missing (e.g. a stuck denLab.sweeping) fails all three tries
      for (let attempt = 1; ; attempt++) {
        await page.keyboard.press('F1');
        await input.fill('>DEN Lab: Sweep Thresholds');
        if (await row('DEN Lab: Sweep Thresholds…').waitFor({ timeout: 10_000 }).then(() => true, () => false)) break;
        if (attempt === 3) throw new Error('the palette does not offer "DEN Lab: Sweep Thresholds…" (three tries)');
        say(`  sweep: the palette did not list the command (try ${attempt}); again`);
        await page.keyboard.press('Escape');
        await page.waitForTimeout(3_000);
      }
      await page.keyboard.press('Enter');
      await row('From scratch: every task').click({ timeout: 30_000 });
      await row('den.tau').waitFor({ timeout: 30_000 }); // τ and k are checked already
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget', { hasText: 'values of den.tau' }).waitFor({ timeout: 30_000 });
      await input.fill('0.01');
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget', { hasText: 'values of den.k' }).waitFor({ timeout: 30_000 });
      await input.fill('2, 6, 12');
      await page.keyboard.press('Enter');
      // where sbatch is on the PATH, the command asks where to run
      const local = row('This machine');
      if (await local.waitFor({ timeout: 5_000 }).then(() => true, () => false)) await local.click();
      await page.locator('.notification-toast', { hasText: 'sweep of tiny.den.json (3 points)' }).waitFor({ timeout: 60_000 });
    });
    await step('the Sweep tab shows the three points as they finish', () => web.locator('canvas#sweep-chart[data-points="3"][data-done="3"]').waitFor({ timeout: 240_000 }));
    await step('the Runs tree: the sweep and its points', async () => {
      const view = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Runs' }) });
      const sweepRow = view.locator('.monaco-list-row', { hasText: /tiny · den\.tau × den\.k · 3 points\s*3\/3 done · finished/ });
      await sweepRow.waitFor({ timeout: 30_000 });
      await sweepRow.locator('.monaco-tl-twistie').click();
      await view.locator('.monaco-list-row', { hasText: /02-tau0\.01-k6\s*done · ACC \(validation\) 0\.\d{4}/ }).waitFor({ timeout: 30_000 });
    });
    await step('a point chosen in the Sweep tab', async () => {
      await web.locator('#sweep-point').click();
      await web.locator('#sweep-point li[role=option]', { hasText: 'k6' }).first().click();
      await web.locator('canvas#sweep-chart[data-selected*="k6"]').waitFor({ timeout: 30_000 });
    });
    await page.locator('.notification-toast').first().waitFor({ state: 'detached', timeout: 20_000 }).catch(() => {});
    await widenSideBar(page, 460).catch(() => {}); // cosmetic: the tree rows' descriptions in full
    await web.locator('body').evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(ARTIFACTS, 'vscode-sweep.png') });
    say('  sweep: screenshot test-artifacts/vscode-sweep.png');
    await step('"Adopt these values": the experiment file gets k = 6', async () => {
      await web.locator('vscode-button[data-action="adopt"]').click();
      await page.locator('.notification-toast', { hasText: /tiny\.den\.json now has den\.tau = 0\.01, den\.k = 6/ }).waitFor({ timeout: 30_000 });
    });
    passed += 1;
  } catch (err) {
    failed += 1;
    console.error(`sweep flow failed: ${err.stack ?? err}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'vscode-sweep-failure.png') }).catch(() => {});
  } finally {
    await context.close();
  }
}

/**
 * 3c. The Runs view's title buttons follow their `when` clauses, and the dashboard tab's icon follows
 * the theme: in a folder with no experiment (and so no runs) Train and Dashboard are hidden; an
 * experiment file written to disk brings both; the Dashboard button opens the panel, whose tab shows
 * media/den-light.svg under a light theme and media/den-dark.svg under a dark one.
 */
async function titleButtonsAndIconFlow(browser, origin) {
  const host = new URL(origin).host;
  const folder = path.join(tmp, 'bare');
  fs.mkdirSync(folder);
  say('title buttons and the dashboard icon:');
  const context = await browser.newContext({ viewport: { width: 1400, height: 850 } });
  const page = await context.newPage();
  const step = async (what, fn) => {
    const t = Date.now();
    await fn();
    say(`  title: ${what} (${((Date.now() - t) / 1000).toFixed(1)}s)`);
  };
  /** Picks a color theme as a user does: palette, "Preferences: Color Theme", its name. */
  const setTheme = async (theme) => {
    await page.locator('.part.sidebar .composite.title .title-label').click(); // the keys to the workbench, not the webview
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').fill('>Preferences: Color Theme');
    await page.locator('.quick-input-list .monaco-list-row[aria-label^="Preferences: Color Theme"]').first().click();
    await page.locator('.quick-input-widget input[placeholder*="Color Theme"]').waitFor({ timeout: 30_000 });
    await page.locator('.quick-input-widget input').fill(theme);
    await page.locator(`.quick-input-list .monaco-list-row[aria-label^="${theme}"]`).first().click();
  };
  const titleButton = (name) => page.locator(`.part.sidebar .title-actions a.action-label[aria-label^="${name}"]`);
  /** The background image of the dashboard tab's icon, as the workbench's theme rule resolves it. */
  const tabIcon = () =>
    page.locator('.tab', { hasText: 'DEN Dashboard' }).evaluate((tab) => {
      const label = [tab, ...tab.querySelectorAll('*')].find((el) => /webview-.*-name-file-icon/.test(el.className));
      return label ? window.getComputedStyle(label, '::before').backgroundImage : 'no icon label';
    });
  const iconIs = async (file) => {
    const end = Date.now() + 30_000;
    let seen;
    while (Date.now() < end) {
      seen = await tabIcon();
      if (decodeURIComponent(seen).includes(`/media/${file}`)) return;
      await page.waitForTimeout(250);
    }
    throw new Error(`the dashboard tab's icon is ${seen}, expected media/${file}`);
  };
  try {
    await step('workbench loaded in a folder with no experiment', () =>
      page.goto(workbenchUrl(origin, folder, [['extensionDevelopmentPath', `vscode-remote://${host}${root}`]])).then(() => page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 60_000 })),
    );
    await step('no experiment, no runs: Refresh shown, Train and Dashboard hidden', async () => {
      await page.locator('.activitybar .action-item a[aria-label^="DEN Lab"]').click({ timeout: 60_000 });
      await page.locator('.pane-body', { hasText: 'No DEN Lab experiment in this workspace yet' }).waitFor({ timeout: 60_000 });
      await titleButton('Refresh Runs').waitFor({ timeout: 30_000 });
      const shown = { train: await titleButton('Train Next Task').count(), dashboard: await titleButton('Open Dashboard').count() };
      if (shown.train || shown.dashboard) throw new Error(`with no experiment the title shows ${JSON.stringify(shown)}`);
    });
    await step('an experiment file appears: Train and Dashboard shown', async () => {
      fs.copyFileSync(path.join(root, 'test/vscode/workspace/tiny.den.json'), path.join(folder, 'tiny.den.json'));
      await titleButton('Train Next Task').waitFor({ timeout: 60_000 });
      await titleButton('Open Dashboard').waitFor({ timeout: 10_000 });
    });
    await step('the Dashboard button opens the panel; its tab icon is den-light.svg under a light theme', async () => {
      await titleButton('Open Dashboard').click();
      await page.locator('.tab', { hasText: 'DEN Dashboard' }).waitFor({ timeout: 30_000 });
      await setTheme('Light Modern');
      await page.locator('.monaco-workbench.vs:not(.vs-dark)').waitFor({ timeout: 30_000 });
      await iconIs('den-light.svg');
    });
    await step('a dark theme: the tab icon is den-dark.svg', async () => {
      await setTheme('Dark Modern');
      await page.locator('.monaco-workbench.vs-dark').waitFor({ timeout: 30_000 });
      await iconIs('den-dark.svg');
    });
    passed += 1;
  } catch (err) {
    failed += 1;
    console.error(`title buttons and icon flow failed: ${err.stack ?? err}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'vscode-title-failure.png') }).catch(() => {});
  } finally {
    await setTheme('Light Modern').catch(() => {}); // the profile's theme for the flows after this one
    await context.close();
  }
}

/**
 * --screenshots: the README's pictures of the extension, from a real run in this VS Code. A few
 * tasks of examples/one-vs-rest-mnist.den.json with its default thresholds (the classes of
 * SCREENSHOT_CLASSES only), trained from the palette; the run's summary must show the mechanisms
 * acting (an expansion with pruning, a split, a τ test that skipped expansion), or nothing is
 * written. Writes media/vscode-runs-tree.png, media/dashboard.png, media/dashboard-drift.png and
 * media/vscode-units.png.
 */
// the first seven tasks of the example: in its committed bench (seed 1) task 7's τ test skipped expansion
const SCREENSHOT_CLASSES = [0, 1, 2, 3, 4, 5, 6];
async function screenshotFlow(browser, origin) {
  const host = new URL(origin).host;
  const folder = path.join(tmp, 'screenshots', 'examples');
  fs.mkdirSync(path.join(tmp, 'screenshots', 'media'), { recursive: true });
  fs.mkdirSync(folder);
  fs.copyFileSync(path.join(root, 'media/experiment.schema.json'), path.join(tmp, 'screenshots', 'media', 'experiment.schema.json'));
  const example = fs.readFileSync(path.join(root, 'examples/one-vs-rest-mnist.den.json'), 'utf8');
  const tasks = '"tasks": { "type": "one-vs-rest" }';
  if (!example.includes(tasks)) throw new Error(`examples/one-vs-rest-mnist.den.json no longer says ${tasks}: update the screenshot flow`);
  const file = path.join(folder, 'one-vs-rest-mnist.den.json');
  fs.writeFileSync(file, example.replace(tasks, `"tasks": { "type": "one-vs-rest", "classes": [${SCREENSHOT_CLASSES.join(', ')}] }`));
  say(`screenshots: ${SCREENSHOT_CLASSES.length} tasks of one-vs-rest-mnist (classes ${SCREENSHOT_CLASSES.join(', ')}), trained from the palette`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const web = page.frameLocator('iframe.webview.ready[src*="extensionId=den-lab.den-lab"]').frameLocator('#active-frame');
  const view = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Runs' }) });
  const row = (text) => view.locator('.monaco-list-row', { hasText: text }).first();
  const palette = async (title) => {
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').fill(`>${title}`);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
    await page.keyboard.press('Enter');
  };
  const shot = async (name) => {
    await page.locator('.notification-toast').first().waitFor({ state: 'detached', timeout: 20_000 }).catch(() => {});
    await page.mouse.move(700, 790); // on the status bar's empty middle: no hover highlight or tooltip
    await page.waitForTimeout(800);
    await page.screenshot({ path: path.join(root, 'media', name) });
    say(`  screenshots: media/${name} (${(fs.statSync(path.join(root, 'media', name)).size / 1024).toFixed(0)} KB)`);
  };
  try {
    await page.goto(workbenchUrl(origin, path.dirname(folder), [['extensionDevelopmentPath', `vscode-remote://${host}${root}`]]));
    await page.locator('.activitybar .action-item a[aria-label^="DEN Lab"]').click({ timeout: 60_000 });
    await view.getByText('No runs yet').waitFor({ timeout: 60_000 });
    const t = Date.now();
    await palette('DEN Lab: Train Remaining Tasks');
    const n = SCREENSHOT_CLASSES.length;
    await row(new RegExp(`one-vs-rest-mnist · \\d{8}-\\d{6}.*${n}/${n} tasks(?!.*training)`)).waitFor({ timeout: 40 * 60_000 });
    say(`  screenshots: ${n} tasks trained (${((Date.now() - t) / 1000).toFixed(0)} s)`);
    const runs = path.join(path.dirname(folder), 'examples', 'runs');
    const summary = JSON.parse(fs.readFileSync(path.join(runs, fs.readdirSync(runs)[0], 'summary.json'), 'utf8'));
    const sum = (a) => a.reduce((x, y) => x + y, 0);
    const grown = summary.tasks.find((s) => s.expanded && sum(s.pruned) > 0 && sum(s.split) > 0);
    const skipped = summary.tasks.find((s) => s.index > 1 && !s.expanded);
    for (const s of summary.tasks) say(`  task ${s.index}: τ statistic ${s.tauStatistic?.toFixed(3) ?? '—'}, ${s.expanded ? 'expanded' : 'no expansion'}, pruned [${s.pruned}], split [${s.split}], units [${s.units}]`);
    if (!grown || !skipped) throw new Error(`the run shows no ${grown ? '' : 'task that expanded, pruned and split'}${!grown && !skipped ? ' and no ' : ''}${skipped ? '' : 'task whose τ test skipped expansion'}: change SCREENSHOT_CLASSES`);

    // the Runs tree: the task that grew, its first layer's change and the units by the task that made them
    await widenSideBar(page, 560).catch(() => {});
    await row(/one-vs-rest-mnist · \d{8}-\d{6}/).click();
    await row(new RegExp(`^${grown.index} · `)).click({ timeout: 30_000 });
    await row(/layer 1\s*\d+ units · \+/).click({ timeout: 30_000 });
    await row(/born in task/).waitFor({ timeout: 30_000 });
    await row(new RegExp(`^${skipped.index} · `)).click({ timeout: 30_000 });
    await row(/τ test.*no expansion/).waitFor({ timeout: 30_000 });
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('one-vs-rest-mnist.den.json');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'one-vs-rest-mnist.den.json' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.codelens-decoration', { hasText: 'Train next task' }).waitFor({ timeout: 30_000 }).catch(() => {});
    await shot('vscode-runs-tree.png');

    // the dashboard on that task, alone in the editor area beside a narrow tree: its loss by stage
    // with the τ, expansion and split markers; then its drift against σ; then its units
    await palette('View: Close All Editors');
    await widenSideBar(page, 330).catch(() => {});
    await palette('DEN Lab: Open Dashboard');
    await web.locator('canvas#loss-chart[data-points]').waitFor({ timeout: 60_000 });
    await web.locator('#task-picker').click();
    await web.locator('#task-picker li[role=option]', { hasText: `task ${grown.index} ·` }).click();
    await web.locator(`canvas#loss-chart[data-task="${grown.index}"][data-marker-kinds*="split"]`).waitFor({ timeout: 30_000 });
    await shot('dashboard.png');
    await web.locator('vscode-tab-header[data-tab="drift"]').click();
    await web.locator(`canvas#drift-chart[data-task="${grown.index}"]`).waitFor({ timeout: 30_000 });
    await shot('dashboard-drift.png');
    await web.locator('vscode-tab-header[data-tab="units"]').click();
    await web.locator(`canvas#units-chart[data-mode="image"][data-task="${grown.index}"]`).waitFor({ state: 'attached', timeout: 60_000 });
    await shot('vscode-units.png');
    passed += 1;
  } catch (err) {
    failed += 1;
    console.error(`screenshot flow failed: ${err.stack ?? err}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'vscode-screenshots-failure.png') }).catch(() => {});
  } finally {
    await context.close();
  }
}

const isAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * 4. The extension host SIGKILLed while it trains (a crash of the window): killHost.test.ts starts a
 * training and prints the pids; the trainer must notice that its host is gone and exit.
 */
async function killHostFlow(browser, origin, testsPath) {
  const folder = path.join(tmp, 'kill-host');
  fs.mkdirSync(folder);
  fs.copyFileSync(path.join(root, 'test/vscode/workspace/slow.den.json'), path.join(folder, 'slow.den.json'));
  const host = new URL(origin).host;
  const payload = [
    ['extensionDevelopmentPath', `vscode-remote://${host}${root}`],
    ['extensionTestsPath', `vscode-remote://${host}${testsPath}`],
  ];
  say('extension host killed while training:');
  const context = await browser.newContext({ viewport: { width: 1400, height: 850 } });
  const page = await context.newPage();
  let report;
  const reported = new Promise((r) => (report = r));
  await page.exposeFunction('codeAutomationLog', (_type, args) => {
    const m = /kill-host: host (\d+) trainer (\d+)/.exec(format(...args));
    if (m) report({ host: Number(m[1]), trainer: Number(m[2]) });
  });
  await page.exposeFunction('codeAutomationExit', () => undefined);
  try {
    await page.goto(workbenchUrl(origin, folder, payload));
    let timer;
    const pids = await Promise.race([reported, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the training did not reach task 2 within 180 s')), 180_000)))]);
    clearTimeout(timer);
    if (!isAlive(pids.trainer)) throw new Error(`trainer ${pids.trainer} is not running before the kill`);
    process.kill(pids.host, 'SIGKILL');
    const killed = Date.now();
    while (isAlive(pids.trainer) && Date.now() - killed < 15_000) await new Promise((r) => setTimeout(r, 100));
    const ms = Date.now() - killed;
    if (isAlive(pids.trainer)) throw new Error(`trainer ${pids.trainer} still runs ${ms} ms after its extension host ${pids.host} was killed`);
    const runs = path.join(folder, 'runs');
    const summary = JSON.parse(fs.readFileSync(path.join(runs, fs.readdirSync(runs)[0], 'summary.json'), 'utf8'));
    if (summary.tasks.length !== 1) throw new Error(`the run has ${summary.tasks.length} tasks after the kill, expected 1`);
    say(`  kill-host: extension host ${pids.host} SIGKILLed in task 2; trainer ${pids.trainer} exited ${ms} ms later; the run keeps task 1`);
    passed += 1;
  } catch (err) {
    failed += 1;
    console.error(`kill-host flow failed: ${err.stack ?? err}`);
  } finally {
    await context.close();
  }
}

/** 5. The untrusted workspace: a copy of the trusted suite's workspace (with its runs), and a nodePath in its settings. */
function untrustedWorkspace() {
  const folder = path.join(tmp, 'untrusted');
  fs.cpSync(dirs.tests, folder, { recursive: true });
  fs.mkdirSync(path.join(folder, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(folder, '.vscode', 'settings.json'), JSON.stringify({ 'denLab.nodePath': '/usr/bin/false', 'denLab.nodeModulesPath': '/tmp/evil' }));
  return folder;
}

let server;
let browser;
try {
  const testsPath = SCREENSHOTS ? undefined : buildSuite();
  if (VSIX) installVsix(); // before the server starts; the development copy still wins in its windows
  const port = await freePort();
  server = await startServer(port);
  const vscodeVersion = JSON.parse(fs.readFileSync(path.join(CS_DIR, 'node_modules/code-server/lib/vscode/product.json'), 'utf8')).version;
  say(`code-server ${CS_VERSION} (VS Code ${vscodeVersion}) ${server.origin} (pid ${server.child.pid}); profile in ${tmp}`);
  // Playwright makes its own temporary browser profile
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  if (SCREENSHOTS) {
    await screenshotFlow(browser, server.origin);
  } else if (SLURM) {
    // the sweep command on the cluster, in a copy of the suite's workspace named for its suite
    const folder = path.join(tmp, 'slurm');
    fs.cpSync(path.join(root, 'test/vscode/workspace'), folder, { recursive: true });
    await inHostTests(browser, server.origin, testsPath, folder);
  } else {
    await inHostTests(browser, server.origin, testsPath);
    if (!IN_HOST_ONLY) {
      const flows = {
        ui: () => uiFlow(browser, server.origin, false, 'vscode-ui.png'),
        dashboard: () => dashboardFlow(browser, server.origin),
        sweep: () => sweepFlow(browser, server.origin),
        title: () => titleButtonsAndIconFlow(browser, server.origin),
        'kill-host': () => killHostFlow(browser, server.origin, testsPath),
      };
      for (const [name, flow] of Object.entries(flows)) if (!ONLY || ONLY.includes(name)) await flow();
    }
    if (VSIX) await uiFlow(browser, server.origin, true, 'vscode-ui-vsix.png');
    await stopServer(server.child);
    if (!ONLY || ONLY.includes('untrusted')) {
      // workspace trust on: this code-server opens new folders in restricted mode
      server = await startServer(await freePort(), { trust: true });
      say(`code-server with workspace trust ${server.origin} (pid ${server.child.pid})`);
      await inHostTests(browser, server.origin, testsPath, untrustedWorkspace());
    }
  }
} catch (err) {
  failed += 1;
  console.error(err.stack ?? err);
} finally {
  await browser?.close().catch(() => {});
  if (server) await stopServer(server.child);
  for (const log of ['code-server.log', 'code-server-trust.log']) if (fs.existsSync(path.join(tmp, log))) fs.copyFileSync(path.join(tmp, log), path.join(ARTIFACTS, SLURM ? log.replace('.log', '-slurm.log') : log));
  if (KEEP) say(`kept ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
}
say(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed || !passed ? 1 : 0);
