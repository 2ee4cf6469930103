// The benchmark's tables: per method (and weight-decay protocol) the continual-learning metrics as
// mean ± sd over seeds, capacity and cost; what DEN's mechanisms did; DEN's targets against the
// references of the same run; memory and tensors; training throughput.
import type { MethodStats, Stat } from './aggregate';
import type { Protocol, RunResult, SuiteInfo } from './run';
import type { ThroughputRow } from './throughput';
import { peerRatios } from './torchPeer';
import { nonTrainingShare } from './breakdown';

const f4 = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(4) : '—');
const signed = (v: number | null | undefined, digits = 4) => (typeof v === 'number' && Number.isFinite(v) ? (v >= 0 ? '+' : '') + v.toFixed(digits) : '—');
const int = (v: number) => Math.round(v).toLocaleString('en-US');
const pct = (v: number | null | undefined, digits = 0) => (typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(digits)}%` : '—');
const pts = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(2)} points`;

/** "mean ± sd" (just the mean for one seed). */
function ms(s: Stat, format: (v: number | null) => string = f4): string {
  if (s.mean === null) return '—';
  return s.sd === null ? format(s.mean) : `${format(s.mean)} ± ${format(s.sd).replace(/^\+/, '')}`;
}
const msSigned = (s: Stat) => ms(s, (v) => signed(v));
const msNum = (digits: number) => (s: Stat) => ms(s, (v) => (v === null ? '—' : v.toFixed(digits)));

function table(header: string[], rows: string[][], align: ('l' | 'r')[]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(align.map((a) => (a === 'l' ? ':--' : '--:'))), ...rows.map(line)].join('\n');
}

export const PROTOCOL_LABEL: Record<Protocol, string> = {
  coupled: 'coupled WD',
  decoupled: 'decoupled WD',
};

const isDen = (m: string) => m.startsWith('den');
/** A row's name: DEN methods run in one protocol, the baselines in each. */
export const methodLabel = (s: MethodStats) => (isDen(s.method) ? s.method : `${s.method} · ${PROTOCOL_LABEL[s.protocol]}`);

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

/** The suite's quality metric: mean AUROC on one-vs-rest (the paper's), accuracy otherwise; `curves` are its per-task curves. */
export function quality(info: SuiteInfo) {
  return info.taskType === 'one-vs-rest'
    ? { label: 'mean AUROC', score: 'AUROC', of: (s: MethodStats) => s.meanAuroc, curves: (s: MethodStats) => s.curves.auroc, bwt: (r: RunResult) => r.aurocBwt, tolerance: 0.002, show: (v: number) => signed(v) }
    : { label: 'ACC', score: 'accuracy', of: (s: MethodStats) => s.acc, curves: (s: MethodStats) => s.curves.accuracy, bwt: (r: RunResult) => r.bwt, tolerance: 0.003, show: pts };
}

/** Each method once, under its stronger protocol by the suite's quality (in the order the methods first appear). */
export function strongestProtocols(info: SuiteInfo, stats: MethodStats[]): MethodStats[] {
  const q = quality(info);
  const methods = [...new Set(stats.map((s) => s.method))];
  return methods.map((m) => stats.filter((s) => s.method === m).reduce((a, b) => ((q.of(b).mean ?? -Infinity) > (q.of(a).mean ?? -Infinity) ? b : a)));
}

/**
 * DEN's targets (issue 8) on the numbers of this run: quality and capacity against STL in DEN's
 * protocol, every mechanism acting, and the ablations each costing something. Means over seeds.
 */
