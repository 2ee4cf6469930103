// Where a training run's memory goes: preloaded into the CLI with --require, it samples the
// process's memory at every event the CLI prints (run it with --json) and every 100 ms, and at
// exit prints to stderr, per task and stage, the largest RSS, JS heap, external/ArrayBuffer
// bytes, WASM heap and TF.js tensor bytes, and how much the kernel's peak RSS (VmHWM) grew there.
//   node --require ./scripts/memory-sampler.cjs dist/cli.js train examples/permuted-mnist.den.json --json --until 3 > /dev/null
// DEN_LAB_MEMORY_SAMPLES=<file> also writes every sample as a JSON line.
'use strict';
const fs = require('fs');

const MB = 1024 * 1024;
const samplesFile = process.env.DEN_LAB_MEMORY_SAMPLES;
const samples = samplesFile ? fs.openSync(samplesFile, 'w') : undefined;

/** VmHWM and VmRSS of this process in bytes (Linux), else undefined. */
function kernelRss() {
  try {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
    return { hwm: kb('VmHWM'), rss: kb('VmRSS') };
  } catch {
    return undefined;
  }
}

/** The TF.js engine of the bundle (tfjs-core keeps it on the global object) and its WASM heap. */
function tfMemory() {
  const engine = globalThis._tfengine;
  if (!engine) return { wasm: 0, tensors: 0, tensorBytes: 0 };
  const heap = engine.registry?.wasm?.wasm?.HEAPU8;
  return { wasm: heap ? heap.buffer.byteLength : 0, tensors: engine.state.numTensors, tensorBytes: engine.state.numBytes };
}

let where = 'start';
let lastHwm = 0;
const rows = new Map(); // where → maxima

function sample(event) {
  const m = process.memoryUsage();
  const k = kernelRss();
  const t = tfMemory();
  const s = { time: Date.now(), where, event, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, ...t, hwm: k?.hwm ?? 0 };
  let row = rows.get(where);
  if (!row) rows.set(where, (row = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0, wasm: 0, tensorBytes: 0, hwmGrowth: 0 }));
  for (const key of ['rss', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers', 'wasm', 'tensorBytes']) row[key] = Math.max(row[key], s[key]);
  if (k && k.hwm > lastHwm) {
    // the peak grew since the last sample: charge it to the segment that just ran
    row.hwmGrowth += k.hwm - lastHwm;
    lastHwm = k.hwm;
  }
  if (samples !== undefined) fs.writeSync(samples, JSON.stringify(s) + '\n');
}

/** The segment a CLI --json event starts. */
function segmentOf(e) {
  switch (e.type) {
    case 'run-start':
      return 'baseline/run-start';
    case 'task-start':
      return `task ${e.task} score-before`;
    case 'stage-start':
      return `task ${e.task} ${e.stage}`;
    case 'stage-end':
      return `task ${e.task} after ${e.stage}`;
    case 'checkpoint':
      return `task ${e.task} after checkpoint`;
    default:
      return undefined;
  }
}

const write = process.stdout.write.bind(process.stdout);
let pending = '';
process.stdout.write = (chunk, ...rest) => {
  pending += String(chunk);
  let nl;
  while ((nl = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    let e;
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    if (!e || typeof e.type !== 'string') continue;
    sample(e.type); // closes the segment that ran until this event
    where = segmentOf(e) ?? where;
  }
  return write(chunk, ...rest);
};

setInterval(() => sample('timer'), 100).unref();

const COLUMNS = [
  ['rss', 'rss'],
  ['heapUsed', 'heap used'],
  ['heapTotal', 'heap total'],
  ['external', 'external'],
  ['arrayBuffers', 'ArrayBuffers'],
  ['wasm', 'WASM heap'],
  ['tensorBytes', 'TF.js tensors'],
  ['hwmGrowth', 'peak grew'],
];

process.on('exit', () => {
  sample('exit');
  const cell = (text) => String(text).padStart(13);
  const lines = [`${'segment (from the event that starts it)'.padEnd(40)}${COLUMNS.map(([, title]) => cell(title)).join(' |')}`];
  for (const [name, r] of rows) lines.push(`${name.padEnd(40)}${COLUMNS.map(([key]) => cell((r[key] / MB).toFixed(1))).join(' |')}`);
  const k = kernelRss();
  lines.push(`peak RSS (VmHWM): ${k ? (k.hwm / MB).toFixed(1) : '?'} MB. MB = 2^20 bytes; each column the largest sample of the segment; external includes the WASM heap and the ArrayBuffers`);
  process.stderr.write(lines.join('\n') + '\n');
});
