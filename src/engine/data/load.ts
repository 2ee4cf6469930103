// From a data configuration to train / validation / test sets. Every random choice is drawn from
// generators forked off data.seed by name, so the same configuration always gives the same splits
// and one step's draws never shift another's.
import * as path from 'path';
import { DataConfig } from '../experiment';
import { Rng, permutation } from '../random';
import { loadCsv } from './csv';
import { DataError, DataSplits, Dataset, subset } from './dataset';
import { loadIdxPair } from './idx';
import { loadEmbeddedMnist } from './mnist';

function rngFor(seed: number, step: string): Rng {
  return new Rng(seed).fork(step);
}

/** `take` examples of ds, chosen at random (kept in the shuffled order). */
function randomSubset(ds: Dataset, take: number, rng: Rng): Dataset {
  return subset(ds, permutation(ds.count, rng).subarray(0, take));
}

/** Splits ds into (held-out, rest) with `hold` examples held out at random. */
function holdOut(ds: Dataset, hold: number, rng: Rng): [Dataset, Dataset] {
  const order = permutation(ds.count, rng);
  return [subset(ds, order.subarray(0, hold)), subset(ds, order.subarray(hold))];
}

function loadSource(config: DataConfig, baseDir: string): { train: Dataset; test?: Dataset; label: string } {
  switch (config.source) {
    case 'mnist':
      return { train: loadEmbeddedMnist(), label: 'embedded MNIST' };
    case 'idx': {
      const trainImages = path.resolve(baseDir, config.trainImages);
      const train = loadIdxPair(trainImages, path.resolve(baseDir, config.trainLabels), { images: 'data.trainImages', labels: 'data.trainLabels' });
      const label = `IDX ${path.basename(trainImages)}`;
      if (!config.testImages || !config.testLabels) return { train, label };
      const testImages = path.resolve(baseDir, config.testImages);
      const test = loadIdxPair(testImages, path.resolve(baseDir, config.testLabels), { images: 'data.testImages', labels: 'data.testLabels' });
      if (test.imageShape![0] !== train.imageShape![0] || test.imageShape![1] !== train.imageShape![1]) {
        throw new DataError(`${testImages}: images are ${test.imageShape!.join('×')} but those of ${trainImages} are ${train.imageShape!.join('×')}; train and test images must have the same size`);
      }
      return { train, test, label };
    }
    case 'csv': {
      const { train, test } = loadCsv(config, baseDir);
      return { train, test, label: `CSV ${path.basename(config.train)}` };
    }
  }
}

/**
 * Loads the configured data and splits it.
 * - `limit` caps the total number of examples. With a test file, the cap is shared between the
 *   training and test parts in proportion to their sizes (so a quick run keeps the original
 *   train/test ratio); each part's subset is drawn at random.
 * - Without a test file, round(testFraction·count) examples are held out as test.
 * - round(validationFraction·trainCount) training examples are held out as validation.
 */
export function loadData(config: DataConfig, baseDir: string): DataSplits {
  const source = loadSource(config, baseDir);
  let train = source.train;
  let test = source.test;
  const total = train.count + (test?.count ?? 0);
  const limited = config.limit !== undefined && config.limit < total;
  if (limited) {
    const limit = config.limit!;
    if (test) {
      let testTake = Math.round((limit * test.count) / total);
      testTake = Math.min(test.count, Math.max(1, testTake));
      test = randomSubset(test, testTake, rngFor(config.seed, 'limit-test'));
      train = randomSubset(train, limit - testTake, rngFor(config.seed, 'limit-train'));
    } else {
      train = randomSubset(train, limit, rngFor(config.seed, 'limit'));
    }
  }
  if (!test) {
    const hold = Math.round(config.testFraction * train.count);
    [test, train] = holdOut(train, hold, rngFor(config.seed, 'test'));
  }
  const [validation, rest] = holdOut(train, Math.round(config.validationFraction * train.count), rngFor(config.seed, 'validation'));
  train = rest;
  if (train.count === 0 || test.count === 0) {
    throw new DataError(`${source.label}: too few examples (${train.count} for training, ${test.count} for testing); use more data, a larger data.limit or other data.testFraction / data.validationFraction`);
  }
  const name = limited ? `${source.label} (limit ${config.limit})` : source.label;
  return {
    train,
    validation,
    test,
    description: `${name}: ${train.count} train / ${validation.count} validation / ${test.count} test`,
  };
}
