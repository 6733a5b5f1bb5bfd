import { setImmediate as setImmediateCallback } from 'node:timers';

/** The time source of the channel's request timeouts (and of the in-memory network's deliveries). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /**
   * Optional: lets a timer stop (false) or start again (true) holding the
   * process open, as Node's unref()/ref(). A clock that has it lets the
   * channel keep one deadline timer armed between requests instead of
   * creating and cancelling one per request.
   */
  setRef?(handle: unknown, ref: boolean): void;
}

/** Monotonic wall-clock time and Node's own timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  setRef: (handle, ref) => {
    const timer = handle as ReturnType<typeof setTimeout>;
    if (ref) timer.ref();
    else timer.unref();
  },
};

interface VirtualTimer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

/**
 * Lets promise continuations (and setImmediate callbacks they queue) run:
 * a few turns of the check phase drain every chain of microtasks and the
 * in-memory transport's own follow-ups, without touching real timers.
 */
async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediateCallback(resolve));
}

/**
 * Time for tests: it only moves on advance()/runAll(). Timers fire in time
 * order, first-scheduled first among equal times, and pending promise work
 * runs between two timers so protocol code awaiting a send makes progress.
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<object, VirtualTimer>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const handle = {};
    this.#timers.set(handle, { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === 'object' && handle !== null) this.#timers.delete(handle);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`VirtualClock.advance(${ms}): expected a non-negative number`);
    const target = this.#now + ms;
    for (;;) {
      await settle();
      const next = this.#next();
      if (!next || next[1].at > target) break;
      this.#fire(next);
    }
    this.#now = target;
    await settle();
  }

  /** Fires timers in order until none is left (at most `limit`, against a timer that keeps re-arming itself). */
  async runAll(limit = 100_000): Promise<void> {
    for (let fired = 0; ; fired++) {
      await settle();
      const next = this.#next();
      if (!next) return;
      if (fired >= limit) throw new Error(`VirtualClock.runAll: more than ${limit} timers fired; a timer keeps re-arming`);
      this.#fire(next);
    }
  }

  #next(): [object, VirtualTimer] | undefined {
    let best: [object, VirtualTimer] | undefined;
    for (const entry of this.#timers) {
      const t = entry[1];
      if (!best || t.at < best[1].at || (t.at === best[1].at && t.seq < best[1].seq)) best = entry;
    }
    return best;
  }

  #fire([handle, timer]: [object, VirtualTimer]): void {
    this.#timers.delete(handle);
    this.#now = Math.max(this.#now, timer.at);
    timer.fn();
  }
}
