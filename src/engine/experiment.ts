// The experiment file: a JSON document (comments allowed) validated against
// media/experiment.schema.json, the single description of every field, its default and its range.
import Ajv, { ErrorObject } from 'ajv';
import * as fs from 'fs';
import * as path from 'path';
import { createScanner, ParseError, printParseErrorCode, SyntaxKind, visit } from 'jsonc-parser';
import schema from '../../media/experiment.schema.json';
import { comparablePath } from './run/runPaths';

export type BackendChoice = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export type LossKind = 'sigmoid-bce-sum' | 'sigmoid-bce' | 'softmax-ce';
import type { TauStatistic } from '../common/protocol';
export type { TauStatistic };
export type ProximalScale = 'adam' | 'lr-scaled' | 'per-step';

interface DataCommon {
  seed: number;
  limit?: number;
  testFraction: number;
  validationFraction: number;
}
export interface MnistSource extends DataCommon {
  source: 'mnist';
}
export interface IdxSource extends DataCommon {
  source: 'idx';
  trainImages: string;
  trainLabels: string;
  testImages?: string;
  testLabels?: string;
}
export interface CsvSource extends DataCommon {
  source: 'csv';
  train: string;
  test?: string;
  labelColumn: string;
  imageShape?: [number, number];
}
export type DataConfig = MnistSource | IdxSource | CsvSource;

export type TaskStreamConfig =
  | { type: 'permuted'; count: number }
  | { type: 'split'; groups: number[][] }
  | { type: 'one-vs-rest'; classes?: number[] }
  | { type: 'rotated'; angles: number[] };

export interface DenConfig {
  tau: number;
  sigma: number;
  k: number;
  mu: number;
  firstTaskMu: number;
  gamma: number | number[];
  proximal: ProximalScale;
  lambda: number;
  driftBias: boolean;
  weightDecay: number;
  zeroEps: number;
  sparseHeadSteps: number;
  tauStatistic: TauStatistic;
  splitOnlyAfterExpansion: boolean;
  maxSplitPerLayer: number | null;
  selectAllInputs: boolean;
  subnetworkWeights: 'all' | 'non-zero';
  retrainEpochs: number | null;
}

export interface BaselinesConfig {
  l2Lambda: number;
  ewcLambda: number;
  fisherSamples: number;
  progressiveWidth: number;
}

/** Every learning method, as named in the experiment's `method` and the CLI's --method. */
export const METHODS = ['den', 'den-no-timestamps', 'den-constant', 'den-no-split', 'finetune', 'l2', 'ewc', 'stl', 'joint', 'progressive'] as const;
export type MethodName = (typeof METHODS)[number];

export interface TrainingConfig {
  epochs: number;
  steps: number | null;
  batchSize: number;
  learningRate: number;
  lrDecay: number;
  decoupledWeightDecay: boolean;
  seed: number;
  lossEvery: number;
}

/** A validated experiment with every default filled in. */
export interface Experiment {
  name: string;
  method: MethodName;
  backend: BackendChoice;
  data: DataConfig;
  tasks: TaskStreamConfig;
  network: { hidden: number[]; loss: LossKind };
  den: DenConfig;
  baselines: BaselinesConfig;
  training: TrainingConfig;
}

/** An experiment file that cannot be used; the message names the file and the field. */
export class ExperimentError extends Error {
  constructor(
    message: string,
    /** Problems one by one, each with a JSON path like `den.sigma` (empty for syntax errors). */
    /** `inSchema`: a syntax or schema error, which a JSON editor checking the schema reports by itself. */
    readonly problems: { path: string; message: string; offset?: number; inSchema?: boolean }[] = [],
  ) {
    super(message);
    this.name = 'ExperimentError';
  }
}

export const experimentSchema = schema;

// strictNumbers: NaN and ±Infinity (JSON's 1e309) are not numbers here, so a run never gets a null back.
const ajv = new Ajv({ allErrors: true, useDefaults: true, discriminator: true, strict: false, strictNumbers: true });
const validateSchema = ajv.compile(schema);

/** Limits that keep a hostile or mistaken file from costing time or memory (an experiment is a few KB, a few levels deep). */
export const EXPERIMENT_LIMITS = { bytes: 1 << 20, depth: 20, problems: 8, valueChars: 60 };

type SchemaNode = { title?: string; minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number };

/** The branch of a oneOf without a discriminator (den.gamma: a number or a list) that fits the value's shape. */
const byShape = (node: any, value: unknown) =>
  node?.oneOf && !node.discriminator ? (node.oneOf.find((b: any) => (b.type === 'array') === Array.isArray(value)) ?? node) : node;

