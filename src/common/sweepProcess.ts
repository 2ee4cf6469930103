// `den-lab sweep … --json` as a child process of the extension host: the same code path as the
// command line (the CLI plans the grid, runs every point in its own process and writes sweep.json);
// the host only reads its events. Cancel is the CLI's Ctrl-C (SIGINT: every point stops at its next
// step and is marked cancelled); a second cancel, or a sweep that has not stopped within the grace
// period, gets the CLI's second Ctrl-C (the points are killed). No vscode import: tested with real
// processes.
import { ChildProcess, spawn } from 'child_process';
import { checkSweepEvent } from './protocolGuards';
import type { SweepEvent, SweepFile } from './protocol';

export interface SweepProcessOptions {
  /** The den-lab CLI: dist/trainer.js, which is the CLI when given arguments (dist/cli.js in the tests works too). */
  cli: string;
  /** Node executable (the `denLab.nodePath` setting); default: the editor's own. */
  nodePath?: string;
  cwd?: string;
  /** The `denLab.nodeModulesPath` setting, for the native backends of the points. */
  nodeModulesPath?: string;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** After a cancel, how long the points may take to stop before they are killed. */
  cancelGraceMs?: number;
}

export interface SweepOutcome {
  /** How the CLI exited: 0 every point done, 1 a point failed, 2 bad input, 130 cancelled. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The sweep folder, once the CLI has said where (null if it stopped before). */
  dir: string | null;
  /** sweep.json at the end, as the CLI printed it (its last sweep-start, sweep-end or sweep-status). */
  sweep: SweepFile | null;
  cancelled: boolean;
  /** The CLI's last `den-lab: …` line (its one-line error), if any. */
  error: string | null;
}

export class SweepProcess {
  private child: ChildProcess | null = null;
  private cancels = 0;
  private graceTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SweepProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Runs `node cli <args>`; `onEvent` gets every well-formed sweep event. Resolves when the process has exited. */
  run(args: string[], onEvent: (e: SweepEvent) => void): Promise<SweepOutcome> {
    if (this.child) return Promise.reject(new Error('a sweep is already running'));
    const { cli, nodePath, cwd, nodeModulesPath, log } = this.options;
    const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_RUN_AS_NODE: '1' }; // under desktop VS Code, execPath is Electron: make it plain Node
    if (nodeModulesPath) env.DEN_LAB_NODE_MODULES = nodeModulesPath;
    const node = nodePath || process.execPath;
    const child = spawn(node, [cli, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.cancels = 0;
    log('info', `sweep: ${node} ${[cli, ...args].map((a) => (/[\s"'[\]]/.test(a) ? JSON.stringify(a) : a)).join(' ')} (pid ${child.pid})`);
    let dir: string | null = null;
    let sweep: SweepFile | null = null;
    let error: string | null = null;
    let pending = '';
    child.stdout!.on('data', (d: Buffer) => {
      const lines = (pending + d.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.trim())) {
        let raw: unknown;
        try {
          raw = JSON.parse(line);
        } catch {
          log('info', `sweep: ${line}`);
          continue;
        }
        const checked = checkSweepEvent(raw);
        if (!checked.ok) {
          log('warn', `sweep: ignored a malformed event: ${checked.problem}`);
          continue;
        }
        const e = checked.value;
        if (e.type === 'sweep-start' || e.type === 'sweep-end' || e.type === 'sweep-status') {
          dir = e.dir;
          sweep = e.sweep;
        }
        onEvent(e);
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        if (line.startsWith('den-lab: ')) error = line.slice('den-lab: '.length);
        log('warn', `sweep: ${line}`);
      }
    });
    return new Promise<SweepOutcome>((resolve, reject) => {
      child.on('error', (err) => {
        this.finish();
        reject(new Error(`cannot start the sweep with ${node}: ${err.message}`));
      });
      child.on('close', (code, signal) => {
        this.finish();
        resolve({ code, signal, dir, sweep, cancelled: this.cancels > 0 || code === 130, error });
      });
    });
  }

  /** Stops every point at its next step; called again (or after the grace period), kills them. */
  cancel(): void {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    this.cancels++;
    child.kill('SIGINT');
    if (this.cancels === 1) this.graceTimer = setTimeout(() => this.cancel(), this.options.cancelGraceMs ?? 30_000);
  }

  private finish(): void {
    clearTimeout(this.graceTimer);
    this.child = null;
  }

  /** The window closes: the sweep stops its points at their next step and exits (as on Ctrl-C). */
  dispose(): void {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGINT');
    clearTimeout(this.graceTimer);
  }
}
