// Which async resources an operation creates: how a suite shows that a code
// path makes no threadpool round trip (no FSREQCALLBACK, FILEHANDLE, …).
import { createHook } from 'node:async_hooks';

/** Scheduling, not I/O: left out of what `resourcesDuring` reports. */
const SCHEDULING = new Set(['PROMISE', 'Timeout', 'Immediate', 'TickObject']);

/** The async resource types created while `work` runs, in order, except promises and timers; and its result. */
export async function resourcesDuring<T>(work: () => Promise<T>): Promise<{ types: string[]; value: T }> {
  const types: string[] = [];
  const hook = createHook({
    init(_id, type) {
      if (!SCHEDULING.has(type)) types.push(type);
    },
  });
  hook.enable();
  try {
    return { types, value: await work() };
  } finally {
    hook.disable();
  }
}
