// The Slurm steps of the sweep command without VS Code: sinfo's partitions, each answer's check and
// its message, the den-lab options the answers become (and that the CLI accepts them as typed).
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { slurmTimeProblem } from '../../src/engine/sweep/slurm';
import { cpusProblem, extraProblem, parseSinfoPartitions, partitionProblem, rememberedChoices, slurmChoicesProblem, slurmCliArgs, timeProblem } from '../../src/common/slurmSetup';
import { sweepCliArgs } from '../../src/common/sweepSetup';
import { cli, root, writeSweepExperiment } from '../cli/helpers';

describe('sweep command on Slurm: partitions, time limits, options', () => {
  it('reads the partitions and the default one from sinfo --noheader --format=%P', () => {
    assert.deepEqual(parseSinfoPartitions('debug*\n'), { names: ['debug'], default: 'debug' });
    assert.deepEqual(parseSinfoPartitions('gpu\ncpu*\nlong\ncpu*\n\n'), { names: ['gpu', 'cpu', 'long'], default: 'cpu' }, 'a partition listed twice (two node states) once');
    assert.deepEqual(parseSinfoPartitions('a\nb\n'), { names: ['a', 'b'], default: null }, 'no default partition');
    assert.deepEqual(parseSinfoPartitions('sinfo: error: Unable to contact slurm controller\n'), { names: [], default: null });
  });

  it('checks a partition against what sinfo lists, or only its form when sinfo could not say', () => {
    const known = { names: ['cpu', 'gpu'], default: 'cpu' };
    assert.equal(partitionProblem('', known), null, "empty: the cluster's default");
    assert.equal(partitionProblem(' gpu ', known), null);
    assert.equal(partitionProblem('long', known), "sinfo lists no partition 'long'; it lists cpu, gpu");
    assert.equal(partitionProblem('long', null), null);
    assert.equal(partitionProblem('a b', null), "'a b' is not a partition name: letters, digits, '.', '_' and '-' only");
  });

  it("accepts sbatch's time formats and says which ones otherwise", () => {
    for (const t of ['30', '30:00', '00:30:00', '1-00', '1-12:00', '1-00:00:00', 'UNLIMITED', 'infinite']) assert.equal(slurmTimeProblem(t), null, t);
    for (const t of ['', '1h', '00:30:00:00', '1-', '-1', '1.5', '00:30 ']) assert.match(slurmTimeProblem(t) ?? '', /is not a Slurm time limit: give minutes \(30\), hours:minutes:seconds \(00:30:00\) or days-hours:minutes:seconds \(1-00:00:00\)$/, JSON.stringify(t));
    assert.equal(timeProblem(''), null, "empty: the partition's default");
    assert.equal(timeProblem(' 00:30 '), null, 'typed with spaces around');
  });

  it('checks CPUs and further sbatch options with one-line messages', () => {
    assert.equal(cpusProblem('4'), null);
    for (const c of ['0', '-1', '1.5', 'two', '']) assert.equal(cpusProblem(c), `CPUs per point must be a whole number of 1 or more, got '${c}'`);
    assert.equal(extraProblem(''), null);
    assert.equal(extraProblem('--account=abc --mem 4G'), null);
    assert.equal(extraProblem('--comment="a b'), 'a " is not closed in "--comment=\\"a b"');
    assert.equal(extraProblem('mem=4G'), "sbatch options start with '-', e.g. --account=abc --mem=4G; got 'mem=4G'");
    assert.equal(slurmChoicesProblem({ partition: 'cpu', time: '1h', cpus: '1', extra: '' }, null), slurmTimeProblem('1h'));
  });

  it('turns the answers into den-lab sweep options, leaving out the defaults; the CLI refuses a bad time before submitting', () => {
    assert.deepEqual(slurmCliArgs({ partition: '', time: '', cpus: '1', extra: '' }), []);
    assert.deepEqual(slurmCliArgs({ partition: ' cpu ', time: '1-00:00:00', cpus: '4', extra: ' --account=abc --comment="a b" ' }), [
      '--slurm-partition',
      'cpu',
      '--slurm-time',
      '1-00:00:00',
      '--slurm-cpus',
      '4',
      '--slurm-extra=--account=abc --comment="a b"',
    ]);
    const args = sweepCliArgs({ experimentFile: 'x.den.json', axes: [{ field: 'den.k', values: [2] }], executor: 'slurm', slurm: { partition: 'cpu', time: '30', cpus: '1', extra: '' } });
    assert.deepEqual(args, ['sweep', 'x.den.json', '--grid', 'den.k=2', '--executor', 'slurm', '--slurm-partition', 'cpu', '--slurm-time', '30', '--json']);
    assert.deepEqual(rememberedChoices({ partition: 'gpu', time: 5, extra: '--mem=4G' }), { partition: 'gpu', time: '', cpus: '1', extra: '--mem=4G' }, 'what is not text: the default');
    assert.deepEqual(rememberedChoices(undefined), { partition: '', time: '', cpus: '1', extra: '' });

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'den-slurm-setup-'));
    try {
      const file = writeSweepExperiment(dir, 'x.den.json');
      const r = spawnSync(process.execPath, [cli, 'sweep', file, '--grid', 'den.k=2', '--executor', 'slurm', '--slurm-time', '1h', '--out', dir], { cwd: root, encoding: 'utf8' });
      assert.equal(r.status, 2);
      assert.equal(r.stderr.split('\n')[0], `den-lab: --slurm-time: ${slurmTimeProblem('1h')}`);
      assert.deepEqual(fs.readdirSync(dir), ['x.den.json'], 'nothing written');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
