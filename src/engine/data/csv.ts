// CSV data: a header row, one integer label column, numeric feature columns. Features are
// min-max scaled to [0,1] with the training file's statistics, so a test file is scaled the same way.
import * as path from 'path';
import { CsvSource } from '../experiment';
import { DataError, Dataset, readDataFile } from './dataset';

export interface ParsedCsv {
  /** Raw (unscaled) feature values, row-major count×features. */
  x: Float32Array;
  labels: Int32Array;
  count: number;
  features: number;
  /** Names of the feature columns, in order (the label column excluded). */
  columns: string[];
}

/**
 * Calls onRecord for every non-blank record with its 1-based starting line. RFC 4180 basics:
 * quoted fields may hold commas, newlines and doubled quotes. Lines without quotes take a fast path
 * (split on commas), which matters for image CSVs with hundreds of columns.
 */
function forEachRecord(text: string, file: string, onRecord: (fields: string[], line: number) => void): void {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0; // byte-order mark written by some editors
  let line = 1;
  const n = text.length;
  while (pos < n) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = n;
    const raw = text.slice(pos, eol);
    if (!raw.includes('"')) {
      const content = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (content.trim() !== '') onRecord(content.split(','), line);
      pos = eol + 1;
      line++;
      continue;
    }
    // Quoted field somewhere in this record: scan character by character (may span lines).
    const startLine = line;
    const fields: string[] = [];
    let field = '';
    let i = pos;
    for (;;) {
      if (text[i] === '"' && field === '') {
        i++;
        for (;;) {
          if (i >= n) throw new DataError(`${file}, line ${startLine}: quoted field is never closed (missing ")`);
          const ch = text[i];
          if (ch === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (ch === '\n') line++;
          field += ch;
          i++;
        }
        const next = text[i];
        if (i < n && next !== ',' && next !== '\n' && !(next === '\r' && (text[i + 1] === '\n' || i + 1 === n))) {
          throw new DataError(`${file}, line ${line}: unexpected character ${JSON.stringify(next)} after a closing quote; quotes inside a quoted field must be doubled ("")`);
        }
      } else {
        while (i < n && text[i] !== ',' && text[i] !== '\n') field += text[i++];
        if (field.endsWith('\r') && (i >= n || text[i] === '\n')) field = field.slice(0, -1);
      }
      fields.push(field);
      field = '';
      if (i < n && text[i] === '\r') i++;
      if (i >= n || text[i] === '\n') {
        pos = i + 1;
        line++;
        break;
      }
      i++; // the comma
    }
    onRecord(fields, startLine);
  }
}

function parseNumber(s: string): number {
  const t = s.trim();
  return t === '' ? NaN : Number(t);
}

/** Parses CSV text with a header row; `file` is used in error messages only. */
export function parseCsv(text: string, file: string, labelColumn: string): ParsedCsv {
  let header: string[] | undefined;
  let labelIndex = -1;
  let featureIndex: number[] = [];
  let count = 0;
  let x = new Float32Array(0);
  const labels: number[] = [];
  forEachRecord(text, file, (fields, line) => {
    if (!header) {
      header = fields.map((f) => f.trim());
      labelIndex = header.indexOf(labelColumn);
      if (labelIndex < 0) {
        throw new DataError(`${file}: no label column "${labelColumn}"; the columns are: ${header.join(', ')}. Set data.labelColumn in the experiment to the column holding the class label`);
      }
      featureIndex = header.map((_, i) => i).filter((i) => i !== labelIndex);
      if (featureIndex.length === 0) throw new DataError(`${file}: no feature columns besides the label column "${labelColumn}"`);
      x = new Float32Array(featureIndex.length * 1024);
      return;
    }
    if (fields.length !== header.length) {
      throw new DataError(`${file}, line ${line}: ${fields.length} fields, but the header has ${header.length} columns`);
    }
    const label = parseNumber(fields[labelIndex]);
    if (!Number.isInteger(label) || label < 0 || label > 0x7fffffff) {
      throw new DataError(`${file}, line ${line}, column "${labelColumn}": label ${JSON.stringify(fields[labelIndex])} is not a non-negative integer; class labels must be 0, 1, 2, ...`);
    }
    const f = featureIndex.length;
    if ((count + 1) * f > x.length) {
      // Grow geometrically: the row count is unknown until the end.
      const bigger = new Float32Array(x.length * 2);
      bigger.set(x);
      x = bigger;
    }
    for (let j = 0; j < f; j++) {
      const s = fields[featureIndex[j]];
      const v = parseNumber(s);
      if (!Number.isFinite(v)) {
        throw new DataError(`${file}, line ${line}, column "${header[featureIndex[j]]}": ${JSON.stringify(s)} is not a number; feature columns must be numeric`);
      }
      x[count * f + j] = v;
    }
    labels.push(label);
    count++;
  });
  if (!header) throw new DataError(`${file}: the file is empty; expected a header row with the column names, then one row per example`);
  if (count === 0) throw new DataError(`${file}: no data rows after the header`);
  const features = featureIndex.length;
  return { x: x.slice(0, count * features), labels: Int32Array.from(labels), count, features, columns: featureIndex.map((i) => header![i]) };
}