/** Looks up the schema node for a JSON pointer of the data, following $ref and the discriminated branch. */
function schemaAt(pointer: string, data: unknown): SchemaNode | undefined {
  let node: any = schema;
  let value: any = data;
  for (const key of pointer.split('/').slice(1)) {
    if (node?.$ref) node = (schema as any).definitions[node.$ref.split('/').pop()];
    if (node?.oneOf && node.discriminator) {
      const tag = value?.[node.discriminator.propertyName];
      node = node.oneOf.find((b: any) => b.properties?.[node.discriminator.propertyName]?.const === tag) ?? node;
    }
    node = byShape(node, value);
    node = node?.properties?.[key] ?? node?.items;
    value = value?.[key];
  }
  if (node?.$ref) node = (schema as any).definitions[node.$ref.split('/').pop()];
  return node;
}

/** The schema node at an Ajv schemaPath such as `#/properties/tasks/oneOf/0`. */
function schemaByPath(schemaPath: string): any {
  let node: any = schema;
  for (const key of schemaPath.split('/').slice(1)) node = node?.[key];
  return node;
}

/** A number field's bounds in words ("≥ 0 and ≤ 10"), or '' when it has none. */
export function rangeWords(node: SchemaNode | undefined): string {
  if (!node) return '';
  const lo = node.exclusiveMinimum !== undefined ? `> ${node.exclusiveMinimum}` : node.minimum !== undefined ? `≥ ${node.minimum}` : '';
  const hi = node.exclusiveMaximum !== undefined ? `< ${node.exclusiveMaximum}` : node.maximum !== undefined ? `≤ ${node.maximum}` : '';
  return [lo, hi].filter(Boolean).join(' and ');
}

function describeRange(node: SchemaNode | undefined): string {
  const words = rangeWords(node);
  return words ? ` (allowed: ${words})` : '';
}

const RANGE_KEYWORDS = new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']);

/** The schema node of a field by its dotted path ('den.tau'), for hovers and hints. */
export function fieldSchema(field: string): (SchemaNode & { description?: string; default?: unknown; oneOf?: SchemaNode[]; type?: string }) | undefined {
  return schemaAt(field ? '/' + field.split('.').join('/') : '', {}) as never;
}

function valueAt(pointer: string, data: unknown): unknown {
  let v: any = data;
  for (const key of pointer.split('/').slice(1)) v = v?.[key];
  return v;
}

/** A value as a message shows it: short, on one line, and saying what JSON cannot (1e309 became Infinity). */
export function showValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : `a ${v < 0 ? 'negative ' : ''}number too large to represent (${v})`;
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- String() only for what JSON cannot show (a function, a symbol)
  const text = JSON.stringify(v) ?? String(v);
  return text.length > EXPERIMENT_LIMITS.valueChars ? `${text.slice(0, EXPERIMENT_LIMITS.valueChars)}… (${text.length} characters)` : text;
}

