// A sweep folder's sweep.json, read and checked, and whether a live process follows it: what the
// extension host needs of a sweep, without the engine that trains (and TensorFlow.js) behind sweep.ts.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { SweepFile } from '../../common/protocol';
import { checkSweepFile } from '../../common/protocolGuards';
import { isAlive } from '../run/runLock';
import { SweepError } from './grid';

export const sweepFile = (dir: string) => path.join(dir, 'sweep.json');

/**
 * The live process on this machine that follows the sweep's points and keeps its sweep.json current, if any.
 * (A process on another machine cannot be checked from here; for points that outlive their process, the
 * executor's own queue says whether they still run.)
 */
export function liveFollower(sweep: SweepFile): number | null {
  const here = sweep.host === undefined || sweep.host === os.hostname(); // sweep.json files before `host` were local
  return sweep.state === 'running' && sweep.pid !== null && here && isAlive(sweep.pid) ? sweep.pid : null;
}

/** Reads sweep.json, or undefined if the folder has none. */
export function readSweep(dir: string): SweepFile | undefined {
  const file = sweepFile(dir);
  if (!fs.existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SweepError(`${file}: not a readable DEN Lab sweep (${(err as Error).message})`);
  }
  const checked = checkSweepFile(raw);
  if (!checked.ok) throw new SweepError(`${file}: not a readable DEN Lab sweep (${checked.problem})`);
  return checked.value;
}
