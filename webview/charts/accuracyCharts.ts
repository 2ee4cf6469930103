// Chart 5: every task's accuracy (or AUROC) right after learning it and after the last task, and
// the model's parameters after each task.
import type { TableData } from '../tables';
import { ChartJsPanel, type Drawn, type PanelActions } from './chartPanel';
import { axis, baseOptions } from './chartSetup';
import type { RenderContext } from './context';
import { fmt } from '../../src/common/vocabulary';
import { withAlpha } from '../theme';
import type { RunModel, Score } from '../model';

const NAMES: Record<Score, string> = { accuracy: 'accuracy', auroc: 'AUROC' };

/** Per task: the score right after learning it (R[i][i]) and after the last task (last row). */
export function taskScores(run: RunModel | null, score: Score): { after: (number | null)[]; now: (number | null)[] } {
  const R = run ? (score === 'accuracy' ? run.accuracy : run.auroc) : [];
  return { after: R.map((row, i) => row[i] ?? null), now: (R[R.length - 1] ?? []).slice() };
}

export class AccuracyChart extends ChartJsPanel {
  constructor(actions: PanelActions) {
    super('accuracy', 'Per-task score after the last task', actions);
  }

  protected draw(ctx: RenderContext): Drawn {
    const { theme, view } = ctx;
    const { after, now } = taskScores(ctx.run, view.score);
    const labels = after.map((_, i) => `task ${i + 1}`);
    const values = [...after, ...now].filter((v): v is number => typeof v === 'number');
    const lo = values.length ? Math.min(...values) : 0;
    // bars of scores near 1 are unreadable from 0: start a little below the lowest
    const min = Math.max(0, Math.floor((lo - 0.05) * 20) / 20);
    this.show({
      type: 'bar',
      data: {
        labels,
        datasets: [
          { label: `right after learning it`, data: after, backgroundColor: withAlpha(theme.series[0], 0.45), borderColor: theme.series[0], borderWidth: 1 },
          { label: `after the last task`, data: now, backgroundColor: theme.series[1], borderColor: theme.series[1], borderWidth: 1 },
        ],
      },
      options: {
        ...baseOptions(theme),
        interaction: { mode: 'index', intersect: false },
        scales: { x: { type: 'category', ...axis(theme, 'task') }, y: { type: 'linear', min, max: 1, ...axis(theme, NAMES[view.score]) } },
      },
    });
    return {
      label: after.length
        ? `${NAMES[view.score]} of each task right after learning it and after the last task: ` + labels.map((l, i) => `${l} ${fmt(after[i], 3)} then ${fmt(now[i], 3)}`).join('; ') + '.'
        : 'No completed task yet.',
      data: { score: view.score, tasks: after.length, points: after.length + now.length },
      note: after.length ? undefined : 'Scores appear when the first task completes.',
    };
  }

  protected table(ctx: RenderContext): TableData {
    const { after, now } = taskScores(ctx.run, ctx.view.score);
    return {
      caption: `${NAMES[ctx.view.score]} of each task right after learning it and after the last task`,
      columns: ['task', 'right after learning it', 'after the last task', 'change'],
      rows: after.map((a, i) => [`task ${i + 1}`, a, now[i], typeof a === 'number' && typeof now[i] === 'number' ? (now[i] as number) - a : null]),
    };
  }
}

export class ParamsChart extends ChartJsPanel {
  constructor(actions: PanelActions) {
    super('params', 'Parameters after each task', actions, 'short');
  }

  protected draw(ctx: RenderContext): Drawn {
    const { theme } = ctx;
    const tasks = ctx.run?.tasks ?? [];
    this.show({
      type: 'line',
      data: {
        labels: tasks.map((t) => `task ${t.index}`),
        datasets: [
          { label: 'parameters', data: tasks.map((t) => t.params), borderColor: theme.series[0], backgroundColor: theme.series[0], pointRadius: 3 },
          { label: 'non-zero', data: tasks.map((t) => t.nonZeroParams), borderColor: theme.series[2], backgroundColor: theme.series[2], pointRadius: 3, borderDash: [5, 3] },
        ],
      },
      options: { ...baseOptions(theme), scales: { x: { type: 'category', ...axis(theme, 'after task') }, y: { type: 'linear', ...axis(theme, 'parameters') } } },
    });
    const last = tasks[tasks.length - 1];
    return {
      label: last
        ? `Parameters from ${tasks[0].params.toLocaleString('en-US')} after task 1 to ${last.params.toLocaleString('en-US')} after task ${last.index} (${last.nonZeroParams.toLocaleString('en-US')} non-zero).`
        : 'No completed task yet.',
      data: { tasks: tasks.length, points: tasks.length * 2, params: last?.params ?? null },
    };
  }

  protected table(ctx: RenderContext): TableData {
    const tasks = ctx.run?.tasks ?? [];
    return {
      caption: 'Parameters of the whole model after each task (hidden layers and every head)',
      columns: ['task', 'parameters', 'non-zero', 'sparsity'],
      rows: tasks.map((t) => [`task ${t.index}`, t.params, t.nonZeroParams, t.params ? `${((100 * (t.params - t.nonZeroParams)) / t.params).toFixed(1)} %` : null]),
    };
  }
}
