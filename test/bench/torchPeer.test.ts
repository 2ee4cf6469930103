// The PyTorch peer of the throughput bench: its output checked, its environment, the ratios, and the
// real script run through Debian's python3-torch when it is installed.
import assert from 'node:assert/strict';
import * as path from 'path';
import type { ThroughputRow } from '../../src/bench/throughput';
import { findTorchPython, measurePeer, parsePeerOutput, peerEnv, peerRatios, pythonCandidates } from '../../src/bench/torchPeer';

const root = path.resolve(__dirname, '../..');

describe('PyTorch peer', () => {
  it('parses the last JSON line of the script and rejects anything else', () => {
    const ok = parsePeerOutput('warming up\n{"samplesPerSecond": 1234.5, "torch": "1.13.1", "threads": 2, "steps": 10}\n');
    assert.deepEqual(ok, { samplesPerSecond: 1234.5, torch: '1.13.1', threads: 2 });
    assert.throws(() => parsePeerOutput('Traceback (most recent call last):\n  ...\n'), /printed no JSON line/);
    assert.throws(() => parsePeerOutput('{"samplesPerSecond": -1, "torch": "x", "threads": 2}'), /not a positive number/);
    assert.throws(() => parsePeerOutput('{"samplesPerSecond": 5, "threads": 2}'), /lacks torch or threads/);
    assert.throws(() => parsePeerOutput('null'), /not a positive number/);
  });

  it('runs with OpenBLAS on one thread and without OpenBLAS core-type or cache overrides', () => {
    const env = peerEnv({ PATH: '/bin', OPENBLAS_CORETYPE: 'Haswell', OPENBLAS_L2_SIZE: '1024', OPENBLAS_NUM_THREADS: '8' });
    assert.deepEqual(env, { PATH: '/bin', OPENBLAS_NUM_THREADS: '1' });
  });

  it('tries DEN_BENCH_PYTHON first, then python3, then Debian’s interpreter', () => {
    assert.deepEqual(pythonCandidates({ DEN_BENCH_PYTHON: '/opt/py/bin/python3' }), ['/opt/py/bin/python3', 'python3', '/usr/bin/python3']);
    assert.deepEqual(pythonCandidates({}), ['python3', '/usr/bin/python3']);
  });

  it('says why when no candidate imports torch', () => {
    const r = findTorchPython(['/nonexistent/python3']);
    assert.ok('missing' in r);
    assert.match(r.missing, /no python3 with torch \(tried \/nonexistent\/python3; .*python3-torch/);
  });

  it('gives every other row as a multiple of the peer, and nothing without a peer', () => {
    const rows: ThroughputRow[] = [
      { label: 'plain MLP epoch (TF.js Adam)', backend: 'wasm', samplesPerSecond: 20000 },
      { label: 'plain MLP epoch (PyTorch Adam)', backend: 'pytorch 1.13.1, 2 threads', samplesPerSecond: 80000 },
      { label: 'DEN subnetwork stage', backend: 'cpu', samplesPerSecond: 1000 },
    ];
    assert.deepEqual(peerRatios(rows)!.map((r) => [r.row.backend, r.ratio]), [['wasm', 0.25], ['cpu', 0.0125]]);
    assert.equal(peerRatios([rows[0]]), null);
  });

  it('measures the same MLP in PyTorch (skipped without a python3 that imports torch)', function () {
    this.timeout(120000);
    const found = findTorchPython();
    if ('missing' in found) {
      console.log(`      skipped: ${found.missing}`);
      this.skip();
    }
    const row = measurePeer({ features: 784, hidden: [312, 128], outputs: 10, batchSize: 256, learningRate: 0.001, loss: 'sigmoid-bce-sum', steps: 3, minSeconds: 0 }, root);
    assert.ok(!('missing' in row), 'missing' in row ? row.missing : '');
    assert.match(row.backend, /^pytorch \d+\.\d+\S*, 2 threads$/);
    assert.ok(row.samplesPerSecond > 100 && Number.isFinite(row.samplesPerSecond), `${row.samplesPerSecond} samples/s`);
  });
});
