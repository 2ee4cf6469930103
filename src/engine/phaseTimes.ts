// Wall time of the parts of a task that are not training stages (PhaseName), added up per phase:
// two clock reads per part, so the engine records them on every run.
import type { PhaseName, PhaseTimes } from '../common/protocol';

/** Runs `fn` and adds its wall seconds to `times[phase]`. */
export function timed<T>(times: PhaseTimes, phase: PhaseName, fn: () => T): T {
  const start = performance.now();
  try {
    return fn();
  } finally {
    times[phase] = (times[phase] ?? 0) + (performance.now() - start) / 1000;
  }
}
