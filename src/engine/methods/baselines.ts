// The methods DEN is compared with, on the same data, seeds, network, loss, weight decay and
// budget (training.epochs, one stage per task):
//   finetune  the shared hidden layers train freely on each new task, with a new head per task;
//   l2        finetune + λ·½‖W − W(t−1)‖² on the hidden layers;
//   ewc       finetune + λ·½·Σ F⊙(W − W(t−1))², F the diagonal Fisher summed over the earlier
//             tasks (computed after each task, kept in the model as the aux array 'fisher');
//   stl       an independent network of the same hidden sizes per task (the upper reference);
//   joint     one multi-head network trained on every task seen so far (the batch reference):
//             each step averages one mini-batch of every task, an epoch = a pass over each task.
// Old heads are never trained, except by joint. Progressive Networks (progressive.ts) train with
// the same stage.
import type { Experiment, MethodName } from '../experiment';
import type { Task } from '../data/tasks';
import { LayerArrays, Model, ModelState, sharedModel } from '../network/model';
import type { Network } from '../network/network';
import { Rng } from '../random';
import { StageSource, TrainableParam, stepsForEpochs, trainStage } from '../training';
import { diagonalFisher } from './fisher';
import { Method, MethodContext, TaskReport, addSharedHead, freshHead, headLoss, initialNetwork, plainReport } from './method';

/** The hidden layers of `net` and the heads of `heads`; `extra` gives a layer's penalty anchor and weight, or its mask. */
export function paramsOf(net: Network, heads: number[], extra?: (l: number) => { W: Partial<TrainableParam>; b: Partial<TrainableParam> }): TrainableParam[] {
  const params: TrainableParam[] = net.layers.flatMap((layer, l) => [
    { variable: layer.W, isWeight: true, ...extra?.(l).W },
    { variable: layer.b, isWeight: false, ...extra?.(l).b },
  ]);
  for (const j of heads) {
    const head = net.heads[j - 1]!;
    params.push({ variable: head.W, isWeight: true }, { variable: head.b, isWeight: false });
  }
  return params;
}

/** The source of task `task` served by `net` as its task `local`. */
export const sourceOf = (exp: Experiment, net: Network, task: Task, local = task.index): StageSource => ({
  data: task.train,
  forward: (x) => net.logits(x, local),
  loss: headLoss(exp, task.outputs),
});

/** One 'train' stage of the budget (training.epochs over the largest source, or training.steps). */
export async function trainOnce(ctx: MethodContext, task: Task, params: TrainableParam[], sources: StageSource[], lambda: number, report: TaskReport): Promise<void> {
  const exp = ctx.experiment;
  const count = Math.max(...sources.map((s) => s.data.count));
  const result = await trainStage({
    task: task.index,
    stage: 'train',
    sources,
    params,
    steps: exp.training.steps ?? stepsForEpochs(exp.training.epochs, count, exp.training.batchSize),
    batchSize: exp.training.batchSize,
    learningRate: exp.training.learningRate,
    lrDecay: exp.training.lrDecay,
    weightDecay: exp.den.weightDecay,
    decoupledWeightDecay: exp.training.decoupledWeightDecay,
    lambda,
    mu: 0,
    proximal: exp.den.proximal,
    lossEvery: exp.training.lossEvery,
    rng: new Rng(exp.training.seed).fork(`task-${task.index}`).fork('train'),
    emit: ctx.emit,
    signal: ctx.signal,
    stepOffset: 0,
  });
  report.stages.push({ stage: 'train', steps: result.steps, samples: result.samples, seconds: result.seconds, loss: result.loss });
}

const shared = (name: MethodName, learnTask: Method['learnTask']): Method => ({
  name,
  initialModel: (exp, inputDim) => sharedModel(initialNetwork(exp, inputDim)),
  beginTask: addSharedHead,
  learnTask,
});

/** finetune, l2 and ewc: the shared layers and the new head, with an optional pull towards W(t−1). */
function regularised(name: 'finetune' | 'l2' | 'ewc'): Method {
  return shared(name, async (model, task, ctx) => {
    const exp = ctx.experiment;
    const net = model.shared;
    const t = task.index;
    const report = plainReport(net.layers.length);
    const hasOldTasks = net.heads.some((h, j) => h && j !== t - 1);
    const lambda = !hasOldTasks ? 0 : name === 'l2' ? exp.baselines.l2Lambda : name === 'ewc' ? exp.baselines.ewcLambda : 0;
    const fisher: LayerArrays[] | undefined = model.aux.fisher;
    if (name === 'ewc' && hasOldTasks && !fisher) throw new Error(`ewc: task ${t} has earlier tasks but the model has no Fisher information`);
    const previous = net.toState();
    const pull =
      lambda > 0
        ? (l: number) => ({
            W: { anchor: previous.layers[l].W.data, anchorWeight: name === 'ewc' ? fisher![l].W : undefined },
            b: { anchor: previous.layers[l].b, anchorWeight: name === 'ewc' ? fisher![l].b : undefined },
          })
        : undefined;
    await trainOnce(ctx, task, paramsOf(net, [t], pull), [sourceOf(exp, net, task)], lambda, report);
    report.penalty = name === 'finetune' ? null : lambda;
    if (name === 'ewc') {
      const start = Date.now();
      const samples = exp.baselines.fisherSamples;
      const f = diagonalFisher(net, t, task.train, headLoss(exp, task.outputs), samples, new Rng(exp.training.seed).fork(`fisher-${t}`));
      // accumulated: the penalty of task t + 1 weighs every earlier task's Fisher
      model.aux.fisher = fisher ? fisher.map((a, l) => ({ W: a.W.map((v, i) => v + f[l].W[i]), b: a.b.map((v, i) => v + f[l].b[i]) })) : f;
      ctx.emit({ type: 'log', level: 'info', message: `ewc: diagonal Fisher of task ${t} from ${Math.min(samples, task.train.count)} examples in ${((Date.now() - start) / 1000).toFixed(1)}s` });
    }
    return report;
  });
}

const stl: Method = {
  name: 'stl',
  initialModel: (exp, inputDim): ModelState => ({ routing: 'per-task', timestamps: true, networks: [initialNetwork(exp, inputDim)], aux: {} }),
  beginTask(model: Model, task: Task, exp: Experiment) {
    // network t starts from the same initial weights as every method's network (so FWT is 0)
    if (model.networks.length < task.index) model.addNetwork(initialNetwork(exp, model.networks[0].inputDim));
    const net = model.networks[task.index - 1];
    net.setHead(1, freshHead(exp, task, exp.network.hidden[exp.network.hidden.length - 1]));
  },
  async learnTask(model, task, ctx) {
    const { net } = model.route(task.index);
    const report = plainReport(net.layers.length);
    await trainOnce(ctx, task, paramsOf(net, [1]), [sourceOf(ctx.experiment, net, task, 1)], 0, report);
    return report;
  },
};

const joint = shared('joint', async (model, task, ctx) => {
  const net = model.shared;
  const seen = ctx.tasks.slice(0, task.index);
  const report = plainReport(net.layers.length);
  await trainOnce(ctx, task, paramsOf(net, seen.map((j) => j.index)), seen.map((j) => sourceOf(ctx.experiment, net, j)), 0, report);
  return report;
});

export const baselineMethods: Method[] = [regularised('finetune'), regularised('l2'), regularised('ewc'), stl, joint];
