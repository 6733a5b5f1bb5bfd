/**
 * Where a schedule's choices come from: a seeded PRNG (random schedules), or
 * an enumerator that walks every branch of the choice tree one run at a
 * time (the exhaustive pass over a small configuration).
 */
export interface Choices {
  /** An integer in [0, n). */
  int(n: number): number;
  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

/**
 * Replays a prefix of choices, then takes the first option of every later
 * choice point, recording how many options each point had. `next()` then
 * gives the prefix of the following run in depth-first order, so that
 * running until it is undefined visits every path of the tree exactly once
 * (a run must make the same choices given the same answers: the simulator
 * is deterministic).
 */
export class Enumerator implements Choices {
  readonly #prefix: readonly number[];
  readonly #taken: number[] = [];
  readonly #arity: number[] = [];

  constructor(prefix: readonly number[] = []) {
    this.#prefix = prefix;
  }

  int(n: number): number {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`a choice needs at least one option, got ${n}`);
    const i = this.#taken.length;
    const v = i < this.#prefix.length ? this.#prefix[i]! : 0;
    if (v >= n) throw new Error(`replay diverged at choice ${i}: ${v} of ${n} options (the run is not deterministic)`);
    this.#taken.push(v);
    this.#arity.push(n);
    return v;
  }

  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** Both branches are visited: the probability does not matter here. */
  chance(_p: number): boolean {
    return this.int(2) === 1;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** The choices this run made. */
  get path(): readonly number[] {
    return this.#taken;
  }

  /** The prefix of the next run, or undefined when every path was visited. */
  next(): number[] | undefined {
    for (let i = this.#taken.length - 1; i >= 0; i--) {
      if (this.#taken[i]! + 1 < this.#arity[i]!) return [...this.#taken.slice(0, i), this.#taken[i]! + 1];
    }
    return undefined;
  }
}
