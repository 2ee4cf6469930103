// Builds dist/: one esbuild bundle per entry point, the WASM binaries of tfjs-backend-wasm next to
// them (found at run time through setWasmPaths), and the embedded MNIST digits packed as gzipped
// IDX files (3.6 MB instead of the `mnist` package's 21 MB of JSON).
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as path from 'path';
import { createRequire } from 'module';
import { webviewBundleOptions } from './webview-bundle.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dist = path.join(root, 'dist');
const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');

const entries = [
  { in: 'src/cli/main.ts', out: 'cli' }, // its #! line is kept by esbuild
  { in: 'src/bench/main.ts', out: 'bench' },
  { in: 'src/trainer/entry.ts', out: 'trainer' }, // the trainer, and the CLI when given arguments
  { in: 'src/extension/extension.ts', out: 'extension' },
  { in: 'src/bench/threadsProbe.ts', out: 'threads-probe' }, // 'auto' WASM threads measure with it
].filter((e) => fs.existsSync(path.join(root, e.in)));

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // vscode is provided by the editor; the native TF bindings are optional and loaded at run time
  external: ['vscode', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
  // jsonc-parser's default (UMD) build hides its requires from the bundler; its ESM build bundles
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
};

fs.mkdirSync(dist, { recursive: true });

// WASM binaries
const wasmSrc = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
fs.mkdirSync(path.join(dist, 'wasm'), { recursive: true });
for (const f of fs.readdirSync(wasmSrc).filter((f) => f.endsWith('.wasm'))) {
  fs.copyFileSync(path.join(wasmSrc, f), path.join(dist, 'wasm', f));
}
// The threaded build's main script and its pool's worker script, as files (see src/engine/wasmThreads.ts)
const threaded = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js'));
fs.copyFileSync(path.join(threaded, 'tfjs-backend-wasm-threaded-simd.js'), path.join(dist, 'wasm', 'tfjs-backend-wasm-threaded-simd.js'));
const { wasmWorkerContents } = require(path.join(threaded, 'tfjs-backend-wasm-threaded-simd.worker.js'));
const workerScript = await esbuild.build({ ...common, entryPoints: [path.join(root, 'src/engine/wasmThreads.ts')], write: false, outfile: 'threads.js' });
const threadsModule = { exports: {} };
new Function('module', 'exports', 'require', '__filename', workerScript.outputFiles.find((f) => f.path.endsWith('.js')).text)(threadsModule, threadsModule.exports, require, path.join(dist, 'threads.js'));
fs.writeFileSync(path.join(dist, 'wasm', 'tfjs-backend-wasm-threaded-simd.worker.js'), threadsModule.exports.threadedWorkerScript(wasmWorkerContents));

// Embedded MNIST, packed once (the packing takes a couple of seconds)
const packed = path.join(dist, 'data', 'mnist-images.idx3-ubyte.gz');
if (!fs.existsSync(packed)) {
  const ctx = await esbuild.build({ ...common, entryPoints: [path.join(root, 'src/engine/data/mnist.ts')], write: false, outfile: 'pack.js' });
  const mod = { exports: {} };
  new Function('module', 'exports', 'require', '__dirname', ctx.outputFiles.find((f) => f.path.endsWith('.js')).text)(mod, mod.exports, require, dist);
  mod.exports.writeEmbeddedMnistIdx(path.join(dist, 'data'));
}

for (const e of entries) {
  const options = {
    ...common,
    entryPoints: [path.join(root, e.in)],
    outfile: path.join(dist, `${e.out}.js`),
  };
  if (watch) await (await esbuild.context(options)).watch();
  else await esbuild.build(options);
}
if (!watch) fs.chmodSync(path.join(dist, 'cli.js'), 0o755);

// The dashboard webview (options shared with the webview benchmark)
if (fs.existsSync(path.join(root, 'webview/main.ts'))) {
  const options = webviewBundleOptions(path.join(root, 'webview/main.ts'), path.join(dist, 'webview', 'dashboard.js'));
  if (watch) await (await esbuild.context(options)).watch();
  else await esbuild.build(options);
}
