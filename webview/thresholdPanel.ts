// The threshold panel: τ, σ, k, μ, γ, λ, epochs and learning rate, bound both ways to the
// experiment file. A committed field (Enter or leaving it) goes to the host as setThreshold, which
// validates it against the schema and applies it as a WorkspaceEdit; the file's new values come back
// as a 'thresholds' message, and so do the schema's messages for a rejected value. While a value is
// typed, the charts preview it (the σ line of the drift chart, the τ line of the loss chart).
import type { ThresholdValues, TrainingState, WebviewToHost } from '../src/common/protocol';
import { THRESHOLD_FIELDS } from '../src/common/protocol';
import { h } from './dom';
import { FIELDS, fieldOfPath, parseThreshold, sameValue, showValue, type Field } from './thresholdFields';

type TextField = HTMLElement & { value: string; invalid: boolean; disabled: boolean };
type Button = HTMLElement & { disabled: boolean };

export class ThresholdPanel {
  readonly element: HTMLElement;
  private readonly inputs = new Map<Field, TextField>();
  private readonly helpers = new Map<Field, HTMLElement>();
  private readonly fileLabel: HTMLElement;
  private readonly general: HTMLElement;
  private readonly trainButton: Button;
  private readonly retrainButton: Button;
  private values: ThresholdValues | null = null;
  private experimentFile: string | null = null;
  /** Text typed and not yet accepted by the file. */
  private readonly drafts = new Map<Field, string>();
  /** Local or schema problems per field. */
  private readonly problems = new Map<Field, string>();
  private retrainTask: number | null = null;
  /** Whether the experiment file itself is valid (training is refused while it is not). */
  private fileValid = true;
  private training: TrainingState = { running: false, runId: null, task: null };

  constructor(
    private readonly post: (msg: WebviewToHost) => void,
    private readonly onPreview: () => void,
  ) {
    this.fileLabel = h('p', { class: 'experiment-file' });
    this.general = h('ul', { class: 'problems', role: 'alert', hidden: true });
    const fields = THRESHOLD_FIELDS.map((field) => {
      const spec = FIELDS[field];
      const id = `threshold-${field}`;
      const input = h('vscode-textfield', { id, name: field, label: spec.label, 'aria-describedby': `${id}-help`, 'data-field': field }) as TextField;
      const helper = h('vscode-form-helper', { id: `${id}-help` }, spec.help);
      input.addEventListener('input', () => this.onInput(field));
      input.addEventListener('change', () => this.commit(field));
      input.addEventListener('keydown', (e: KeyboardEvent) => {
        if (e.key === 'Escape') this.revert(field);
      });
      this.inputs.set(field, input);
      this.helpers.set(field, helper);
      return h('div', { class: 'field' }, h('vscode-label', { for: id }, spec.label), input, helper);
    });
    this.trainButton = h('vscode-button', { 'data-action': 'train-next' }, 'Train next task') as Button;
    this.trainButton.addEventListener('click', () => this.post({ type: 'trainNext' }));
    this.retrainButton = h('vscode-button', { secondary: true, 'data-action': 'retrain' }, 'Retrain task') as Button;
    this.retrainButton.addEventListener('click', () => {
      if (this.retrainTask !== null) this.post({ type: 'retrainTask', task: this.retrainTask });
    });
    this.element = h(
      'aside',
      { class: 'thresholds', 'aria-labelledby': 'thresholds-title' },
      h('h2', { id: 'thresholds-title' }, 'Thresholds'),
      this.fileLabel,
      h('div', { class: 'actions' }, this.trainButton, this.retrainButton),
      this.general,
      h('form', { class: 'fields', 'aria-label': 'DEN thresholds of the experiment file' }, ...fields),
    );
    // Enter in a field commits it; it must not submit the form
    this.element.querySelector('form')!.addEventListener('submit', (e) => e.preventDefault());
    this.refresh();
  }

  /** The file's values with whatever valid value is being typed over them (for the charts). */
  preview(): Partial<ThresholdValues> | null {
    if (!this.values && !this.drafts.size) return null;
    const out: Partial<ThresholdValues> = { ...(this.values ?? {}) };
    for (const [field, text] of this.drafts) {
      const parsed = parseThreshold(field, text);
      if ('value' in parsed) (out as Record<Field, number | number[]>)[field] = parsed.value;
    }
    return out;
  }

