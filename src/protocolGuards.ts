// Runtime checks for every message that crosses a process or webview boundary (see protocol.ts).
// Each returns an error string for a malformed message, or null when it is well-formed; the
// receiver drops a malformed message and logs the reason.
import { THRESHOLD_FIELDS } from './protocol';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInt = (v: unknown): v is number => Number.isInteger(v);
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isNullOr = <T>(check: (v: unknown) => v is T) => (v: unknown): v is T | null => v === null || check(v);
const isArrayOf = <T>(check: (v: unknown) => v is T) => (v: unknown): v is T[] => Array.isArray(v) && v.every(check);

/** Checks `fields` of `msg`; returns the first problem. */
function fields(msg: Obj, spec: Record<string, (v: unknown) => boolean>): string | null {
  for (const [key, check] of Object.entries(spec)) {
    if (!check(msg[key])) return `field '${key}' is missing or malformed (${JSON.stringify(msg[key])?.slice(0, 80)})`;
  }
  return null;
}

function byType(msg: unknown, specs: Record<string, Record<string, (v: unknown) => boolean>>): string | null {
  if (!isObj(msg)) return 'not an object';
  if (!isStr(msg.type)) return "no 'type'";
  const spec = specs[msg.type];
  if (!spec) return `unknown message type '${msg.type}'`;
  const problem = fields(msg, spec);
  return problem ? `'${msg.type}': ${problem}` : null;
}

const isEvent = (v: unknown): boolean => isObj(v) && isStr(v.type);
const isThresholdField = (v: unknown): boolean => isStr(v) && (THRESHOLD_FIELDS as readonly string[]).includes(v);
const isThresholdValue = (v: unknown): boolean => isNum(v) || (Array.isArray(v) && v.length > 0 && v.every(isNum));
const isRunSnapshot = (v: unknown): boolean =>
  isObj(v) && isStr(v.runDir) && isStr(v.label) && (v.summary === null || isObj(v.summary)) && Array.isArray(v.events) && v.events.every(isEvent);
const isThresholds = (v: unknown): boolean => isObj(v) && THRESHOLD_FIELDS.every((f) => isThresholdValue(v[f]));
const isTrainingState = (v: unknown): boolean => isObj(v) && isBool(v.running) && isNullOr(isStr)(v.runDir) && isNullOr(isInt)(v.task);

/** Messages the dashboard sends to the extension host. */
export function checkWebviewToHost(msg: unknown): string | null {
  return byType(msg, {
    ready: {},
    selectRun: { runDir: isStr },
    compareRuns: { runDirs: isArrayOf(isStr) },
    setThreshold: { field: isThresholdField, value: isThresholdValue },
    trainNext: {},
    retrainTask: { task: (v) => isInt(v) && (v as number) >= 1 },
    savePng: { chart: isStr, dataUrl: (v) => isStr(v) && v.startsWith('data:image/png;base64,') },
    exportMetrics: { format: (v) => v === 'csv' || v === 'json' },
    log: { level: (v) => v === 'info' || v === 'warn' || v === 'error', message: isStr },
  });
}

/** Messages the extension host sends to the dashboard. */
export function checkHostToWebview(msg: unknown): string | null {
  return byType(msg, {
    snapshot: {
      runs: isArrayOf((r): r is Obj => isObj(r) && isStr(r.runDir) && isStr(r.label)),
      run: (v) => v === null || isRunSnapshot(v),
      compare: (v) => Array.isArray(v) && v.every(isRunSnapshot),
      experimentFile: isNullOr(isStr),
      thresholds: (v) => v === null || isThresholds(v),
      training: isTrainingState,
    },
    events: { runDir: isStr, events: (v) => Array.isArray(v) && v.every(isEvent) },
    thresholds: {
      experimentFile: isStr,
      values: (v) => v === null || isThresholds(v),
      problems: isArrayOf((p): p is Obj => isObj(p) && isStr(p.field) && isStr(p.message)),
    },
    training: { running: isBool, runDir: isNullOr(isStr), task: isNullOr(isInt) },
  });
}

/** Messages the trainer process sends to the extension host. */
export function checkTrainerToHost(msg: unknown): string | null {
  return byType(msg, {
    ready: { pid: isInt, node: isStr },
    event: { event: isEvent },
    done: { runDir: isStr, cancelled: isBool, summary: isObj },
    failed: { name: isStr, message: isStr },
    log: { level: (v) => v === 'info' || v === 'warn' || v === 'error', message: isStr },
  });
}

/** Messages the extension host sends to the trainer process. */
export function checkHostToTrainer(msg: unknown): string | null {
  return byType(msg, {
    train: { job: (v) => isObj(v) && isStr(v.experimentFile) },
    cancel: {},
    shutdown: {},
  });
}
