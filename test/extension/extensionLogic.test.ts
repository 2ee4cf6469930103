// The extension's logic that needs no VS Code: run discovery, live status, threshold hints,
// experiment-file problems, threshold edits, metrics export and message checks — on a real run.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { parseTree, findNodeAtLocation } from 'jsonc-parser';
import { train } from '../../src/engine/session';
import { readEvents } from '../../src/engine/run/runFolder';
import { encodeIdx } from '../../src/engine/data/idx';
import { defaultExperiment, parseExperimentText, withAbsolutePaths, validateExperiment } from '../../src/engine/experiment';
import { experimentTemplate } from '../../src/common/newExperiment';
import { allRuns, readRuns, runLabel, runsOfExperiment, runToContinue } from '../../src/common/runIndex';
import { applyEvent, initialStatus, jobProgress, statusText } from '../../src/common/liveStatus';
import { thresholdHints } from '../../src/common/thresholdHints';
import { checkExperimentText, csvHeaderProblem, idxHeaderProblem, inertThresholds } from '../../src/common/experimentProblems';
import { fieldHover } from '../../src/common/fieldHover';
import { layerChange, short } from '../../src/common/vocabulary';
import { editThreshold, readThresholds } from '../../src/common/dashboard/thresholdEdits';
import { metricsCsv } from '../../src/common/dashboard/metricsExport';
import type { RunSummary } from '../../src/common/protocol';

const EXPERIMENT = `// a small experiment
{
  "name": "logic",
  "backend": "wasm",
  "data": { "source": "mnist", "limit": 600 },
  "tasks": { "type": "permuted", "count": 3 },
  "network": { "hidden": [24, 12] },
  "den": {
    "tau": 0.01,   // expand
    "sigma": 0.02, // split
    "k": 4
  },
  "training": { "epochs": 1, "batchSize": 64, "learningRate": 0.01 }
}
`;