/** One readable line per schema error, e.g. "den.sigma: must be ≥ 0, got -1". */
function formatSchemaError(e: ErrorObject, data: unknown): { path: string; message: string } {
  const field = e.instancePath.split('/').slice(1).join('.');
  const where = field || '(top level)';
  const node = schemaAt(e.instancePath, data);
  const title = node?.title && node.title !== field.split('.').pop() ? ` [${node.title}]` : '';
  const got = showValue(valueAt(e.instancePath, data));
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      const parent = schemaAt(e.instancePath, data) as any;
      const allowed = parent?.properties ? Object.keys(parent.properties).filter((k) => k !== '$schema') : [];
      const full = field ? `${field}.${showKey(extra)}` : showKey(extra);
      return { path: full, message: `${full}: unknown field${allowed.length ? `; allowed here: ${allowed.join(', ')}` : ''}` };
    }
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      const full = field ? `${field}.${missing}` : missing;
      return { path: full, message: `${full}: required field is missing` };
    }
    case 'discriminator': {
      const tag = (e.params as { tag: string }).tag;
      const parent = schemaAt(e.instancePath, data) as any;
      const options = parent?.oneOf?.map((b: any) => JSON.stringify(b.properties?.[tag]?.const)).join(', ');
      const full = field ? `${field}.${tag}` : tag;
      const value = valueAt(e.instancePath + '/' + tag, data);
      return { path: full, message: `${full}: ${value === undefined ? 'required field is missing; it must be' : 'must be'} one of ${options}${value === undefined ? '' : `, got ${showValue(value)}`}` };
    }
    case 'oneOf': {
      const alternatives = ((node as any)?.oneOf ?? []).map((b: any) => (b.type === 'array' ? `an array of ${b.items?.type ?? 'value'}s${describeRange(b.items)}` : `a ${b.type}${describeRange(b)}`));
      return { path: field, message: `${where}${title}: must be ${alternatives.join(' or ')}, got ${got}` };
    }
    case 'enum':
      return {
        path: field,
        message: `${where}${title}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}, got ${got}`,
      };
    case 'type': {
      const types = ([] as string[]).concat((e.params as { type: string | string[] }).type).map((t) => (t === 'number' ? 'a finite number' : t === 'integer' ? 'an integer' : t === 'null' ? 'null' : `a${/^[aeiou]/.test(t) ? 'n' : ''} ${t}`));
      return { path: field, message: `${where}${title}: must be ${types.join(' or ')}, got ${got}${describeRange(byShape(node, valueAt(e.instancePath, data)))}` };
    }
    default: {
      const shaped = byShape(node, valueAt(e.instancePath, data));
      // a bound broken: the allowed range says it once ("must be ≥ 0 and ≤ 10, got 20")
      if (RANGE_KEYWORDS.has(e.keyword) && rangeWords(shaped)) return { path: field, message: `${where}${title}: must be ${rangeWords(shaped)}, got ${got}` };
      return { path: field, message: `${where}${title}: ${e.message}, got ${got}${describeRange(shaped)}` };
    }
  }
}

const showKey = (key: string) => (/^[\w$-]+$/.test(key) ? key : JSON.stringify(key));

/**
 * The errors worth showing. Inside a discriminated oneOf (data by `source`, tasks by `type`) Ajv
 * validates only the chosen variant, so its errors are the user's and are all kept. Inside a plain
 * oneOf (den.gamma: a number or a list), the alternative with the value's shape says what is wrong
 * with it (a range, an element); if the shape itself is wrong, the oneOf error alone says what is
 * allowed.
 */
function usefulErrors(errors: ErrorObject[], data: unknown): ErrorObject[] {
  const kept = errors.filter((e) => {
    const at = e.schemaPath.lastIndexOf('/oneOf/');
    if (at < 0) return true;
    const prefix = e.schemaPath.slice(0, at);
    const holder = schemaByPath(prefix);
    if (holder?.discriminator) return true;
    const whole = errors.find((o) => o.keyword === 'oneOf' && o.schemaPath === `${prefix}/oneOf`);
    const branch = holder?.oneOf?.[Number(e.schemaPath.slice(at + '/oneOf/'.length).split('/')[0])];
    const shapeError = e.keyword === 'type' && e.instancePath === whole?.instancePath;
    return !shapeError && branch === byShape(holder, valueAt(whole?.instancePath ?? e.instancePath, data));
  });
  return kept.filter(
    (e) =>
      // a oneOf error only when nothing under it says more
      !(e.keyword === 'oneOf' && kept.some((k) => k !== e && k.schemaPath.startsWith(`${e.schemaPath}/`))) &&
      // a missing tag is reported once, by the discriminator error that also lists the variants
      !(e.keyword === 'required' && kept.some((d) => d.keyword === 'discriminator' && d.instancePath === e.instancePath && (d.params as { tag: string }).tag === (e.params as { missingProperty: string }).missingProperty)),
  );
}

/** One message for many problems: the first few, then how many more. */
function joinProblems(label: string, problems: { message: string }[]): string {
  const shown = problems.slice(0, EXPERIMENT_LIMITS.problems).map((p) => p.message);
  const more = problems.length - shown.length;
  return `${label}: ${shown.join('; ')}${more > 0 ? `; and ${more} more problem${more > 1 ? 's' : ''}` : ''}`;
}

/** Ajv does not apply defaults behind $ref, so the data fields shared by every source get theirs here. */
function fillDataDefaults(data: DataConfig): void {
  const defs = schema.definitions as Record<string, { default?: unknown }>;
  const target = data as unknown as Record<string, unknown>;
  for (const [field, def] of [['seed', 'dataSeed'], ['testFraction', 'testFraction'], ['validationFraction', 'validationFraction']]) {
    if (target[field] === undefined) target[field] = defs[def].default;
  }
}

