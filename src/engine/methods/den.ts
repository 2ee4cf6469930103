// DEN and the ablations of the paper, as methods: the engine's learnTask on the model's one
// shared network, with a part switched off.
import type { MethodName } from '../experiment';
import { DenVariant, FULL_DEN, learnTask } from '../den/learnTask';
import { sharedModel } from '../network/model';
import { Method, addSharedHead, initialNetwork } from './method';

function denMethod(name: MethodName, variant: DenVariant, timestamps = true): Method {
  return {
    name,
    initialModel: (exp, inputDim) => sharedModel(initialNetwork(exp, inputDim), timestamps),
    beginTask: addSharedHead,
    learnTask: (model, task, ctx) => learnTask(model.shared, task, ctx, variant),
  };
}

export const denMethods: Method[] = [
  denMethod('den', FULL_DEN),
  // old tasks also see units added after them (their heads keep their own width)
  denMethod('den-no-timestamps', FULL_DEN, false),
  // k units on every task, no τ test, no group lasso, no removal
  denMethod('den-constant', { ...FULL_DEN, constantExpansion: true }),
  denMethod('den-no-split', { ...FULL_DEN, split: false }),
];
