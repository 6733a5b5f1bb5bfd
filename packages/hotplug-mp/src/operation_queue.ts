/**
 * The ordering machinery of hotplug: a FIFO of async operations. Each process
 * has two (eal_common_dev.ts): whole operations, and local probe/remove steps.
 */
import { runThenRelease } from '@eal-ts/errno';
import { HotplugError, type HotplugOp } from './errors.js';

/**
 * Operations one after the other, in the order they were queued; one that
 * is aborted while waiting leaves its place without disturbing the order.
 */
export class OperationQueue {
  #tail: Promise<void> = Promise.resolve();
  #length = 0;
  readonly #immediate: boolean;

  /**
   * `immediate`: when the queue is idle, an operation starts at once rather
   * than a microtask later (the device queue, entered from inside running
   * operations and actions). The queue of whole operations keeps the later
   * start: a call returns before its operation begins, as callers observe.
   */
  constructor(options: { immediate?: boolean } = {}) {
    this.#immediate = options.immediate === true;
  }

  get length(): number {
    return this.#length;
  }

  /** `label` names the operation in the HotplugError ECANCELED of an abort while it waits. */
  run<T>(operation: () => Promise<T>, signal?: AbortSignal, label?: { op: HotplugOp; devargs: string }): Promise<T> {
    if (this.#immediate && this.#length === 0 && signal?.aborted !== true) return this.#runNow(operation);
    const previous = this.#tail;
    const done = this.#enter();
    return new Promise<T>((resolve, reject) => {
      let started = false;
      const onAbort = (): void => {
        if (started) return;
        started = true; // never run it
        // Our turn still comes after the previous one: only then does the next go.
        void previous.then(done);
        const details = { op: label?.op ?? 'attach', devargs: label?.devargs ?? '', stage: 'local', cause: signal?.reason as unknown } as const;
        const what = label ? `${label.op} of ${label.devargs}` : 'hotplug operation';
        reject(new HotplugError('ECANCELED', `${what} aborted while queued`, details));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      void previous.then(async () => {
        if (started) return;
        started = true;
        signal?.removeEventListener('abort', onAbort);
        try {
          resolve(await operation());
        } catch (error) {
          // The operation's own failure, whatever it threw, goes to the caller as is.
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
          reject(error);
        } finally {
          done();
        }
      });
    });
  }

  /**
   * An idle queue (nothing running, nothing waiting: every earlier tail has
   * resolved) starts the operation at once instead of a microtask later:
   * the same order, two promise hops fewer on every uncontended operation.
   */
  #runNow<T>(operation: () => Promise<T>): Promise<T> {
    return runThenRelease(operation, this.#enter());
  }

  /** Takes the last place: the new tail resolves when the returned `done` is called. */
  #enter(): () => void {
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    this.#length++;
    return () => {
      this.#length--;
      release();
    };
  }
}