type Scalable = { x: Float32Array; count: number; features: number };

/**
 * Min-max scales features to [0,1] in place, with each column's min and max over the TRAINING
 * rows (the test set must not influence preprocessing). Constant columns become 0; test values
 * outside the training range are clipped. Returns the statistics used.
 */
export function scaleCsvFeatures(train: Scalable, test?: Scalable): { min: Float64Array; max: Float64Array } {
  const f = train.features;
  if (test && test.features !== f) throw new RangeError(`scaleCsvFeatures: train has ${f} features, test has ${test.features}`);
  const min = new Float64Array(f).fill(Infinity);
  const max = new Float64Array(f).fill(-Infinity);
  for (let r = 0; r < train.count; r++) {
    for (let j = 0; j < f; j++) {
      const v = train.x[r * f + j];
      if (v < min[j]) min[j] = v;
      if (v > max[j]) max[j] = v;
    }
  }
  const apply = (d: Scalable): void => {
    for (let r = 0; r < d.count; r++) {
      for (let j = 0; j < f; j++) {
        const k = r * f + j;
        const range = max[j] - min[j];
        const v = range > 0 ? (d.x[k] - min[j]) / range : 0;
        d.x[k] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
  };
  apply(train);
  if (test) apply(test);
  return { min, max };
}

function readCsv(file: string, field: string, labelColumn: string): ParsedCsv {
  return parseCsv(readDataFile(file, field).toString('utf8'), file, labelColumn);
}

/** Loads the configured CSV file(s); relative paths resolve against baseDir. */
export function loadCsv(config: CsvSource, baseDir: string): { train: Dataset; test?: Dataset } {
  const labelColumn = config.labelColumn ?? 'label';
  const trainFile = path.resolve(baseDir, config.train);
  const train = readCsv(trainFile, 'data.train', labelColumn);
  let test: ParsedCsv | undefined;
  if (config.test) {
    const testFile = path.resolve(baseDir, config.test);
    test = readCsv(testFile, 'data.test', labelColumn);
    if (test.columns.join('\u0000') !== train.columns.join('\u0000')) {
      throw new DataError(`${testFile}: feature columns (${test.columns.join(', ')}) differ from those of ${trainFile} (${train.columns.join(', ')}); train and test files need the same columns`);
    }
  }
  let imageShape: [number, number] | undefined;
  if (config.imageShape) {
    const [h, w] = config.imageShape;
    if (h * w !== train.features) {
      throw new DataError(`${trainFile}: data.imageShape [${h}, ${w}] means ${h * w} pixels, but the file has ${train.features} feature columns; fix data.imageShape`);
    }
    imageShape = [h, w];
  }
  scaleCsvFeatures(train, test);
  const toDataset = (p: ParsedCsv): Dataset => {
    const ds: Dataset = { count: p.count, features: p.features, x: p.x, labels: p.labels };
    if (imageShape) ds.imageShape = [imageShape[0], imageShape[1]];
    return ds;
  };
  return test ? { train: toDataset(train), test: toDataset(test) } : { train: toDataset(train) };
}
