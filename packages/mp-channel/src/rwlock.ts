/**
 * An async readers/writer lock with FIFO fairness: a waiting writer holds
 * back readers that come after it, so a stream of broadcasts cannot starve a
 * process that wants to bind (flock gives no such promise, but it must not be
 * our own process that starves itself).
 */
export class RwLock {
  #readers = 0;
  #writer = false;
  readonly #queue: { mode: 'shared' | 'exclusive'; grant: () => void }[] = [];

  /** True while nobody holds or waits for the lock. */
  get idle(): boolean {
    return this.#readers === 0 && !this.#writer && this.#queue.length === 0;
  }

  /**
   * Takes the lock now if it can be granted at once (nobody waits; no
   * writer; for 'exclusive', no reader): the releaser, else undefined (then
   * queue with `acquire`). Saves a promise when the lock is free.
   */
  tryAcquire(mode: 'shared' | 'exclusive'): (() => void) | undefined {
    if (this.#queue.length > 0 || this.#writer) return undefined;
    if (mode === 'exclusive') {
      if (this.#readers > 0) return undefined;
      this.#writer = true;
    } else this.#readers++;
    return this.#releaser(mode);
  }

  acquire(mode: 'shared' | 'exclusive'): Promise<() => void> {
    return new Promise((resolve) => {
      this.#queue.push({ mode, grant: () => resolve(this.#releaser(mode)) });
      this.#drain();
    });
  }

  async with<T>(mode: 'shared' | 'exclusive', fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(mode);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  #releaser(mode: 'shared' | 'exclusive'): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (mode === 'shared') this.#readers--;
      else this.#writer = false;
      this.#drain();
    };
  }

  #drain(): void {
    for (;;) {
      const head = this.#queue[0];
      if (!head || this.#writer) return;
      if (head.mode === 'exclusive') {
        if (this.#readers > 0) return;
        this.#writer = true;
      } else this.#readers++;
      this.#queue.shift();
      head.grant();
    }
  }
}
