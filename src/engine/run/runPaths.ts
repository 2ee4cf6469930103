// Paths in run files are stored relative to the run folder, with '/' separators, so that a run
// survives a move, a clone or a copy to another OS; in memory they are absolute. On Windows file
// names are case-insensitive, so comparisons ignore case there.
import * as path from 'path';
import type { DenEvent } from '../../common/protocol';

/** `p` (absolute) as stored in a file of the run at `runDir`. */
export function toRun(runDir: string, p: string): string {
  const rel = path.relative(runDir, p);
  if (path.isAbsolute(rel)) return rel; // another drive stays absolute
  return rel ? rel.split(path.sep).join('/') : '.';
}

/** A path read from a file of the run at `runDir`, absolute (paths of older runs are absolute already). */
export function fromRun(runDir: string, p: string): string {
  return path.resolve(runDir, p);
}

/** The form of a path to compare with another: absolute, normalised, lower-case where names ignore case. */
export function comparablePath(p: string, platform: NodeJS.Platform = process.platform): string {
  const impl = platform === 'win32' ? path.win32 : path.posix;
  const abs = impl.resolve(p);
  return platform === 'win32' ? abs.toLowerCase() : abs;
}

export const samePath = (a: string, b: string, platform: NodeJS.Platform = process.platform): boolean => comparablePath(a, platform) === comparablePath(b, platform);

/** True if `child` is `parent` or inside it. */
export function isInside(child: string, parent: string, platform: NodeJS.Platform = process.platform): boolean {
  const c = comparablePath(child, platform);
  const p = comparablePath(parent, platform);
  const sep = platform === 'win32' ? '\\' : '/';
  return c === p || c.startsWith(p.endsWith(sep) ? p : p + sep);
}

/** A copy of an event with `fn` applied to the paths it carries. */
export function mapEventPaths<T extends DenEvent>(event: T, fn: (p: string) => string): T {
  switch (event.type) {
    case 'run-start':
    case 'run-end':
      return typeof event.runDir === 'string' ? { ...event, runDir: fn(event.runDir) } : event;
    case 'checkpoint':
      return typeof event.dir === 'string' ? { ...event, dir: fn(event.dir) } : event;
    default:
      return event;
  }
}