describe('extension logic on a real run', function () {
  this.timeout(120000);
  let dir: string;
  let file: string;
  let runDir: string;
  let summary: RunSummary;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'den-ext-'));
    file = path.join(dir, 'logic.den.json');
    fs.writeFileSync(file, EXPERIMENT);
    const result = await train({ experimentFile: file, tasks: 2 });
    runDir = result.runDir;
    summary = result.summary;
    await train({ experimentFile: file, runDir, retrainTask: 2 });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds runs and their branches, and which run "Train Next Task" continues', () => {
    const dirs = [runDir, ...fs.readdirSync(path.join(runDir, 'branches')).map((b) => path.join(runDir, 'branches', b))];
    const runs = readRuns(dirs);
    assert.equal(runs.length, 1, 'the branch is listed under its parent, not at the top');
    assert.equal(runs[0].branches.length, 1);
    assert.equal(runs[0].branches[0].branchOf!.task, 2);
    assert.equal(allRuns(runs).length, 2);
    assert.match(runLabel(runs[0]), /^logic · \d{8}-\d{6}$/);
    assert.match(runLabel(runs[0].branches[0]), /^logic · branch task 2 · /);
    assert.equal(runsOfExperiment(runs, file).length, 2);
    const current = withAbsolutePaths(validateExperiment(JSON.parse(JSON.stringify({ ...JSON.parse(fs.readFileSync(path.join(runDir, 'experiment.json'), 'utf8')) }))), dir);
    assert.ok(runToContinue(runs, file, current), 'a run with a task left and the same data/tasks/network');
    const changed = { ...current, network: { ...current.network, hidden: [24, 13] } };
    assert.equal(runToContinue(runs, file, changed), undefined, 'a changed network means a new run');
    assert.equal(runToContinue(runs, path.join(dir, 'other.den.json'), current), undefined);
  });

  it('folds the event log into the live status the status bar shows', () => {
    const events = readEvents(path.join(runDir, 'events.jsonl'));
    let s = initialStatus();
    const texts: string[] = [];
    for (const e of events) {
      s = applyEvent(s, e);
      if (e.type === 'loss') texts.push(statusText(s));
    }
    assert.equal(s.runDir, runDir);
    assert.equal(s.completedInThisJob, 2);
    assert.deepEqual(s.units, summary.tasks[1].units);
    assert.ok(texts.some((t) => /^task 2 of 3 · selective retraining \d+% · loss \d+\.\d{4}$/.test(t)), texts.slice(-3).join(' | '));
  });

  it('the job’s progress moves within a task (by stage and step), never backwards, and reaches 1 at the end', () => {
    const events = readEvents(path.join(runDir, 'events.jsonl'));
    let s = initialStatus();
    const seen: number[] = [];
    for (const e of events) {
      s = applyEvent(s, e);
      seen.push(jobProgress(s));
    }
    const firstEnd = events.findIndex((e) => e.type === 'task-end');
    const secondStart = events.findIndex((e, i) => i > firstEnd && e.type === 'task-start');
    const inTask2 = seen.slice(secondStart, events.findIndex((e, i) => i > secondStart && e.type === 'task-end'));
    assert.ok(new Set(inTask2.map((p) => p.toFixed(3))).size > 10, `moves within task 2: ${[...new Set(inTask2.map((p) => p.toFixed(2)))].join(' ')}`);
    for (let i = 1; i < seen.length; i++) if (events[i].type !== 'run-start') assert.ok(seen[i] >= seen[i - 1] - 1e-9, `not backwards at event ${i} (${events[i].type})`);
    assert.equal(seen[seen.length - 1], 1);
  });

  it('hints next to τ, σ and k say what the run observed', () => {
    const hints = thresholdHints(summary, 'run');
    assert.deepEqual(hints.map((h) => h.field), ['tau', 'sigma', 'k']);
    const t2 = summary.tasks[1];
    assert.match(hints[0].label, new RegExp(`^last run: loss [\\d.e-]+; expanded ${t2.expanded ? 1 : 0} of 1 tasks$`));
    assert.doesNotMatch(hints.map((h) => h.label).join(' '), /[↑·]/, 'no unexplained symbols');
    assert.ok(hints[0].tooltip.includes(t2.tauStatistic!.toFixed(4)));
    assert.ok(hints[1].label.endsWith(`; ${t2.split.reduce((a, b) => a + b, 0)} units split`));
    assert.ok(hints[1].tooltip.includes(t2.maxDrift!.map((d) => d.toFixed(4)).join(', ')));
    if (t2.expanded) assert.ok(hints[2].label.startsWith(`last run: kept ${t2.added.map((a, l) => a - t2.pruned[l]).join('+')} of ${t2.added.join('+')}`));
    assert.deepEqual(thresholdHints({ ...summary, tasks: summary.tasks.slice(0, 1) }, 'run'), [], 'nothing after task 1 alone');
  });

  it('experiment problems carry the field and its place in the text', () => {
    const bad = EXPERIMENT.replace('"sigma": 0.02', '"sigma": -0.5').replace('"k": 4', '"kk": 4');
    const { problems, experiment } = checkExperimentText(bad, file);
    assert.equal(experiment, undefined);
    const sigma = problems.find((p) => p.field === 'den.sigma')!;
    assert.match(sigma.message, /den\.sigma .*must be ≥ 0, got -0\.5/);
    assert.equal(bad.slice(sigma.offset, sigma.offset + sigma.length), '-0.5');
    const kk = problems.find((p) => p.field === 'den.kk')!;
    assert.match(kk.message, /unknown field/);
    assert.equal(bad.slice(kk.offset, kk.offset + kk.length), '4');
    const syntax = checkExperimentText('{ "name": "x", ', file).problems;
    assert.match(syntax[0].message, /line 1, column \d+/);
    assert.equal(checkExperimentText(EXPERIMENT, file).problems.length, 0);
  });

  it('warns where the file differs from the run it would continue', () => {
    const latest = runsOfExperiment(readRuns([runDir]), file)[0];
    const changed = EXPERIMENT.replace('"hidden": [24, 12]', '"hidden": [24, 16]');
    const { problems } = checkExperimentText(changed, file, latest);
    const w = problems.find((p) => p.field === 'network')!;
    assert.equal(w.severity, 'warning');
    assert.match(w.message, /network: the experiment has .*16.* was trained with .*12.*Train Next Task" will start a new run/);
    assert.equal(changed.slice(w.offset, w.offset + w.length), '"network"');
  });

  it('checks IDX and CSV data files by their headers', () => {
    const images = path.join(dir, 'img.idx3.gz');
    fs.writeFileSync(images, encodeIdx([2, 2, 2], new Uint8Array(8), true));
    const labels = path.join(dir, 'lab.idx1');
    fs.writeFileSync(labels, encodeIdx([2], new Uint8Array(2)));
    assert.equal(idxHeaderProblem(images, 3), null);
    assert.equal(idxHeaderProblem(labels, 1), null);
    assert.match(idxHeaderProblem(labels, 3)!, /has 1 dimensions; images need 3/);
    assert.match(idxHeaderProblem(path.join(dir, 'nope.gz'), 3)!, /file not found/);
    const junk = path.join(dir, 'junk.gz');
    fs.writeFileSync(junk, zlib.gzipSync(Buffer.from('hello world')));
    assert.match(idxHeaderProblem(junk, 3)!, /bad magic number/);
    const csv = path.join(dir, 'd.csv');
    fs.writeFileSync(csv, 'label,a,b\n1,0.5,0.2\n');
    assert.equal(csvHeaderProblem(csv, 'label'), null);
    assert.match(csvHeaderProblem(csv, 'y')!, /no column 'y' \(columns: label, a, b\)/);
    const text = JSON.stringify({ name: 'x', data: { source: 'idx', trainImages: 'img.idx3.gz', trainLabels: 'missing.idx1' } });
    const { problems } = checkExperimentText(text, file);
    assert.equal(problems.length, 1);
    assert.equal(problems[0].field, 'data.trainLabels');
    assert.equal(text.slice(problems[0].offset, problems[0].offset + problems[0].length), '"missing.idx1"');
  });

  it('threshold edits keep comments, and invalid values are refused with the schema message', () => {
    assert.equal(readThresholds(EXPERIMENT, 'x').values!.sigma, 0.02);
    const edited = editThreshold(EXPERIMENT, 'x', 'sigma', 0.1);
    assert.ok(edited.text!.includes('"sigma": 0.1, // split'), 'the comment stays');
    assert.equal(readThresholds(edited.text!, 'x').values!.sigma, 0.1);
    const epochs = editThreshold(EXPERIMENT, 'x', 'epochs', 3);
    const root = parseTree(epochs.text!)!;
    assert.equal(findNodeAtLocation(root, ['training', 'epochs'])!.value, 3);
    const added = editThreshold(EXPERIMENT, 'x', 'lambda', 2);
    assert.equal(readThresholds(added.text!, 'x').values!.lambda, 2, 'a field not in the file is added');
    const bad = editThreshold(EXPERIMENT, 'x', 'k', 2.5);
    assert.equal(bad.text, null);
    assert.match(bad.problems[0].message, /den\.k .*must be an integer/);
  });

  it('a threshold edit is one minimal edit of the value; an invalid file is read as written, with its problems', () => {
    const edited = editThreshold(EXPERIMENT, 'x', 'sigma', 0.1);
    assert.deepEqual(edited.edits, [{ offset: EXPERIMENT.indexOf('0.02, // split'), length: '0.02'.length, content: '0.1' }]);
    const invalid = EXPERIMENT.replace('"k": 4', '"k": -3');
    const read = readThresholds(invalid, 'x');
    assert.equal(read.values!.k, -3, 'the value as written');
    assert.equal(read.values!.sigma, 0.02);
    assert.equal(read.values!.mu, defaultExperiment('x').den.mu, 'a field the file leaves out: its default');
    assert.deepEqual(read.problems.map((p) => p.field), ['den.k']);
    assert.match(read.problems[0].message, /^den\.k \[k \(units added per layer\)\]: must be ≥ 0 and ≤ 4096, got -3$/, 'the range stated once');
    assert.equal(readThresholds('{ "den": ', 'x').values, null, 'no values from text that is not JSON');
  });

  it('leaves syntax and schema errors to the JSON language service, and keeps its own', () => {
    const schema = checkExperimentText(EXPERIMENT.replace('"k": 4', '"k": -3'), file).problems;
    assert.deepEqual(schema.map((p) => [p.field, p.inSchema]), [['den.k', true]]);
    const syntax = checkExperimentText(EXPERIMENT.replace('"k": 4', '"k": 4,,'), file).problems;
    assert.ok(syntax.length && syntax.every((p) => p.inSchema));
    const crossField = checkExperimentText(EXPERIMENT.replace('"k": 4', '"k": 4, "gamma": [0.1, 0.1, 0.1]'), file).problems;
    assert.deepEqual(crossField.map((p) => [p.field, p.inSchema]), [['den.gamma', false]]);
  });

  it('flags a threshold that would decide nothing, by what the latest run observed', () => {
    const exp = withAbsolutePaths(validateExperiment(parseExperimentText(EXPERIMENT)), dir);
    const later = summary.tasks.filter((t) => t.tauStatistic !== null);
    const lo = Math.min(...later.map((t) => t.tauStatistic!));
    const hi = Math.max(...later.map((t) => t.tauStatistic!));
    const drift = Math.max(...summary.tasks.flatMap((t) => t.maxDrift ?? []));
    const withDen = (den: object) => ({ ...exp, den: { ...exp.den, ...den } });
    assert.deepEqual(inertThresholds(withDen({ tau: lo * 0.9, sigma: drift }), summary, 'r'), [], 'a near miss is not inert');
    const below = inertThresholds(withDen({ tau: lo / 3, sigma: drift }), summary, 'r');
    assert.deepEqual(below.map((p) => p.field), ['den.tau']);
    assert.match(below[0].message, /far below every τ statistic of run r .*every task would expand/);
    assert.match(inertThresholds(withDen({ tau: hi * 3, sigma: drift }), summary, 'r')[0].message, /no task would expand, so k, μ and γ do nothing/);
    assert.match(inertThresholds(withDen({ tau: lo, sigma: drift * 3 }), summary, 'r')[0].message, /den\.sigma: .* far above every drift ρ .*no unit would split/);
    assert.deepEqual(inertThresholds({ ...withDen({ tau: lo / 3 }), method: 'finetune' }, summary, 'r'), [], 'not for a method without τ');
  });

  it('a hover gives the meaning, default, range and what the latest run observed', () => {
    const run = runsOfExperiment(readRuns([runDir]), file)[0];
    const tau = fieldHover('den.tau', run)!;
    assert.match(tau, /^\*\*τ \(expansion threshold\)\*\* — expand when the loss after selective retraining is above τ/);
    assert.match(tau, new RegExp(`Default: \`${defaultExperiment('x').den.tau}\``));
    assert.match(tau, /Allowed: ≥ 0/);
    assert.match(tau, /Latest run \(logic · [^)]+\): `0\.01`/);
    assert.match(tau, new RegExp(`task 2 ${short(run.summary!.tasks[1].tauStatistic!).replace('.', '\\.')}`));
    assert.match(fieldHover('den.gamma', undefined)!, /Allowed: ≥ 0 and ≤ 10/);
    assert.match(fieldHover('training.learningRate', undefined)!, /Allowed: > 0 and ≤ 10/);
    assert.equal(fieldHover('den.nonsense', run), undefined);
  });

  it('a layer row says what happened, leaving out what did not', () => {
    assert.equal(layerChange(312, 25, 3, 2), '312 units · +25 new · 3 pruned · 2 split');
    assert.equal(layerChange(128, 0, 0, 0), '128 units');
    assert.equal(layerChange(130, 2, 0, 0), '130 units · +2 new');
  });

  it('exports metrics as CSV with a row per task and the R matrix', () => {
    const csv = metricsCsv(summary).trim().split('\n');
    assert.equal(csv[0].split(',')[0], 'task');
    assert.equal(csv.filter((l) => /^\d+,permuted-\d,/.test(l)).length, 2);
    assert.ok(csv.some((l) => l.startsWith(`ACC,${summary.acc}`)));
    assert.ok(csv.some((l) => l.startsWith('after 2,')));
  });

  it('"New Experiment" writes a commented file whose values are exactly the defaults', () => {
    const text = experimentTemplate('fresh');
    assert.ok(text.includes('// τ: expand when'), 'commented');
    assert.deepEqual(validateExperiment(parseExperimentText(text)), defaultExperiment('fresh'));
  });
});