export function targetChecks(info: SuiteInfo, stats: MethodStats[], denProtocol: Protocol): TargetCheck[] {
  const by = (m: string, protocol: Protocol = denProtocol) => stats.find((s) => s.method === m && s.protocol === protocol);
  const den = by('den');
  if (!den) return [];
  const stl = by('stl');
  const q = quality(info);
  const checks: TargetCheck[] = [];
  const mech = den.mechanisms;
  const seeds = `${den.seeds.length} seed${den.seeds.length > 1 ? 's' : ''}`;
  const range = (s: Stat, f: (v: number) => string) => (s.n > 1 && s.min !== null ? ` (${f(s.min)}–${f(s.max!)})` : '');
  const n1 = (v: number) => v.toFixed(1);
  if (info.taskType === 'one-vs-rest') {
    if (stl && den.meanAuroc.mean !== null && stl.meanAuroc.mean !== null) {
      const d = den.meanAuroc.mean - stl.meanAuroc.mean;
      checks.push({ target: "mean AUROC ≥ STL's − 0.003", measured: `${f4(den.meanAuroc.mean)} vs STL ${f4(stl.meanAuroc.mean)} (${signed(d)})`, met: d >= -0.003 });
    }
    checks.push({ target: "parameters ≤ 15% of STL's", measured: `${ms(den.paramsPctStl, (v) => `${v!.toFixed(1)}%`)}`, met: den.paramsPctStl.mean! <= 15 });
    checks.push({ target: 'τ skips expansion on ≥ 2 of tasks 2–T', measured: `${n1(mech.skippedTasks.mean!)} tasks${range(mech.skippedTasks, n1)}`, met: mech.skippedTasks.mean! >= 2 });
    checks.push({ target: 'the group lasso removes ≥ 20% of the added units', measured: `${pct(mech.prunedShare.mean, 1)}`, met: (mech.prunedShare.mean ?? 0) >= 0.2 });
    checks.push({ target: 'split fires on ≥ 3 tasks', measured: `${n1(mech.splitTasks.mean!)} tasks${range(mech.splitTasks, n1)}`, met: mech.splitTasks.mean! >= 3 });
    checks.push({ target: 'subnetwork retraining changes ≤ 50% of the old hidden weights (mean over tasks 2–T)', measured: pct(mech.changedShare.mean, 1), met: (mech.changedShare.mean ?? 1) <= 0.5 });
  } else {
    if (stl && den.acc.mean !== null && stl.acc.mean !== null) {
      const d = den.acc.mean - stl.acc.mean;
      checks.push({ target: "ACC ≥ STL's − 1.5 points", measured: `${f4(den.acc.mean)} vs STL ${f4(stl.acc.mean)} (${pts(d)})`, met: d >= -0.015 });
    }
    if (den.bwt.mean !== null) checks.push({ target: 'BWT ≥ −1.0 points', measured: pts(den.bwt.mean), met: den.bwt.mean >= -0.01 });
    checks.push({ target: "parameters ≤ 35% of STL's", measured: `${ms(den.paramsPctStl, (v) => `${v!.toFixed(1)}%`)}`, met: den.paramsPctStl.mean! <= 35 });
    checks.push({ target: 'the group lasso removes ≥ 10% of the added units', measured: pct(mech.prunedShare.mean, 1), met: (mech.prunedShare.mean ?? 0) >= 0.1 });
    checks.push({ target: 'split fires on ≥ 1 task', measured: `${n1(mech.splitTasks.mean!)} tasks${range(mech.splitTasks, n1)}`, met: mech.splitTasks.mean! >= 1 });
  }
  const constant = by('den-constant');
  if (constant && constant.params.mean && den.params.mean) {
    const more = constant.params.mean / den.params.mean - 1;
    const gain = q.of(constant).mean! - q.of(den).mean!;
    checks.push({
      target: `den-constant needs ≥ 15% more parameters than den for at most ${info.taskType === 'one-vs-rest' ? '+0.002 AUROC' : '+0.3 points'}`,
      measured: `${signed(100 * more, 1)}% parameters, ${q.label} ${q.show(gain)}`,
      met: more >= 0.15 && gain <= q.tolerance,
    });
  }
  const noSplit = by('den-no-split');
  if (noSplit) {
    const b = (s: MethodStats) => stat1(s.runs.map(q.bwt));
    checks.push({ target: `den-no-split has a worse BWT (${q.label}) than den`, measured: `${signed(b(noSplit))} vs ${signed(b(den))}`, met: b(noSplit) < b(den) });
  }
  const noStamps = by('den-no-timestamps');
  if (noStamps) {
    checks.push({
      target: `den-no-timestamps has a lower ${q.label} than den`,
      measured: `${f4(q.of(noStamps).mean)} vs ${f4(q.of(den).mean)}`,
      met: q.of(noStamps).mean! < q.of(den).mean!,
    });
  }
  return checks.map((c) => ({ ...c, measured: `${c.measured} [${seeds}]` }));
}

