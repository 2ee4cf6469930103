// The Sweep tab's data in Node: a real sweep.json → the scatter's points, colour groups, the Pareto
// line, the tooltip's lines and the table; a sweep still running; and the host ⇄ webview messages.
import { strict as assert } from 'node:assert';
import type { SweepFile } from '../../src/common/protocol';
import { checkHostToWebview } from '../../src/common/protocolGuards';
import { pointLines, sweepChartModel, sweepTableRows, valueText } from '../../webview/sweepModel';
import { loadSweepFixture } from './fixtures';

const sweep = loadSweepFixture();

describe('webview: sweep.json → the Sweep tab', () => {
  it('the fixture is a valid sweep.json', () => {
    assert.equal(checkHostToWebview({ type: 'sweep', sweeps: [{ id: 's1', label: 'x' }], shown: { id: 's1', label: 'x', sweep }, reveal: false }).ok, true);
  });

  it('a point per done grid point: parameters against the sweep’s quality, coloured by the first field by default', () => {
    const m = sweepChartModel(sweep, null);
    assert.equal(m.quality, 'acc');
    assert.equal(m.qualityLabel, 'ACC (test)');
    assert.deepEqual(m.fields, ['den.tau', 'den.k']);
    assert.equal(m.colorField, 'den.tau');
    assert.deepEqual(m.groups, ['0.01', '0.5']);
    assert.equal(m.points.length, sweep.points.length);
    for (const p of sweep.points) {
      const drawn = m.points.find((d) => d.id === p.id)!;
      assert.equal(drawn.x, p.result!.params);
      assert.equal(drawn.y, p.result!.acc);
      assert.equal(drawn.group, String(p.values['den.tau']));
    }
    assert.deepEqual(m.counts, { pending: 0, running: 0, done: 6, failed: 0, cancelled: 0 });
  });

  it('colours by another field; an unknown field falls back to the first', () => {
    assert.deepEqual(sweepChartModel(sweep, 'den.k').groups, ['2', '6', '12']);
    assert.equal(sweepChartModel(sweep, 'den.nope').colorField, 'den.tau');
    const one = { ...sweep, grid: [{ field: 'den.tau', values: [0.01] }, { field: 'den.k', values: [2, 6, 12] }] };
    assert.equal(sweepChartModel(one, null).colorField, 'den.k', 'by default the first field that varies');
  });

  it('draws the front sweep.json marks, by parameters ascending, and leaves a dominated point off it', () => {
    const m = sweepChartModel(sweep, null);
    assert.deepEqual(new Set(m.front.map((p) => p.id)), new Set(sweep.front));
    for (let i = 1; i < m.front.length; i++) assert.ok(m.front[i - 1].x <= m.front[i].x);
    // a point that another beats: more parameters and a lower score, off the front
    const worse = structuredClone(sweep);
    const [a, b] = [worse.points[0], worse.points[2]]; // k = 2 and k = 12 at τ 0.01
    b.result!.acc = a.result!.acc! - 0.01;
    b.pareto = false;
    worse.front = worse.front.filter((id) => id !== b.id);
    const m2 = sweepChartModel(worse, null);
    assert.equal(m2.points.find((p) => p.id === b.id)!.pareto, false);
    assert.ok(!m2.front.some((p) => p.id === b.id));
    assert.equal(m2.points.length, 6, 'still drawn, as a point');
  });

  it('a sweep still running: only done points are drawn, the others are counted and in the table', () => {
    const live = structuredClone(sweep) as SweepFile;
    live.state = 'running';
    live.points[3].status = 'running';
    live.points[3].result = null;
    live.points[4].status = 'pending';
    live.points[4].result = null;
    live.points[5].status = 'failed';
    live.points[5].result = null;
    live.points[5].message = 'the loss became NaN';
    live.front = live.front.filter((id) => live.points.slice(0, 3).some((p) => p.id === id));
    const m = sweepChartModel(live, 'den.k');
    assert.deepEqual(m.points.map((p) => p.id), live.points.slice(0, 3).map((p) => p.id));
    assert.deepEqual(m.counts, { pending: 1, running: 1, done: 3, failed: 1, cancelled: 0 });
    const table = sweepTableRows(live);
    assert.equal(table.rows.length, 6, 'every point of the grid');
    assert.deepEqual(table.columns.slice(0, 5), ['point', 'den.tau', 'den.k', 'status', 'ACC (test)']);
    assert.equal(table.rows[5][3], 'failed: the loss became NaN');
    assert.equal(table.rows[4][4], null);
  });

  it('the tooltip has every value: the grid’s, the scores, the capacity and the status', () => {
    const p = sweep.points[1];
    const lines = pointLines(sweep, p);
    assert.equal(lines[0], p.id);
    assert.equal(lines[1], `den.tau = ${p.values['den.tau']}`);
    assert.equal(lines[2], `den.k = ${p.values['den.k']}`);
    assert.match(lines[3], new RegExp(`^ACC \\(test\\): ${String(Number(p.result!.acc!.toPrecision(4))).replace('.', '\\.')}`));
    assert.ok(lines.some((l) => l.startsWith(`parameters ${p.result!.params.toLocaleString('en-US')}`)));
    assert.ok(lines.some((l) => l.startsWith(`units [${p.result!.units.join(', ')}]`)));
    assert.equal(lines.at(-1), 'status: done');
    assert.equal(valueText([0.001, 0.01]), '[0.001,0.01]');
    assert.equal(valueText(null), 'null');
  });
});