/** Checks what the schema cannot express: relations between fields. */
function crossFieldProblems(exp: Experiment): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (Array.isArray(exp.den.gamma) && exp.den.gamma.length !== exp.network.hidden.length) {
    problems.push({
      path: 'den.gamma',
      message: `den.gamma: has ${exp.den.gamma.length} values but network.hidden has ${exp.network.hidden.length} layers; give one γ per hidden layer or a single number`,
    });
  }
  if (exp.data.testFraction + (1 - exp.data.testFraction) * exp.data.validationFraction >= 0.95) {
    problems.push({ path: 'data.validationFraction', message: 'data.validationFraction: together with data.testFraction it leaves less than 5% of the examples for training' });
  }
  if (exp.tasks.type === 'split') {
    const seen = new Set<number>();
    exp.tasks.groups.forEach((g, i) =>
      g.forEach((c) => {
        if (seen.has(c)) problems.push({ path: `tasks.groups.${i}`, message: `tasks.groups[${i}]: class ${c} appears in more than one group` });
        seen.add(c);
      }),
    );
  }
  if (exp.tasks.type === 'rotated' && exp.data.source === 'csv' && !exp.data.imageShape) {
    problems.push({ path: 'data.imageShape', message: 'data.imageShape: rotated tasks need the image shape [height, width] of the CSV features' });
  }
  return problems;
}

/** Validates a parsed experiment object, fills defaults, and returns it. `label` names the file in errors. */
export function validateExperiment(raw: unknown, label = 'experiment'): Experiment {
  const data = structuredClone(raw);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ExperimentError(`${label}: the experiment must be a JSON object`, [{ path: '', message: 'must be a JSON object', inSchema: true }]);
  }
  if (!validateSchema(data)) {
    const seen = new Set<string>();
    const problems = usefulErrors(validateSchema.errors ?? [], data)
      .map((e) => ({ ...formatSchemaError(e, data), inSchema: true }))
      .filter((p) => (seen.has(p.message) ? false : (seen.add(p.message), true)));
    if (!problems.length) problems.push({ path: '', message: 'does not match the experiment schema', inSchema: true }); // never an empty message
    throw new ExperimentError(joinProblems(label, problems), problems);
  }
  const exp = data as unknown as Experiment;
  fillDataDefaults(exp.data);
  const extra = crossFieldProblems(exp);
  if (extra.length) throw new ExperimentError(joinProblems(label, extra), extra);
  return exp;
}

/** "line 3, column 7" for an offset of the text. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  return `line ${before.split('\n').length}, column ${offset - before.lastIndexOf('\n')}`;
}

/** The first place where the text nests deeper than the limit (a linear scan, no recursion), or -1. */
function tooDeepAt(text: string): number {
  const scanner = createScanner(text, true);
  let depth = 0;
  for (let token = scanner.scan(); token !== SyntaxKind.EOF; token = scanner.scan()) {
    if (token === SyntaxKind.OpenBraceToken || token === SyntaxKind.OpenBracketToken) {
      if (++depth > EXPERIMENT_LIMITS.depth) return scanner.getTokenOffset();
    } else if (token === SyntaxKind.CloseBraceToken || token === SyntaxKind.CloseBracketToken) depth--;
  }
  return -1;
}

/**
 * Parses JSON with comments; syntax errors name the line and column. A UTF-8 byte-order mark is
 * skipped (Windows PowerShell 5 writes one). Every key becomes an own property: `"__proto__"` is a
 * field like any other (and so an unknown one), never the object's prototype.
 */
export function parseExperimentText(text: string, label = 'experiment'): unknown {
  const fail = (message: string, offset?: number): never => {
    throw new ExperimentError(`${label}: ${message}`, [{ path: '', offset, message }]);
  };
  if (text.length > EXPERIMENT_LIMITS.bytes) fail(`the file is ${(text.length / (1 << 20)).toFixed(1)} MB; an experiment file is at most ${EXPERIMENT_LIMITS.bytes >> 20} MB (its data belong in data files)`, 0);
  if (text.charCodeAt(0) === 0xfeff) text = ' ' + text.slice(1); // same offsets, valid JSON
  const deep = tooDeepAt(text);
  if (deep >= 0) fail(`${lineColumn(text, deep)}: nested more than ${EXPERIMENT_LIMITS.depth} levels deep; an experiment is a few levels deep`, deep);

  const errors: ParseError[] = [];
  let root: unknown;
  const parents: (Record<string, unknown> | unknown[])[] = [];
  let key: string | null = null;
  const add = (value: unknown) => {
    const parent = parents[parents.length - 1];
    if (!parent) root = value;
    else if (Array.isArray(parent)) parent.push(value);
    else if (key !== null) Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
  };
  visit(
    text,
    {
      onObjectBegin: () => {
        const obj = {};
        add(obj);
        parents.push(obj);
        key = null;
      },
      onObjectProperty: (name) => (key = name),
      onObjectEnd: () => void parents.pop(),
      onArrayBegin: () => {
        const arr: unknown[] = [];
        add(arr);
        parents.push(arr);
      },
      onArrayEnd: () => void parents.pop(),
      onLiteralValue: add,
      onError: (error, offset, length) => errors.push({ error, offset, length }),
    },
    { allowTrailingComma: true, disallowComments: false },
  );
  if (errors.length) {
    const problems = errors.slice(0, EXPERIMENT_LIMITS.problems).map((e) => ({ path: '', offset: e.offset, message: `${lineColumn(text, e.offset)}: ${printParseErrorCode(e.error)}`, inSchema: true }));
    throw new ExperimentError(joinProblems(`${label}: not valid JSON`, problems), problems);
  }
  return root;
}

