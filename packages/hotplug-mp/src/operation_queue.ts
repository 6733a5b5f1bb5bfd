/**
 * The ordering machinery of hotplug: a FIFO of async operations. Each process
 * has two (eal_common_dev.ts): whole operations, and local probe/remove steps.
 */
import { HotplugError } from './errors.js';

/**
 * Operations one after the other, in the order they were queued; one that
 * is aborted while waiting leaves its place without disturbing the order.
 */
export class OperationQueue {
  #tail: Promise<void> = Promise.resolve();
  #length = 0;

  get length(): number {
    return this.#length;
  }

  run<T>(operation: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    this.#length++;
    const done = (): void => {
      this.#length--;
      release();
    };
    return new Promise<T>((resolve, reject) => {
      let started = false;
      const onAbort = (): void => {
        if (started) return;
        started = true; // never run it
        // Our turn still comes after the previous one: only then does the next go.
        void previous.then(done);
        reject(new HotplugError('ECANCELED', 'hotplug operation aborted while queued', { op: 'attach', devargs: '', stage: 'local', cause: signal?.reason }));
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
}
