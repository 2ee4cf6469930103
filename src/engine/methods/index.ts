// Every method by name.
import type { MethodName } from '../experiment';
import { baselineMethods } from './baselines';
import { denMethods } from './den';
import type { Method } from './method';
import { progressive } from './progressive';

const methods = new Map<MethodName, Method>([...denMethods, ...baselineMethods, progressive].map((m) => [m.name, m]));

export function methodOf(name: MethodName): Method {
  const m = methods.get(name);
  if (!m) throw new Error(`unknown method '${name}'`);
  return m;
}

export type { Method, MethodContext, TaskReport } from './method';
