// Named points where the fault tests (npm run test:faults) kill the process on purpose, to prove
// that a kill at that very moment leaves every run loadable. DEN_LAB_FAULT=<point>[@<n>] SIGKILLs
// the process the n-th time (default: the first) it reaches <point>; without the variable this
// is one comparison.
const counts = new Map<string, number>();

export function faultPoint(name: string, before?: () => void): void {
  const spec = process.env.DEN_LAB_FAULT;
  if (!spec) return;
  const [point, nth] = spec.split('@');
  if (point !== name) return;
  const n = (counts.get(name) ?? 0) + 1;
  counts.set(name, n);
  if (n !== Number(nth ?? 1)) return;
  before?.();
  process.kill(process.pid, 'SIGKILL');
}
