import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { BackendError, currentBackend, initBackend } from '../../src/engine/backend';
import { isWasmMatMulPatched } from '../../src/engine/wasmMatMul';
import { Rng } from '../../src/engine/random';
import { fakeNativePackage } from '../fakeNativePackage';

describe('backends', () => {
  const saved = process.env.DEN_LAB_NODE_MODULES;
  afterEach(() => {
    if (saved === undefined) delete process.env.DEN_LAB_NODE_MODULES;
    else process.env.DEN_LAB_NODE_MODULES = saved;
  });
  after(async () => {
    if (tf.findBackend('tensorflow')) tf.removeBackend('tensorflow');
    await initBackend('wasm');
  });

  it("'auto' picks WebAssembly here (no native bindings installed) and reports it", async () => {
    const info = await initBackend('auto');
    assert.equal(info.name, 'wasm');
    assert.equal(info.version, '4.22.0');
    assert.match(info.detail, /WebAssembly/);
    assert.equal(tf.getBackend(), 'wasm');
    assert.ok(isWasmMatMulPatched(), 'the matmul kernels are re-registered');
    assert.deepEqual(currentBackend(), info);
  });

  it('a native backend that is not installed fails with how to install it', async () => {
    await assert.rejects(initBackend('tensorflow'), (err: Error) => {
      assert.ok(err instanceof BackendError);
      assert.match(err.message, /@tensorflow\/tfjs-node not installed/);
      assert.match(err.message, /npm install @tensorflow\/tfjs-node@4\.22\.0/);
      return true;
    });
    await assert.rejects(initBackend('tensorflow-gpu'), /npm install @tensorflow\/tfjs-node-gpu@4\.22\.0/);
  });

  it("'auto' prefers the native binding when it is installed, and reports its version", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'den-native-'));
    try {
      fakeNativePackage(root);
      process.env.DEN_LAB_NODE_MODULES = path.join(root, 'node_modules');
      const info = await initBackend('auto');
      assert.deepEqual({ name: info.name, version: info.version }, { name: 'tensorflow', version: '4.22.0-test' });
      assert.match(info.detail, /@tensorflow\/tfjs-node/);
      assert.equal(tf.getBackend(), 'tensorflow');
      assert.deepEqual(Array.from(tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()), [11]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
      await initBackend('wasm');
    }
  });

  it('a native binding that is installed but cannot load is skipped by auto and explained when asked for', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'den-native-'));
    try {
      fakeNativePackage(root, "throw new Error('libtensorflow.so.2: cannot open shared object file');");
      process.env.DEN_LAB_NODE_MODULES = root;
      assert.equal((await initBackend('auto')).name, 'wasm');
      await assert.rejects(initBackend('tensorflow'), /installed at .* but failed to load: libtensorflow\.so\.2/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("'cpu' can be chosen explicitly", async () => {
    assert.equal((await initBackend('cpu')).name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
  });
});

describe('WASM matmul for transposed operands', () => {
  const rng = new Rng(11);
  const rand = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.uniform(-1, 1)), shape);
  /** Runs fn on the CPU backend and on (patched) WASM, with the same inputs. */
  async function both(fn: () => tf.Tensor): Promise<[Float32Array, Float32Array]> {
    await initBackend('cpu');
    const reference = fn().dataSync() as Float32Array;
    await initBackend('wasm');
    return [reference, fn().dataSync() as Float32Array];
  }
  const close = (a: Float32Array, b: Float32Array) => {
    assert.equal(a.length, b.length);
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-5 * (1 + Math.abs(v)), `entry ${i}: ${v} vs ${b[i]}`));
  };
  after(() => initBackend('wasm'));

  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`matMul transposeA=${ta} transposeB=${tb}, 2-D and batched 3-D, equals the CPU backend`, async () => {
      const a2 = rand(ta ? [7, 5] : [5, 7]);
      const b2 = rand(tb ? [3, 7] : [7, 3]);
      close(...(await both(() => tf.matMul(a2, b2, ta, tb))));
      const a3 = rand(ta ? [2, 7, 5] : [2, 5, 7]);
      const b3 = rand(tb ? [2, 3, 7] : [2, 7, 3]);
      close(...(await both(() => tf.matMul(a3, b3, ta, tb))));
    });
  }

  it('fused matMul with bias and ReLU and transposed operands equals the CPU backend', async () => {
    const a = rand([6, 4]);
    const b = rand([5, 6]);
    const bias = rand([5]);
    close(...(await both(() => tf.fused.matMul({ a, b, transposeA: true, transposeB: true, bias, activation: 'relu' }))));
  });

  it('the gradients of a dense layer equal the CPU backend and no tensor is left behind', async () => {
    const x = rand([8, 6]);
    const W = rand([6, 4]);
    const grads = () => tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.relu(tf.matMul(xx, ww))))([x, W]);
    await initBackend('cpu');
    const [gxRef, gwRef] = grads().map((g) => g.dataSync() as Float32Array);
    await initBackend('wasm');
    const count = tf.memory().numTensors;
    const out = grads();
    const [gx, gw] = out.map((g) => g.dataSync() as Float32Array);
    tf.dispose(out);
    assert.equal(tf.memory().numTensors, count);
    close(gxRef, gx);
    close(gwRef, gw);
  });
});
