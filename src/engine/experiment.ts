// The experiment file: a JSON document (comments allowed) validated against
// media/experiment.schema.json, the single description of every field, its default and its range.
import Ajv, { ErrorObject } from 'ajv';
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseJsonc, ParseError, printParseErrorCode } from 'jsonc-parser';
import schema from '../../media/experiment.schema.json';

export type BackendChoice = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export type LossKind = 'sigmoid-bce-sum' | 'sigmoid-bce' | 'softmax-ce';
export type TauStatistic = 'train' | 'validation' | 'last-batch';
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
    readonly problems: { path: string; message: string; offset?: number }[] = [],
  ) {
    super(message);
    this.name = 'ExperimentError';
  }
}

export const experimentSchema = schema;

const ajv = new Ajv({ allErrors: true, useDefaults: true, discriminator: true, strict: false });
const validateSchema = ajv.compile(schema);

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

function describeRange(node: SchemaNode | undefined): string {
  if (!node) return '';
  const lo = node.exclusiveMinimum !== undefined ? `> ${node.exclusiveMinimum}` : node.minimum !== undefined ? `≥ ${node.minimum}` : '';
  const hi = node.exclusiveMaximum !== undefined ? `< ${node.exclusiveMaximum}` : node.maximum !== undefined ? `≤ ${node.maximum}` : '';
  const parts = [lo, hi].filter(Boolean);
  return parts.length ? ` (allowed: ${parts.join(' and ')})` : '';
}

function valueAt(pointer: string, data: unknown): unknown {
  let v: any = data;
  for (const key of pointer.split('/').slice(1)) v = v?.[key];
  return v;
}

/** One readable line per schema error, e.g. "den.sigma: must be >= 0, got -1 (allowed: ≥ 0)". */
function formatSchemaError(e: ErrorObject, data: unknown): { path: string; message: string } {
  const field = e.instancePath.split('/').slice(1).join('.');
  const where = field || '(top level)';
  const node = schemaAt(e.instancePath, data);
  const title = node?.title && node.title !== field.split('.').pop() ? ` [${node.title}]` : '';
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      const parent = schemaAt(e.instancePath, data) as any;
      const allowed = parent?.properties ? Object.keys(parent.properties).filter((k) => k !== '$schema') : [];
      const full = field ? `${field}.${extra}` : extra;
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
      return { path: full, message: `${full}: must be one of ${options}, got ${JSON.stringify(valueAt(e.instancePath + '/' + tag, data))}` };
    }
    case 'oneOf': {
      const alternatives = ((node as any)?.oneOf ?? []).map((b: any) => (b.type === 'array' ? `an array of ${b.items?.type ?? 'values'}s` : `a ${b.type}`));
      return { path: field, message: `${where}${title}: must be ${alternatives.join(' or ')}, got ${JSON.stringify(valueAt(e.instancePath, data))}` };
    }
    case 'enum':
      return {
        path: field,
        message: `${where}${title}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(valueAt(e.instancePath, data))}`,
      };
    default:
      return {
        path: field,
        message: `${where}${title}: ${e.message}, got ${JSON.stringify(valueAt(e.instancePath, data))}${describeRange(byShape(node, valueAt(e.instancePath, data)))}`,
      };
  }
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
    throw new ExperimentError(`${label}: the experiment must be a JSON object`, [{ path: '', message: 'must be a JSON object' }]);
  }
  if (!validateSchema(data)) {
    const errors = validateSchema.errors ?? [];
    // A failed oneOf also reports why every branch failed; the discriminated branch's errors are
    // the useful ones. A oneOf with nothing more specific under it is reported as a whole.
    const specific = errors.filter((e) => e.keyword !== 'oneOf' && !e.schemaPath.includes('/oneOf/') && e.keyword !== 'const');
    const branchErrors = errors.filter((e) => e.schemaPath.includes('/oneOf/') && e.keyword !== 'type' && e.keyword !== 'const');
    const useful = [...specific, ...branchErrors];
    for (const e of errors) {
      if (e.keyword === 'oneOf' && !useful.some((u) => u.instancePath.startsWith(e.instancePath))) useful.push(e);
    }
    const seen = new Set<string>();
    const problems = useful
      .map((e) => formatSchemaError(e, data))
      .filter((p) => (seen.has(p.message) ? false : (seen.add(p.message), true)));
    throw new ExperimentError(`${label}: ${problems.map((p) => p.message).join('; ')}`, problems);
  }
  const exp = data as unknown as Experiment;
  fillDataDefaults(exp.data);
  const extra = crossFieldProblems(exp);
  if (extra.length) throw new ExperimentError(`${label}: ${extra.map((p) => p.message).join('; ')}`, extra);
  return exp;
}

/** Parses JSON with comments; syntax errors name the line and column. */
export function parseExperimentText(text: string, label = 'experiment'): unknown {
  const errors: ParseError[] = [];
  const value = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length) {
    const problems = errors.map((e) => {
      const before = text.slice(0, e.offset);
      const line = before.split('\n').length;
      const col = e.offset - before.lastIndexOf('\n');
      return { path: '', offset: e.offset, message: `line ${line}, column ${col}: ${printParseErrorCode(e.error)}` };
    });
    throw new ExperimentError(`${label}: not valid JSON: ${problems.map((p) => p.message).join('; ')}`, problems);
  }
  return value;
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
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    throw new ExperimentError(`${file}: cannot read the experiment file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const experiment = validateExperiment(parseExperimentText(text, file), file);
  return { experiment, file: abs, dir: path.dirname(abs) };
}

/** The defaults of every field, as a complete experiment (used by `New Experiment` and tests). */
export function defaultExperiment(name = 'experiment'): Experiment {
  return validateExperiment({ name });
}

/** The experiment with its data file paths made absolute, so that a run's copy is usable on its own. */
export function withAbsolutePaths(exp: Experiment, dir: string): Experiment {
  const data = { ...exp.data } as Record<string, unknown>;
  for (const key of ['trainImages', 'trainLabels', 'testImages', 'testLabels', 'train', 'test']) {
    if (typeof data[key] === 'string') data[key] = path.resolve(dir, data[key] as string);
  }
  return { ...exp, data: data as unknown as DataConfig };
}

/**
 * Fields a run cannot change between tasks (the data, the task stream, the network it started
 * with, the method). Returns one message per field that differs; empty when compatible.
 */
export function incompatibilities(run: Experiment, current: Experiment, runLabel: string): string[] {
  const fixed: (keyof Experiment)[] = ['method', 'data', 'tasks', 'network'];
  return fixed
    .filter((key) => JSON.stringify(run[key]) !== JSON.stringify(current[key]))
    .map(
      (key) =>
        `${key}: the experiment has ${JSON.stringify(current[key])} but the run ${runLabel} was trained with ${JSON.stringify(run[key])}; ` +
        `a run keeps its ${key} from task to task, so restore it or start a new run`,
    );
}
