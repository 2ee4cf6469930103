// The pure parts of a sweep: the grid (parsed against the schema) and the Pareto front.
import assert from 'node:assert/strict';
import { experimentSchema } from '../../src/engine/experiment';
import { checkAxes, gridPoints, gridSize, parseGrid, pointId, sweepableFields, withValues } from '../../src/engine/sweep/grid';
import { Candidate, dominates, paretoFront } from '../../src/engine/sweep/pareto';
import { smallExperiment } from './helpers';

describe('sweep grid', () => {
  it('offers exactly the numeric fields of den, training and baselines, read from the schema', () => {
    const fields = sweepableFields();
    const props = experimentSchema.properties as unknown as Record<string, { properties: Record<string, any> }>;
    for (const section of ['den', 'training', 'baselines']) {
      for (const [key, node] of Object.entries(props[section].properties)) {
        const text = JSON.stringify(node.type ?? node.oneOf);
        assert.equal(fields.has(`${section}.${key}`), /number|integer/.test(text), `${section}.${key} (${text})`);
      }
    }
    assert.deepEqual(fields.get('den.gamma'), { integer: false, nullable: false, perLayer: true });
    assert.deepEqual(fields.get('den.k'), { integer: true, nullable: false, perLayer: false });
    assert.deepEqual(fields.get('training.steps'), { integer: true, nullable: true, perLayer: false });
    assert.equal(fields.has('den.tauStatistic'), false);
    assert.equal(fields.has('network.hidden'), false, 'only den, training and baselines');
  });

  it('parses values, null where allowed and per-layer lists (with , or ; inside brackets)', () => {
    const axes = parseGrid(['den.tau=0.01, 0.1,1e-3', 'den.gamma=0.001,[0.001,0.01],[2;3]', 'training.steps=null,50']);
    assert.deepEqual(axes, [
      { field: 'den.tau', values: [0.01, 0.1, 0.001] },
      { field: 'den.gamma', values: [0.001, [0.001, 0.01], [2, 3]] },
      { field: 'training.steps', values: [null, 50] },
    ]);
    assert.equal(gridSize(axes), 18);
  });

  it('builds every combination, the first field varying slowest, with readable folder-safe ids', () => {
    const points = gridPoints(parseGrid(['den.tau=0.1,0.2', 'den.k=5,10,25']));
    assert.deepEqual(points, [
      { 'den.tau': 0.1, 'den.k': 5 },
      { 'den.tau': 0.1, 'den.k': 10 },
      { 'den.tau': 0.1, 'den.k': 25 },
      { 'den.tau': 0.2, 'den.k': 5 },
      { 'den.tau': 0.2, 'den.k': 10 },
      { 'den.tau': 0.2, 'den.k': 25 },
    ]);
    assert.equal(pointId(2, 6, points[2]), '03-tau0.1-k25');
    assert.equal(pointId(99, 120, { 'den.gamma': [0.001, 0.01], 'training.steps': null }), '100-gamma0.001_0.01-stepsnull');
  });

  it('refuses bad syntax, unknown or non-numeric fields, repeats, and values the schema does not allow, naming the field', () => {
    const refuses = (specs: string[], message: RegExp) => assert.throws(() => parseGrid(specs), (e: Error) => e.name === 'SweepError' && message.test(e.message));
    refuses([], /at least one --grid .*sweepable fields: den\.tau, den\.sigma/);
    refuses(['den.tau'], /--grid 'den\.tau': expected field=v1,v2/);
    refuses(['=1,2'], /expected field=v1,v2/);
    refuses(['den.foo=1'], /--grid den\.foo: not a numeric field of den, training or baselines; sweepable fields: .*training\.learningRate.*baselines\.ewcLambda/);
    refuses(['den.tauStatistic=1'], /den\.tauStatistic: not a numeric field/);
    refuses(['network.hidden=3'], /network\.hidden: not a numeric field/);
    refuses(['den.tau=0.1,,1'], /den\.tau: an empty value/);
    refuses(['den.tau=0.1,'], /den\.tau: an empty value/);
    refuses(['den.tau=abc'], /den\.tau: 'abc' is not a number/);
    refuses(['den.tau=0x10'], /'0x10' is not a number/);
    refuses(['den.tau=1,1.0'], /den\.tau: the value 1 is listed twice/);
    refuses(['den.tau=1', 'den.tau=2'], /den\.tau: given twice/);
    refuses(['den.tau=null'], /den\.tau cannot be null/);
    refuses(['den.tau=[1,2]'], /den\.tau takes one number, not a per-layer list/);
    refuses(['den.gamma=[0.1'], /den\.gamma: unbalanced brackets/);
    refuses(['den.gamma=0.1]'], /den\.gamma: unbalanced brackets/);
    refuses(['den.gamma=[]'], /'\[\]' is not a per-layer list/);
    refuses(['den.gamma=[0.1,x]'], /'x' is not a number/);

    const exp = smallExperiment();
    const outOfRange = (spec: string, message: RegExp) => assert.throws(() => checkAxes(exp, parseGrid([spec])), (e: Error) => e.name === 'ExperimentError' && message.test(e.message));
    outOfRange('den.tau=0.1,-1', /^--grid den\.tau=-1: den\.tau \[τ \(expansion threshold\)\]: must be ≥ 0, got -1$/);
    outOfRange('den.k=2.5', /den\.k \[k \(units added per layer\)\]: must be an integer, got 2\.5 \(allowed: ≥ 0 and ≤ 4096\)/);
    outOfRange('training.learningRate=0', /training\.learningRate \[learning rate\]: must be > 0 and ≤ 10, got 0/);
    outOfRange('den.gamma=20', /den\.gamma \[γ \(group-lasso strength\)\]: must be ≥ 0 and ≤ 10, got 20/);
    outOfRange('den.gamma=[0.1,20]', /den\.gamma\.1: must be ≥ 0 and ≤ 10, got 20/);
    outOfRange('den.gamma=[0.1,0.2,0.3]', /den\.gamma: has 3 values but network\.hidden has 2 layers/);
    assert.doesNotThrow(() => checkAxes(exp, parseGrid(['den.gamma=0.1,[0.1,0.2]', 'training.steps=null,10'])));
  });

  it('sets a point\'s values into a copy of the experiment', () => {
    const exp = smallExperiment();
    const tau = exp.den.tau;
    const changed = withValues(exp, { 'den.tau': 0.5, 'den.gamma': [0.1, 0.2], 'training.seed': 7 });
    assert.equal(changed.den.tau, 0.5);
    assert.deepEqual(changed.den.gamma, [0.1, 0.2]);
    assert.equal(changed.training.seed, 7);
    assert.equal(changed.den.sigma, exp.den.sigma);
    assert.equal(exp.den.tau, tau, 'the original is untouched');
    assert.notEqual(tau, 0.5);
  });
});