  /**
   * The experiment file's values and problems from the host: the file's own (`fileValid` false: its
   * values as written are shown, each problem by its field) or a rejected edit's.
   */
  update(experimentFile: string | null, values: ThresholdValues | null, problems: { field: string; message: string }[], fileValid: boolean): void {
    this.experimentFile = experimentFile;
    this.fileValid = fileValid;
    if (values) this.values = values;
    else if (!problems.length) this.values = null;
    const byField = new Map<Field, string>();
    const general: string[] = [];
    for (const p of problems) {
      const field = fieldOfPath(p.field);
      if (field && !byField.has(field)) byField.set(field, p.message);
      else if (!field) general.push(p.message);
    }
    for (const field of THRESHOLD_FIELDS) {
      const problem = byField.get(field);
      const input = this.inputs.get(field)!;
      if (problem) {
        this.problems.set(field, problem); // keep the rejected text in the field
        continue;
      }
      this.problems.delete(field);
      const draft = this.drafts.get(field);
      const focused = input.matches(':focus-within');
      const accepted = draft !== undefined && this.values !== null && sameValue(field, draft, this.values[field]);
      if (!focused || accepted) this.drafts.delete(field);
    }
    if (!fileValid) general.unshift(`${experimentFile?.split(/[\\/]/).pop() ?? 'The experiment file'} has errors; fix them in the file to train.`);
    this.general.replaceChildren(...general.map((m) => h('li', {}, m)));
    this.general.hidden = general.length === 0;
    this.refresh();
    this.onPreview();
  }

  setTraining(training: TrainingState): void {
    this.training = training;
    this.refresh();
  }

  /** The task "Retrain task t" retrains (a completed task of the shown run), or null. */
  setRetrainTask(task: number | null): void {
    this.retrainTask = task;
    this.refresh();
  }

  private onInput(field: Field): void {
    this.drafts.set(field, this.inputs.get(field)!.value);
    this.problems.delete(field);
    this.showProblem(field);
    if (field === 'tau' || field === 'sigma') this.onPreview();
  }

  private commit(field: Field): void {
    const text = this.inputs.get(field)!.value;
    const parsed = parseThreshold(field, text);
    if ('error' in parsed) {
      this.drafts.set(field, text);
      this.problems.set(field, parsed.error);
      this.showProblem(field);
      return;
    }
    if (this.values && sameValue(field, text, this.values[field])) {
      this.drafts.delete(field);
      this.problems.delete(field);
      this.refresh();
      return;
    }
    this.drafts.set(field, text);
    this.post({ type: 'setThreshold', field, value: parsed.value });
  }

  private revert(field: Field): void {
    this.drafts.delete(field);
    this.problems.delete(field);
    this.refresh();
    this.onPreview();
  }

  private showProblem(field: Field): void {
    const problem = this.problems.get(field);
    const input = this.inputs.get(field)!;
    input.invalid = problem !== undefined;
    const helper = this.helpers.get(field)!;
    helper.textContent = problem ?? FIELDS[field].help;
    helper.classList.toggle('error', problem !== undefined);
    helper.setAttribute('role', problem ? 'alert' : 'note');
  }

  private refresh(): void {
    const file = this.experimentFile;
    this.fileLabel.textContent = file ? `Experiment: ${file.split(/[\\/]/).pop()}` : 'No experiment file: open a *.den.json file.';
    if (file) this.fileLabel.title = file;
    for (const field of THRESHOLD_FIELDS) {
      const input = this.inputs.get(field)!;
      const draft = this.drafts.get(field);
      const text = draft ?? (this.values ? showValue(this.values[field]) : '');
      if (input.value !== text) input.value = text;
      input.disabled = !file;
      this.showProblem(field);
    }
    const busy = this.training.running;
    const blocked = busy || !file || !this.fileValid;
    this.trainButton.disabled = blocked;
    this.trainButton.textContent = busy ? `Training task ${this.training.task ?? ''}…` : 'Train next task';
    this.trainButton.title = !this.fileValid ? 'The experiment file has errors: fix them to train' : '';
    const t = this.retrainTask;
    this.retrainButton.disabled = blocked || t === null;
    this.retrainButton.textContent = t === null ? 'Retrain (show a trained task)' : `Retrain task ${t} with these values`;
  }
}