const stat1 = (xs: (number | null)[]) => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
};

/** Which commit each method's runs came from, when the report merges runs of several invocations. */
function codeLines(stats: MethodStats[]): string[] {
  const byCode = new Map<string, string[]>();
  for (const s of stats) {
    for (const code of new Set(s.runs.map((r) => r.code ?? 'unrecorded'))) byCode.set(code, [...(byCode.get(code) ?? []), methodLabel(s)]);
  }
  if (byCode.size === 0 || (byCode.size === 1 && byCode.has('unrecorded'))) return [];
  const runs = [...byCode].map(([code, methods]) => (byCode.size === 1 ? `every run at commit ${code}` : `${methods.join(', ')} at ${code === 'unrecorded' ? 'an unrecorded commit' : `commit ${code}`}`));
  return ['', `Code: ${runs.join('; ')}.`];
}

export function resultsTable(stats: MethodStats[]): string {
  return table(
    ['method', 'seeds', 'ACC', 'BWT', 'FWT', 'forgetting', 'mean AUROC', 'validation ACC', 'params', '% of STL', 'units (seed 1)', 's / task'],
    stats.map((s) => [
      methodLabel(s),
      s.seeds.join(','),
      ms(s.acc),
      msSigned(s.bwt),
      msSigned(s.fwt),
      ms(s.forgetting),
      ms(s.meanAuroc),
      ms(s.validationAcc),
      int(s.params.mean ?? 0),
      ms(s.paramsPctStl, (v) => `${v!.toFixed(1)}%`),
      `[${s.runs[0].units.join(', ')}]${s.runs[0].networks > 1 ? ` (${s.runs[0].networks} nets)` : ''}`,
      ms(s.secondsPerTask, (v) => v!.toFixed(1)),
    ]),
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'r'],
  );
}

