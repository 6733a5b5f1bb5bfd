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
    this.queued++;
    const result = this.tail.then(work);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.tail = settled;
    void settled.then(() => {
      this.queued--;
    });
    return result;
  }
}
