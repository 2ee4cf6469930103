// A stand-in for @tensorflow/tfjs-node, which cannot be installed on this machine (its install
// downloads libtensorflow). Like the real package, loading it registers a backend named
// 'tensorflow' in the global TF.js engine; here that backend runs the CPU kernels. It lets the
// tests exercise the real discovery, selection and reporting code of the native path.
import * as fs from 'fs';
import * as path from 'path';

const repoModules = path.resolve(__dirname, '../node_modules');

/** The stand-in's index.js: registers the CPU kernels as the 'tensorflow' backend. */
export const REGISTERS_CPU_COPY = `
const tf = require(${JSON.stringify(path.join(repoModules, '@tensorflow/tfjs-core'))});
const { MathBackendCPU } = require(${JSON.stringify(path.join(repoModules, '@tensorflow/tfjs-backend-cpu'))});
for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'tensorflow' });
tf.registerBackend('tensorflow', () => new MathBackendCPU(), 3);
`;

/** Writes the stand-in package into `<root>/node_modules/@tensorflow/tfjs-node` with `body` as its index.js. */
export function fakeNativePackage(root: string, body = REGISTERS_CPU_COPY): void {
  const dir = path.join(root, 'node_modules', '@tensorflow', 'tfjs-node');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node', version: '4.22.0-test', main: 'index.js' }));
  fs.writeFileSync(path.join(dir, 'index.js'), body);
}
