// The workspace's experiment files, run folders and sweep folders, kept current: read on start, re-read when
// the trainer reports a finished task or when run files change on disk (e.g. a CLI run in a
// terminal), with the re-reads debounced.
import * as path from 'path';
import * as vscode from 'vscode';
import { allRuns, readRuns, RunEntry } from '../common/runIndex';
import { readSweeps, SweepEntry, sweepOf } from '../common/sweepIndex';

const EXCLUDE = '**/{node_modules,.git,.vscode-test}/**';
const SWEEP_POLL_MS = 15_000;

export class WorkspaceRuns implements vscode.Disposable {
  private runs: RunEntry[] = [];
  private experiments: vscode.Uri[] = [];
  private sweepEntries: SweepEntry[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<void> | undefined;
  private generation = 0;

  /** Fires after runs or experiment files were re-read. */
  readonly onDidChange = this.changed.event;

  constructor() {
    const watch = (glob: string) => {
      const w = vscode.workspace.createFileSystemWatcher(glob);
      const later = () => this.refreshSoon();
      this.disposables.push(w, w.onDidCreate(later), w.onDidChange(later), w.onDidDelete(later));
    };
    watch('**/summary.json');
    watch('**/run.json');
    watch('**/*.den.json');
    watch('**/sweep.json');
    // File events can be missed (a busy machine, a remote file system): a sweep started in a
    // terminal must still show up, so the sweep folders are also looked for now and then.
    const poll = setInterval(() => void this.pollSweeps(), SWEEP_POLL_MS);
    this.disposables.push({ dispose: () => clearInterval(poll) });
  }

  /** Re-reads everything when the sweep folders on disk are not the ones indexed, or one of them runs. */
  private async pollSweeps(): Promise<void> {
    const found = await vscode.workspace.findFiles('**/sweep.json', EXCLUDE);
    const onDisk = found.map((u) => path.dirname(u.fsPath)).sort();
    const known = this.sweepEntries.map((e) => e.dir).sort();
    const running = this.sweepEntries.some((e) => e.sweep?.state === 'running');
    if (running || onDisk.length !== known.length || onDisk.some((d, i) => d !== known[i])) this.refreshSoon();
  }

  /** Re-reads everything now. */
  refresh(): Promise<void> {
    const generation = ++this.generation;
    this.loading = (async () => {
      const [runFiles, experimentFiles, sweepFiles] = await Promise.all([
        vscode.workspace.findFiles('**/run.json', EXCLUDE),
        vscode.workspace.findFiles('**/*.den.json', EXCLUDE),
        vscode.workspace.findFiles('**/sweep.json', EXCLUDE),
      ]);
      // reads overlap when file events come while one is under way: a slower, older read must not
      // replace a newer one (a sweep that appeared in between would vanish until the next event);
      // whoever awaits the older one gets the newer one's result
      if (generation !== this.generation) return this.loading;
      this.runs = readRuns(runFiles.map((u) => path.dirname(u.fsPath)));
      this.sweepEntries = readSweeps(sweepFiles.map((u) => path.dirname(u.fsPath)));
      // a sweep's points/<id>.den.json are its points' experiments, not the user's
      this.experiments = experimentFiles.filter((u) => !sweepOf(this.sweepEntries, u.fsPath)).sort((a, b) => a.fsPath.localeCompare(b.fsPath));
      await vscode.commands.executeCommand('setContext', 'denLab.hasRuns', this.runs.length > 0);
      await vscode.commands.executeCommand('setContext', 'denLab.hasExperiment', this.experiments.length > 0);
      await vscode.commands.executeCommand('setContext', 'denLab.hasSweeps', this.sweepEntries.length > 0);
      this.changed.fire();
    })();
    return this.loading;
  }

  /** Re-reads after a short quiet period (file events come in bursts). */
  refreshSoon(delayMs = 300): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), delayMs);
  }

  /** Waits for the current read to finish. */
  async ready(): Promise<void> {
    await this.loading;
  }

  /** The runs at the top of the tree, each with its branches (retrained tasks) inside. */
  get topLevel(): RunEntry[] {
    return this.runs;
  }

  /** Every run: the top-level ones and all their branches, in one list. */
  get everyRun(): RunEntry[] {
    return allRuns(this.runs);
  }

  /** Sweep folders, newest first (their points' runs are in `topLevel` too). */
  get sweeps(): SweepEntry[] {
    return this.sweepEntries;
  }

  get experimentFiles(): vscode.Uri[] {
    return this.experiments;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.disposables.forEach((d) => d.dispose());
  }
}
