// Waiting for a condition in a test: poll with a deadline, never a fixed
// sleep followed by an assertion (on a loaded 2-core machine the sleep is
// sometimes too short, and the test goes red for nothing).
import { setTimeout as sleep } from 'node:timers/promises';

export interface PollOptions {
  /** What is awaited, for the error message. */
  what: string;
  /** Default 10 s: generous on a loaded machine, still bounded. */
  timeoutMs?: number;
  /** Pause between two probes (default 20 ms). */
  intervalMs?: number;
}

/**
 * Probes until `done(value)` holds and returns that value. At the deadline
 * it throws, naming what was awaited and the last value probed (or the last
 * error the probe threw).
 */
export async function pollUntil<T>(probe: () => T | Promise<T>, done: (value: T) => boolean, options: PollOptions): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  let last: { value: T } | { error: unknown } | undefined;
  for (;;) {
    try {
      const value = await probe();
      if (done(value)) return value;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() >= deadline) {
      const seen =
        last === undefined ? 'nothing' : 'error' in last ? `an error: ${String(last.error)}` : JSON.stringify(last.value);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what}; last seen: ${seen}`);
    }
    await sleep(options.intervalMs ?? 20);
  }
}

/** Waits until `condition()` is true (polling, with a deadline). */
export async function eventually(condition: () => boolean | Promise<boolean>, options: PollOptions): Promise<void> {
  await pollUntil(condition, (ok) => ok, options);
}

/**
 * Checks that `condition()` stays true for `ms` (probing all along): the
 * honest form of "nothing happens". A slow machine can only make it weaker,
 * never fail it wrongly.
 */
export async function holdsFor(condition: () => boolean | Promise<boolean>, ms: number, what: string, intervalMs = 10): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (!(await condition())) throw new Error(`${what} stopped holding`);
    if (Date.now() >= end) return;
    await sleep(Math.min(intervalMs, Math.max(0, end - Date.now())));
  }
}

/**
 * An operation the test starts now and reads the outcome of later (after
 * moving a clock, resuming a peer…): until then its rejection is not an
 * unhandled one.
 */
export function later<T>(operation: Promise<T>): Promise<T> {
  operation.catch(() => undefined);
  return operation;
}
