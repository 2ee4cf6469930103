// Progressive Networks (Rusu et al. 2016), the other expanding method: every task gets a new
// column of network.hidden × baselines.progressiveWidth units per layer, whose layer l reads layer
// l − 1 of its own column and, through plain linear laterals, of every earlier column; its head
// reads the top layer of every column so far. Earlier columns and heads are frozen, so no task is
// ever forgotten, and the capacity grows with every task. The model is one network of columns
// (network/columns.ts): a column is the units born at its task, and timestamped inference gives
// task j exactly columns 1..j.
//
// A new column starts as STL's network for the task (the experiment's initial weights, scaled to
// the column's width, and the task's fresh head) with its laterals at zero: before training, task
// t's outputs are those of an independent network, and what the column gains over STL it learns
// through the laterals. One 'train' stage per task, the budget of every baseline.
import type { Experiment } from '../experiment';
import { addColumn, columnCount, columnHead } from '../network/columns';
import { initialState, newHead } from '../network/init';
import type { ModelState } from '../network/model';
import { paramsOf, sourceOf, trainOnce } from './baselines';
import { Method, headRng, initRng, plainReport } from './method';

/** Units per hidden layer of one column. */
const columnSizes = (exp: Experiment): number[] => exp.network.hidden.map((n) => Math.max(1, Math.round(n * exp.baselines.progressiveWidth)));

/** A column's own initial weights: the experiment's initial network at the column's sizes (the same for every column). */
const columnInit = (exp: Experiment, inputDim: number) => initialState(inputDim, columnSizes(exp), initRng(exp));

export const progressive: Method = {
  name: 'progressive',
  initialModel: (exp, inputDim): ModelState => ({ routing: 'columns', timestamps: true, networks: [columnInit(exp, inputDim)], aux: {} }),

  beginTask(model, task, exp) {
    const net = model.shared;
    let state = net.toState();
    const columns = columnCount(state);
    if (task.index > columns + 1) throw new Error(`progressive: task ${task.index} needs columns 1..${task.index - 1}, the model has ${columns}`);
    if (task.index === columns + 1) state = addColumn(state, task.index, columnInit(exp, state.inputDim));
    while (state.heads.length < task.index) state.heads.push(undefined);
    const sizes = columnSizes(exp);
    state.heads[task.index - 1] = columnHead(state, newHead(sizes[sizes.length - 1], task.outputs, headRng(exp, task.index)));
    net.setState(state);
  },

  async learnTask(model, task, ctx) {
    const net = model.shared;
    const t = task.index;
    const born = net.born();
    if (born.some((b) => b[b.length - 1] !== t)) throw new Error(`progressive: task ${t} is not the model's latest column`);
    // only the task's column trains: every weight into its units (own and lateral), their biases, its head
    const own = (b: Int32Array) => Float32Array.from(b, (v) => (v === t ? 1 : 0));
    const masks = born.map((b, l) => {
      const cols = own(b);
      const rows = net.layers[l].W.shape[0];
      const W = new Float32Array(rows * cols.length);
      for (let r = 0; r < rows; r++) W.set(cols, r * cols.length);
      return { W, b: cols };
    });
    const report = plainReport(born.length);
    if (t > 1) {
      report.added = masks.map((m) => m.b.reduce((n, v) => n + v, 0));
      report.expanded = true;
      ctx.emit({ type: 'log', level: 'info', message: `progressive: column ${t} of [${report.added.join(', ')}] units, laterals from columns 1–${t - 1}` });
    }
    const params = paramsOf(net, [t], (l) => ({ W: { mask: masks[l].W }, b: { mask: masks[l].b } }));
    await trainOnce(ctx, task, params, [sourceOf(ctx.experiment, net, task)], 0, report);
    return report;
  },
};