describe('sweep Pareto front', () => {
  const c = (id: string, quality: number | null, params: number | null): Candidate => ({ id, quality, params });

  it('keeps the points nothing beats on both quality and parameters, smallest first', () => {
    const front = paretoFront([c('a', 0.9, 100), c('b', 0.95, 200), c('c', 0.85, 150), c('d', 0.97, 400), c('e', 0.8, 50)]);
    assert.deepEqual(front, ['e', 'a', 'b', 'd']);
  });

  it('of equal parameters keeps the better; of equal quality keeps the smaller', () => {
    assert.deepEqual(paretoFront([c('a', 0.9, 100), c('b', 0.8, 100)]), ['a']);
    assert.deepEqual(paretoFront([c('a', 0.9, 100), c('b', 0.9, 120)]), ['a']);
    assert.equal(dominates({ quality: 0.9, params: 100 }, { quality: 0.8, params: 100 }), true);
    assert.equal(dominates({ quality: 0.9, params: 100 }, { quality: 0.9, params: 100 }), false, 'an equal point does not dominate');
  });

  it('keeps every duplicate (equal quality and parameters) on the front, in id order', () => {
    assert.deepEqual(paretoFront([c('z', 0.9, 100), c('y', 0.9, 100), c('x', 0.7, 300)]), ['y', 'z']);
    assert.deepEqual(paretoFront([c('b', 0.9, 100), c('a', 0.9, 100), c('c', 0.95, 100)]), ['c'], 'duplicates that a third point beats are both off');
  });

  it('leaves out points without a finite score or parameter count, and handles the empty case', () => {
    assert.deepEqual(paretoFront([c('a', null, 100), c('b', 0.5, null), c('c', NaN, 1), c('d', 0.1, 1000)]), ['d']);
    assert.deepEqual(paretoFront([]), []);
  });

  it('agrees with the definition on random sets with many ties', () => {
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let round = 0; round < 50; round++) {
      const points = Array.from({ length: 2 + rand(30) }, (_, i) => c(`p${i}`, rand(5) / 4, 100 * rand(6)));
      const front = new Set(paretoFront(points));
      for (const p of points) {
        const beaten = points.some((q) => q.quality! >= p.quality! && q.params! <= p.params! && (q.quality! > p.quality! || q.params! < p.params!));
        assert.equal(front.has(p.id), !beaten, `round ${round}: ${p.id}`);
      }
    }
  });
});
