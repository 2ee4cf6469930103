// The benchmark's tables: per method the continual-learning metrics, capacity and cost; DEN's
// targets against the references of the same run; memory and tensors; training throughput.
import type { MethodResult, SuiteResult } from './suite';
import type { ThroughputRow } from './throughput';

const f4 = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(4) : '—');
const signed = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? (v >= 0 ? '+' : '') + v.toFixed(4) : '—');
const int = (v: number) => Math.round(v).toLocaleString('en-US');

function table(header: string[], rows: string[][], align: ('l' | 'r')[]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(align.map((a) => (a === 'l' ? ':--' : '--:'))), ...rows.map(line)].join('\n');
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

/** DEN's targets (issue 5, §3) for the suite's kind of tasks, on the numbers of this run. */
export function targetChecks(s: SuiteResult): TargetCheck[] {
  const by = (m: string) => s.methods.find((r) => r.method === m);
  const den = by('den');
  const stl = by('stl');
  const ft = by('finetune');
  if (!den) return [];
  const checks: TargetCheck[] = [];
  const pts = (v: number) => `${(100 * v).toFixed(2)} points`;
  if (s.taskType === 'one-vs-rest') {
    if (stl && den.meanAuroc !== null && stl.meanAuroc !== null) {
      checks.push({ target: "mean AUROC ≥ STL's − 0.005", measured: `${f4(den.meanAuroc)} vs STL ${f4(stl.meanAuroc)} (${signed(den.meanAuroc - stl.meanAuroc)})`, met: den.meanAuroc >= stl.meanAuroc - 0.005 });
    }
    checks.push({ target: "parameters ≤ 25% of STL's", measured: `${den.paramsPctStl.toFixed(1)}%`, met: den.paramsPctStl <= 25 });
    return checks;
  }
  if (stl && den.acc !== null && stl.acc !== null) {
    checks.push({ target: 'ACC within 1.5 points of STL', measured: `${f4(den.acc)} vs STL ${f4(stl.acc)} (${pts(den.acc - stl.acc)})`, met: den.acc >= stl.acc - 0.015 });
  }
  if (ft && den.acc !== null && ft.acc !== null) {
    checks.push({ target: 'ACC ≥ finetune + 10 points', measured: `${f4(den.acc)} vs finetune ${f4(ft.acc)} (+${pts(den.acc - ft.acc)})`, met: den.acc >= ft.acc + 0.1 });
  }
  if (den.bwt !== null) checks.push({ target: 'BWT ≥ −1.5 points', measured: pts(den.bwt), met: den.bwt >= -0.015 });
  checks.push({ target: "parameters ≤ 50% of STL's", measured: `${den.paramsPctStl.toFixed(1)}%`, met: den.paramsPctStl <= 50 });
  return checks;
}

export function resultsTable(methods: MethodResult[]): string {
  return table(
    ['method', 'ACC', 'BWT', 'FWT', 'forgetting', 'mean AUROC', 'params', '% of STL', 'units', 's / task', 'samples/s'],
    methods.map((r) => [
      r.method,
      f4(r.acc),
      signed(r.bwt),
      signed(r.fwt),
      f4(r.forgetting),
      f4(r.meanAuroc),
      int(r.params),
      `${r.paramsPctStl.toFixed(1)}%`,
      `[${r.units.join(', ')}]${r.networks > 1 ? ` (${r.networks} nets)` : ''}`,
      r.secondsPerTask.toFixed(1),
      int(r.samplesPerSecond),
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'r'],
  );
}

export function suiteMarkdown(s: SuiteResult, throughput: ThroughputRow[]): string {
  const backend = s.methods[0]?.backend ?? '—';
  const parts = [
    `# ${s.suite}${s.quick ? ' (quick)' : ''} — ${s.date}`,
    '',
    `${s.tasks} ${s.taskType} tasks from \`${s.experimentFile.split(/[\\/]/).slice(-2).join('/')}\`, hidden [${s.hidden.join(', ')}], loss ${s.loss}, backend ${backend}. ` +
      `The same data, seeds and budget for every method. ACC/BWT/FWT/forgetting on accuracy; mean AUROC = ACC on the AUROC matrix. ` +
      `STL = ${int(s.stlParams)} parameters. Units: hidden units per layer (stl: summed over its networks).`,
    '',
    resultsTable(s.methods),
  ];
  const checks = targetChecks(s);
  if (checks.length) {
    parts.push('', '## DEN targets', '', table(['target', 'measured', 'met'], checks.map((c) => [c.target, c.measured, c.met ? 'yes' : '**no**']), ['l', 'l', 'l']));
  }
  parts.push(
    '',
    '## Time, memory and tensors',
    '',
    table(
      ['method', 'wall s', 'peak RSS MB', 'peak heap MB', 'peak TF.js MB', 'tensors after each task (model variables)', 'growth'],
      s.methods.map((r) => [
        r.method,
        r.wallSeconds.toFixed(0),
        r.memory.peakRssMB.toFixed(0),
        r.memory.peakHeapMB.toFixed(0),
        r.memory.peakTfMB.toFixed(1),
        r.tensorsAfterTask.map((n, i) => `${n} (${r.modelTensorsAfterTask[i]})`).join(', '),
        r.tensorGrowth ? '**grew**' : 'none',
      ]),
      ['l', 'r', 'r', 'r', 'r', 'l', 'l'],
    ),
  );
  if (throughput.length) {
    parts.push(
      '',
      '## Training throughput (784-312-128-10, batch 256, in this run)',
      '',
      table(['measurement', 'backend', 'samples/s'], throughput.map((t) => [t.label, t.backend, int(t.samplesPerSecond)]), ['l', 'l', 'r']),
    );
    const get = (label: string, backend: string) => throughput.find((t) => t.label.startsWith(label) && t.backend === backend)?.samplesPerSecond;
    const ratio = (a?: number, b?: number) => (a && b ? `${(a / b).toFixed(2)}×` : '—');
    const backends = [...new Set(throughput.map((t) => t.backend))].filter((b) => get('DEN', b) && get('plain', b));
    parts.push(
      '',
      `DEN stage / plain epoch (the overhead of masks, drift penalty and proximal steps): ${backends.map((b) => `${ratio(get('DEN', b), get('plain', b))} on ${b}`).join(', ')}. ` +
        `WASM with the matmul fix / stock WASM: ${ratio(get('plain', 'wasm'), get('plain', 'wasm, stock kernels'))}. ` +
        'Peak RSS is the process high-water mark up to the end of that method (methods run one after another in one process).',
    );
  }
  return parts.join('\n') + '\n';
}
