/**
 * A FIFO async mutex: `run` queues `work` behind every earlier caller.
 * DPDK serialises port allocation with a spinlock in shared memory
 * (rte_mcfg_ethdev_get_lock); across processes eal-ts uses fcntl record
 * locks, which never conflict inside one process, so the callers within a
 * process queue here first.
 */
export class AsyncMutex {
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;

  /** Callers running or waiting. */
  get pending(): number {
    return this.queued;
  }

  run<T>(work: () => Promise<T>): Promise<T> {
    // Idle (nothing running or waiting, the tail has settled): start now, not a microtask later.
    const result = this.queued === 0 ? start(work) : this.tail.then(work);
    this.queued++;
    const settled = result.then(this.leave, this.leave);
    this.tail = settled;
    return result;
  }

  private readonly leave = (): void => {
    this.queued--;
  };
}

function start<T>(work: () => Promise<T>): Promise<T> {
  try {
    return work();
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    return Promise.reject(error);
  }
}
