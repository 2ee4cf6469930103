// The sweep command on Slurm in a real VS Code: code-server's extension host, on the one-node
// cluster that test/slurm/run.sh starts (its SLURM_CONF reaches this host through code-server's
// environment, and sbatch is on its PATH). Run by `npm run test:slurm` (node test/vscode/run.mjs --slurm).
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as vscode from 'vscode';
import type { DenLabApi } from '../../../src/extension/extension';
import type { SweepOutcome } from '../../../src/common/sweepProcess';
import type { SlurmExecutorRecord } from '../../../src/common/protocol';
import { EXTENSION_ID, runningSweepNode, within, withDialogs, workspaceFile } from './helpers';

/** A field of a Slurm job as squeue shows it (the controller keeps an ended job for MinJobAge, 300 s). */
const squeueField = (jobId: string, format: string) => spawnSync('squeue', ['--noheader', '--array', '--states=all', `--jobs=${jobId}`, `--format=${format}`], { encoding: 'utf8' }).stdout.trim().split('\n');

suite('DEN Lab sweeps on Slurm in a real VS Code', () => {
  let api: DenLabApi;

  suiteSetup(async () => {
    assert.ok(process.env.SLURM_CONF, 'run through npm run test:slurm');
    api = await vscode.extensions.getExtension<DenLabApi>(EXTENSION_ID)!.activate();
    await api.runs.ready();
  });

  /** Runs "Sweep Thresholds…" on tiny.den.json (task 1, k = 2, 4) on Slurm; `slurm` answers each Slurm step, given the box's options. */
  async function sweepOnSlurm(slurm: (step: string, box: vscode.InputBoxOptions) => Promise<string>): Promise<{ outcome: SweepOutcome | undefined; asked: string[] }> {
    const w = vscode.window as unknown as Record<string, unknown>;
    const originals = { showQuickPick: w.showQuickPick, showInputBox: w.showInputBox };
    const asked: string[] = [];
    w.showQuickPick = async (items: vscode.QuickPickItem[] | Thenable<vscode.QuickPickItem[]>, options?: vscode.QuickPickOptions) => {
      const list = await items;
      const title = options?.title ?? '';
      asked.push(title);
      if (/which experiment/.test(title)) return list.find((i) => i.label === 'tiny.den.json');
      if (/where do the points start/.test(title)) return list.find((i) => i.label === 'From scratch: task 1');
      if (/which fields/.test(title)) return list.filter((i) => i.label === 'den.k');
      if (/run on/.test(title)) return list.find((i) => i.label === 'Slurm');
      return undefined;
    };
    w.showInputBox = async (options: vscode.InputBoxOptions) => {
      const title = options.title ?? '';
      asked.push(title);
      if (/values of den\.k/.test(title)) return '2, 4';
      const step = /Sweep on Slurm \(\d\/4\) — (.*)$/.exec(title)?.[1];
      return step ? slurm(step, options) : undefined;
    };
    try {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      const { result } = await withDialogs('showInformationMessage', () => undefined, () => within('the sweep', vscode.commands.executeCommand<SweepOutcome | undefined>('denLab.sweepThresholds'), 240_000));
      return { outcome: result, asked };
    } finally {
      Object.assign(w, originals);
    }
  }

  test('"Sweep Thresholds…" on Slurm: the partition prefilled from sinfo, each answer checked as typed, the array submitted with them; the next sweep offers them again', async () => {
    const offered: Record<string, string | undefined> = {};
    const answers: Record<string, string> = { partition: 'debug', 'time limit': '00:10:00', 'CPUs per point': '1', 'further sbatch options': '--comment=den-lab-vscode' };
    const first = await sweepOnSlurm(async (step, box) => {
      offered[step] = box.value;
      // the problem as text (a validator may answer a string or an InputBoxValidationMessage)
      const check = async (v: string): Promise<string | null | undefined> => {
        const problem = await box.validateInput!(v);
        return typeof problem === 'string' || !problem ? problem : problem.message;
      };
      if (step === 'partition') assert.strictEqual(await check('nope'), "sinfo lists no partition 'nope'; it lists debug");
      if (step === 'time limit') assert.match(String(await check('1h')), /^'1h' is not a Slurm time limit: give minutes \(30\)/);
      if (step === 'CPUs per point') assert.strictEqual(await check('0'), "CPUs per point must be a whole number of 1 or more, got '0'");
      if (step === 'further sbatch options') assert.match(String(await check('--comment="x')), /a " is not closed/);
      assert.strictEqual(await check(answers[step]), null);
      return answers[step];
    });
    assert.deepStrictEqual(offered, { partition: 'debug', 'time limit': '', 'CPUs per point': '1', 'further sbatch options': '' }, "sinfo's default partition, the rest sbatch's defaults");
    const outcome = first.outcome;
    assert.ok(outcome, `the sweep did not run; asked: ${first.asked.join(' | ')}`);
    assert.strictEqual(outcome.code, 0, outcome.error ?? '');
    const rec = outcome.sweep!.executor as SlurmExecutorRecord;
    assert.deepStrictEqual([rec.kind, rec.partition, rec.time, rec.cpus, rec.extra], ['slurm', 'debug', '00:10:00', 1, ['--comment=den-lab-vscode']]);
    assert.deepStrictEqual(outcome.sweep!.points.map((p) => [p.status, p.job]), [['done', `${rec.jobId}_0`], ['done', `${rec.jobId}_1`]]);
    assert.deepStrictEqual(squeueField(rec.jobId!, '%P %l %k'), ['debug 10:00 den-lab-vscode', 'debug 10:00 den-lab-vscode'], "Slurm's own record of the array: partition, time limit, comment");

    // The same sweep again: the last answers are offered; nothing is left to train.
    const again = await sweepOnSlurm((_step, box) => Promise.resolve(box.value ?? ''));
    assert.strictEqual(again.outcome?.code, 0, again.outcome?.error ?? '');
    assert.deepStrictEqual((again.outcome!.sweep!.executor as SlurmExecutorRecord).extra, ['--comment=den-lab-vscode'], 'remembered for the workspace');
    assert.strictEqual(again.outcome!.dir, outcome.dir);
  });

  test('"Cancel Sweep" on a running job array (the Runs tree\'s sweep row): scancel; the sweep this window runs ends cancelled', async () => {
    // One capture of the messages for the whole test: the window's sweep and the cancel end in either order.
    // Two tasks per point: slow.den.json's task 1 ends in about a second, before the tree could show the points running.
    const { result, shown } = await withDialogs('showInformationMessage', () => undefined, async () => {
      const running = api.sweeps.run({ experimentFile: workspaceFile('slow.den.json').fsPath, axes: [{ field: 'den.k', values: [2, 4, 6] }], tasks: 2, executor: 'slurm', slurm: { partition: '', time: '', cpus: '1', extra: '' } });
      const node = await runningSweepNode(api, 'slow', 180_000);
      assert.strictEqual(api.tree.getTreeItem(node).contextValue, 'sweepRunning');
      const cancel = await vscode.commands.executeCommand<SweepOutcome | undefined>('denLab.cancelSweep', node);
      return { node, cancel, outcome: await within('the sweep process to end', running, 120_000) };
    });
    assert.strictEqual(result.cancel?.code, 0, result.cancel?.error ?? '');
    assert.deepStrictEqual(result.cancel?.sweep?.points.map((p) => p.status), ['cancelled', 'cancelled', 'pending'], 'the waiting task never ran');
    assert.ok(shown.some((m) => /: 0\/3 done, 2 cancelled · cancelled\.$/.test(m)), shown.join(' | '));
    assert.strictEqual(result.outcome?.code, 130);
    const jobId = (result.node.sweep.sweep!.executor as SlurmExecutorRecord).jobId!;
    assert.deepStrictEqual(squeueField(jobId, '%T').filter((s) => s === 'PENDING' || s === 'RUNNING'), [], 'nothing of the array is left in the queue');
  });
});
