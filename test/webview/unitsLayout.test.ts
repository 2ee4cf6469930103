// The Units tab's layout (pure): groups by birth task, copies right after their originals, each
// unit once; un-permuting a unit's weights.
import { strict as assert } from 'node:assert';
import { unitImage, unitOrder } from '../../webview/unitsLayout';

describe('units layout', () => {
  it('groups by birth task; a copy follows its original, a copy of a copy follows that copy; every unit once', () => {
    // units 0–3 born at 1; 4, 5 born at 2 (5 copies 1); 6, 7 born at 3 (6 copies 5, 7 copies 0)
    const born = [1, 1, 1, 1, 2, 2, 3, 3];
    const copyOf = [-1, -1, -1, -1, -1, 1, 5, 0];
    const groups = unitOrder(born, copyOf);
    assert.deepEqual(groups, [
      { born: 1, units: [0, 7, 1, 5, 6, 2, 3] },
      { born: 2, units: [4] },
    ]);
    assert.deepEqual(groups.flatMap((g) => g.units).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7]);
    // an unknown lineage (−2) keeps the unit in its birth group
    assert.deepEqual(unitOrder([1, 2, 2], [-1, -2, -2]), [
      { born: 1, units: [0] },
      { born: 2, units: [1, 2] },
    ]);
  });

  it('a unit of a permuted task, put back in pixel order, shows the pattern its inputs were permuted from', () => {
    const pattern = Float32Array.from({ length: 9 }, (_, p) => (p % 4 === 0 ? 1 : 0)); // the diagonal of a 3×3 image
    const order = [4, 0, 8, 2, 6, 1, 3, 5, 7]; // input i reads pixel order[i]
    const weights = new Float32Array(18);
    order.forEach((p, i) => (weights[9 + i] = pattern[p])); // unit 1 learned the diagonal in its task's input order
    assert.notDeepEqual(Array.from(unitImage(weights, 1, 9, null)), Array.from(pattern), 'as stored it is scrambled');
    assert.deepEqual(Array.from(unitImage(weights, 1, 9, order)), Array.from(pattern));
  });
});