/** What DEN's mechanisms did, per DEN method (means over seeds, tasks 2–T). */
export function mechanismsTable(stats: MethodStats[]): string {
  const dens = stats.filter((s) => isDen(s.method));
  const perLayer = (a: Stat[] | null, f: (v: number) => string) => (a ? a.map((s) => (s.mean === null ? '—' : f(s.mean))).join(' / ') : '—');
  return table(
    ['method', 'selected units (per layer)', 'inputs selected', 'old weights allowed / changed', 'expanded / τ-skipped tasks', 'added', 'pruned', 'pruned share', 'split', 'tasks with a split', 'max ρ', 'mean p90 ρ'],
    dens.map((s) => {
      const m = s.mechanisms;
      return [
        s.method,
        perLayer(m.selectedShare, (v) => pct(v)),
        pct(m.inputsShare.mean),
        `${pct(m.allowedShare.mean)} / ${pct(m.changedShare.mean)}`,
        `${m.expandedTasks.mean?.toFixed(1)} / ${m.skippedTasks.mean?.toFixed(1)}`,
        perLayer(m.added, (v) => v.toFixed(0)),
        perLayer(m.pruned, (v) => v.toFixed(0)),
        pct(m.prunedShare.mean),
        perLayer(m.split, (v) => v.toFixed(0)),
        msNum(1)(m.splitTasks),
        msNum(3)(m.maxDrift),
        msNum(3)(m.p90Drift),
      ];
    }),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}

/** DEN's tasks one by one (one run): the τ statistic, selection, growth and drift. */
export function denTasksTable(run: RunResult): string {
  const layers = (a: number[] | null, f: (v: number) => string = (v) => String(v)) => (a ? a.map(f).join(' / ') : '—');
  return table(
    ['task', 'τ statistic', 'expanded', 'selected units', 'inputs', 'old weights changed', 'added', 'pruned', 'split', 'max ρ', 'p90 ρ', 'accuracy', 'AUROC'],
    run.tasks.map((t, i) => [
      String(i + 1),
      t.tauStatistic === null ? '—' : t.tauStatistic.toFixed(3),
      i === 0 ? '—' : t.expanded ? 'yes' : 'no',
      t.selectedUnits ? t.selectedUnits.map((n, l) => `${n}/${t.unitsBefore[l]}`).join(', ') : '—',
      t.selectedInputs === null ? '—' : `${t.selectedInputs}/${run.inputDim}`,
      t.weightsChanged === null ? '—' : pct(t.weightsChanged / t.weightsTotal!),
      layers(t.added),
      layers(t.pruned),
      layers(t.split),
      layers(t.maxDrift, (v) => v.toFixed(3)),
      layers(t.driftP90, (v) => v.toFixed(3)),
      t.accuracy.toFixed(4),
      f4(t.auroc),
    ]),
    ['r', 'r', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}

/** DEN against the stronger of each baseline's protocols (means over seeds). */
export function marginLines(info: SuiteInfo, stats: MethodStats[]): string[] {
  const q = quality(info);
  const den = stats.find((s) => s.method === 'den');
  if (!den || q.of(den).mean === null) return [];
  const baselines = [...new Set(stats.filter((s) => !isDen(s.method)).map((s) => s.method))];
  return baselines.map((m) => {
    const variants = stats.filter((s) => s.method === m && q.of(s).mean !== null);
    const best = variants.reduce((a, b) => (q.of(b).mean! > q.of(a).mean! ? b : a));
    const others = variants.filter((v) => v !== best).map((v) => `${PROTOCOL_LABEL[v.protocol]} ${f4(q.of(v).mean)}`);
    return `- ${m}: strongest with ${PROTOCOL_LABEL[best.protocol]} (${q.label} ${f4(q.of(best).mean)}${others.length ? `; ${others.join(', ')}` : ''}); DEN − ${m} = ${q.show(q.of(den).mean! - q.of(best).mean!)}`;
  });
}

/** The throughput rows, with a column of ratios to the PyTorch peer when it was measured. */
function throughputTable(throughput: ThroughputRow[]): string {
  const ratios = peerRatios(throughput);
  const rows = throughput.map((t) => [t.label, t.backend, int(t.samplesPerSecond)]);
  if (!ratios) return table(['measurement', 'backend', 'samples/s'], rows, ['l', 'l', 'r']);
  const ratioOf = (t: ThroughputRow) => ratios.find((r) => r.row === t)?.ratio;
  return table(['measurement', 'backend', 'samples/s', '× PyTorch'], throughput.map((t, i) => [...rows[i], ratioOf(t)?.toFixed(2) ?? '1.00']), ['l', 'l', 'r', 'r']);
}

/** `figures`: the suite's SVG files (relative to the .md) and their titles. */
export function suiteMarkdown(
  info: SuiteInfo,
  date: string,
  quick: boolean,
  stats: MethodStats[],
  checks: TargetCheck[],
  denProtocol: Protocol,
  throughput: ThroughputRow[],
  figures: { file: string; title: string }[] = [],
): string {
  const backend = stats[0]?.runs[0]?.backend ?? '—';
  const den = stats.find((s) => s.method === 'den');
  const parts = [
    `# ${info.suite}${quick ? ' (quick)' : ''} — ${date}`,
    '',
    `${info.tasks} ${info.taskType} tasks from \`${info.experimentFile.split(/[\\/]/).slice(-2).join('/')}\`, hidden [${info.hidden.join(', ')}], loss ${info.loss}, backend ${backend}. ` +
      `The same data, seeds (each method's are listed) and budget for every method; each seed changes the data split, the task permutations and the training seed together. ` +
      `Values are mean ± sd over the seeds listed. ACC/BWT/FWT/forgetting on accuracy; mean AUROC = ACC on the AUROC matrix; validation ACC = ACC on the validation parts (what hyperparameters are chosen by). ` +
      `STL = ${int(info.stlParams)} parameters. Units: hidden units per layer (stl: summed over its networks).`,
    '',
    `Weight decay (den.weightDecay) reaches the weights in one of two ways: **coupled** adds wd·W to the gradient that Adam normalises (the reference code's protocol), ` +
      `**decoupled** shrinks W by lr·wd·W after Adam's step (AdamW). Coupled decay moves every weight the current task does not use by about lr per step towards zero, ` +
      `which is what makes fine-tuning forget so much. finetune, l2, ewc and joint, whose shared layers keep training, run under both protocols; DEN, its ablations, stl and progressive, which freeze or do not share what earlier tasks use, under ${PROTOCOL_LABEL[denProtocol]} (the experiment's setting).`,
    ...codeLines(stats),
    '',
    resultsTable(stats),
  ];
  const margins = marginLines(info, stats);
  if (margins.length) parts.push('', `DEN against each baseline's stronger protocol (${quality(info).label}, means over seeds):`, '', ...margins);
  if (figures.length) parts.push('', '## Figures', ...figures.flatMap((f) => ['', `![${f.title}](${f.file})`]));
  if (checks.length) {
    parts.push('', '## DEN targets', '', table(['target', 'measured', 'met'], checks.map((c) => [c.target, c.measured, c.met ? 'yes' : '**no**']), ['l', 'l', 'l']));
  }
  if (stats.some((s) => isDen(s.method))) {
    parts.push(
      '',
      '## What the mechanisms did',
      '',
      'Means over seeds of tasks 2–T: the share of the old units (per layer) and of the inputs that selection chose; the share of the old hidden weights that subnetwork retraining was allowed to change and did change; ' +
        'how many tasks expanded and how many the τ test let through; units added, pruned by the group lasso and split, summed over the tasks (per layer); the largest drift ρ and the mean of the per-task 90th percentile.',
      '',
      mechanismsTable(stats),
    );
  }
  if (den) parts.push('', `## DEN task by task (seed ${den.runs[0].spec.seed})`, '', denTasksTable(den.runs[0]));
  const breakdown = den?.runs[0].timeBreakdown;
  if (breakdown) {
    const share = (x: number) => `${((100 * x) / breakdown.seconds).toFixed(1)}%`;
    parts.push(
      '',
      `## Where DEN's task time goes (seed ${den.runs[0].spec.seed}, summed over the tasks)`,
      '',
      table(['part', 'training', 'seconds', 'share'], breakdown.parts.map((p) => [p.part, p.training ? 'yes' : 'no', p.seconds.toFixed(2), share(p.seconds)]), ['l', 'l', 'r', 'r']),
      '',
      `Not training: ${(100 * nonTrainingShare(breakdown)).toFixed(1)}% of ${breakdown.seconds.toFixed(1)} s. "other": the task's wall time that no timed part covers (events, state copies, the summary's bookkeeping).`,
    );
  }
  parts.push(
    '',
    '## Time, memory and tensors',
    '',
    table(
      ['run', 'wall s', 'peak RSS MB', 'peak heap MB', 'peak TF.js MB', 'tensors after each task (model variables)', 'growth'],
      stats.flatMap((s) =>
        s.runs.map((r) => [
          `${methodLabel(s)}, seed ${r.spec.seed}`,
          r.wallSeconds.toFixed(0),
          r.memory.peakRssMB.toFixed(0),
          r.memory.peakHeapMB.toFixed(0),
          r.memory.peakTfMB.toFixed(1),
          r.tensorsAfterTask.map((n, i) => `${n} (${r.modelTensorsAfterTask[i]})`).join(', '),
          r.tensorGrowth ? '**grew**' : 'none',
        ]),
      ),
      ['l', 'r', 'r', 'r', 'r', 'l', 'l'],
    ),
    '',
    'Every run is its own process, so its peak RSS is its own.',
  );
  if (throughput.length) {
    parts.push(
      '',
      '## Training throughput (784-312-128-10, batch 256, in this run)',
      '',
      throughputTable(throughput),
    );
    const get = (label: string, backend: string) => throughput.find((t) => t.label.startsWith(label) && t.backend === backend)?.samplesPerSecond;
    const ratio = (a?: number, b?: number) => (a && b ? `${(a / b).toFixed(2)}×` : '—');
    const backends = [...new Set(throughput.map((t) => t.backend))].filter((b) => get('DEN', b) && get('plain', b));
    parts.push(
      '',
      `DEN stage / plain epoch (the overhead of masks, drift penalty and proximal steps): ${backends.map((b) => `${ratio(get('DEN', b), get('plain', b))} on ${b}`).join(', ')}. ` +
        `WASM with the matmul fix / stock WASM: ${ratio(get('plain', 'wasm'), get('plain', 'wasm, stock kernels'))}. Measured before the runs started, with nothing else of the bench running.`,
    );
  }
  return parts.join('\n') + '\n';
}
