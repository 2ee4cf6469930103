// The Slurm steps of "DEN Lab: Sweep Thresholds…" without vscode: the partitions `sinfo` lists (its
// default one first), each answer checked with a one-line message that says what to type, and the
// `den-lab sweep` options the answers become. The same checks as the CLI's (slurmTimeProblem,
// splitOptions), so that what the steps accept, sbatch is given as the CLI would give it.
import { SweepError } from '../engine/sweep/grid';
import { slurmTimeProblem, splitOptions } from '../engine/sweep/slurm';

/** What the Slurm steps ask; remembered per workspace. Empty text: sbatch's own default. */
export interface SlurmChoices {
  partition: string;
  time: string;
  cpus: string;
  extra: string;
}

export const NO_SLURM_CHOICES: SlurmChoices = { partition: '', time: '', cpus: '1', extra: '' };

/** The command that lists the partitions, one a line, the default one marked with a trailing "*". */
export const SINFO_ARGS = ['--noheader', '--format=%P'];

export interface Partitions {
  names: string[];
  default: string | null;
}

/** Parses `sinfo --noheader --format=%P`: the partitions in its order, and the default one ("debug*"). */
export function parseSinfoPartitions(text: string): Partitions {
  const names: string[] = [];
  let def: string | null = null;
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const name = line.replace(/\*$/, '');
    if (!/^[\w.-]+$/.test(name) || names.includes(name)) continue;
    names.push(name);
    if (line.endsWith('*')) def ??= name;
  }
  return { names, default: def };
}

/** The partition typed: empty (the cluster's default) or one that sinfo lists (when it listed any). */
export function partitionProblem(text: string, known: Partitions | null): string | null {
  const t = text.trim();
  if (!t) return null;
  if (!/^[\w.-]+$/.test(t)) return `'${text}' is not a partition name: letters, digits, '.', '_' and '-' only`;
  if (known?.names.length && !known.names.includes(t)) return `sinfo lists no partition '${t}'; it lists ${known.names.join(', ')}`;
  return null;
}

export function timeProblem(text: string): string | null {
  return text.trim() ? slurmTimeProblem(text.trim()) : null;
}

export function cpusProblem(text: string): string | null {
  return /^\s*[1-9]\d*\s*$/.test(text) ? null : `CPUs per point must be a whole number of 1 or more, got '${text}'`;
}

export function extraProblem(text: string): string | null {
  let words: string[];
  try {
    words = splitOptions(text);
  } catch (err) {
    if (err instanceof SweepError) return err.message.replace(/^--slurm-extra: /, '');
    throw err;
  }
  return words.length && !words[0].startsWith('-') ? `sbatch options start with '-', e.g. --account=abc --mem=4G; got '${words[0]}'` : null;
}

/** The first problem of the choices, or null. */
export function slurmChoicesProblem(c: SlurmChoices, known: Partitions | null): string | null {
  return partitionProblem(c.partition, known) ?? timeProblem(c.time) ?? cpusProblem(c.cpus) ?? extraProblem(c.extra);
}

/** The `den-lab sweep` options of the choices (after --executor slurm); empty answers give none. */
export function slurmCliArgs(c: SlurmChoices): string[] {
  return [
    ...(c.partition.trim() ? ['--slurm-partition', c.partition.trim()] : []),
    ...(c.time.trim() ? ['--slurm-time', c.time.trim()] : []),
    ...(c.cpus.trim() && c.cpus.trim() !== '1' ? ['--slurm-cpus', c.cpus.trim()] : []),
    // one argument: the CLI splits it as it splits a typed --slurm-extra="…"
    ...(c.extra.trim() ? [`--slurm-extra=${c.extra.trim()}`] : []),
  ];
}

/** Remembered choices read back from workspace state: whatever is not a string is the default. */
export function rememberedChoices(raw: unknown): SlurmChoices {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const text = (k: keyof SlurmChoices) => (typeof r[k] === 'string' ? (r[k] as string) : NO_SLURM_CHOICES[k]);
  return { partition: text('partition'), time: text('time'), cpus: text('cpus'), extra: text('extra') };
}