/** The text of an experiment file, which must be UTF-8 (a BOM is fine) and not larger than the limit. */
function readExperimentText(abs: string, file: string): string {
  let bytes: Buffer;
  try {
    const size = fs.statSync(abs).size;
    if (size > EXPERIMENT_LIMITS.bytes) {
      throw new ExperimentError(`${file}: the file is ${(size / (1 << 20)).toFixed(1)} MB; an experiment file is at most ${EXPERIMENT_LIMITS.bytes >> 20} MB (its data belong in data files)`);
    }
    bytes = fs.readFileSync(abs);
  } catch (err) {
    if (err instanceof ExperimentError) throw err;
    throw new ExperimentError(`${file}: cannot read the experiment file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new ExperimentError(`${file}: the file is UTF-16; save it as UTF-8 (e.g. Out-File -Encoding utf8, or the editor's "Save with Encoding")`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const text = bytes.toString('utf8');
    throw new ExperimentError(`${file}: not valid UTF-8 text (first bad byte near ${lineColumn(text, text.indexOf('\uFFFD'))}); save it as UTF-8`);
  }
}

/** Where an experiment came from: relative data paths resolve against `dir`. */
export interface LoadedExperiment {
  experiment: Experiment;
  file: string;
  dir: string;
}

/** Reads, parses and validates an experiment file. */
export function loadExperiment(file: string): LoadedExperiment {
  const abs = path.resolve(file);
  const experiment = validateExperiment(parseExperimentText(readExperimentText(abs, file), file), file);
  return { experiment, file: abs, dir: path.dirname(abs) };
}

/** The defaults of every field, as a complete experiment (used by `New Experiment` and tests). */
export function defaultExperiment(name = 'experiment'): Experiment {
  return validateExperiment({ name });
}

/** The data file fields of an experiment. */
export const DATA_PATH_FIELDS = ['trainImages', 'trainLabels', 'testImages', 'testLabels', 'train', 'test'] as const;

/** A copy of an experiment (or of anything shaped like one) with `fn` applied to its data file paths. */
export function mapDataPaths<T>(experiment: T, fn: (p: string) => string): T {
  const data = (experiment as { data?: Record<string, unknown> } | null)?.data;
  if (!data || typeof data !== 'object') return experiment;
  const mapped = { ...data };
  for (const key of DATA_PATH_FIELDS) if (typeof mapped[key] === 'string') mapped[key] = fn(mapped[key]);
  return { ...experiment, data: mapped };
}

/** The experiment with its data file paths made absolute, so that a run's copy is usable on its own. */
export function withAbsolutePaths(exp: Experiment, dir: string): Experiment {
  return mapDataPaths(exp, (p) => path.resolve(dir, p));
}

/**
 * Fields a run cannot change between tasks (the data, the task stream, the network it started
 * with, the method). Returns one message per field that differs; empty when compatible.
 */
export function incompatibilities(run: Experiment, current: Experiment, runLabel: string): string[] {
  const fixed: (keyof Experiment)[] = ['method', 'data', 'tasks', 'network'];
  // the same data file, however it is spelled (case on Windows, a run moved with its data)
  const comparable = (exp: Experiment) => mapDataPaths(exp, (p) => comparablePath(p));
  const [a, b] = [comparable(run), comparable(current)];
  return fixed
    .filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]))
    .map(
      (key) =>
        `${key}: the experiment has ${JSON.stringify(current[key])} but the run ${runLabel} was trained with ${JSON.stringify(run[key])}; ` +
        `a run keeps its ${key} from task to task, so restore it or start a new run`,
    );
}
