// The one way this package waits for a resource another process holds (a
// lock, a full socket queue): try without blocking, pause on a timer, try
// again. A holder that never lets go costs timers, never a thread.

export interface BackoffOptions {
  /** Stop retrying this many ms after the first attempt. */
  timeoutMs: number;
  /** Pauses start at 1 ms and double up to this. */
  maxDelayMs: number;
  /** Stop retrying at once: rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** The caller has just made the first attempt itself, and it failed: pause before the next one. */
  afterFailedAttempt?: boolean;
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      // The caller's own reason, whatever it is, as fs.promises and MpChannel do.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Calls `attempt` until it returns true (then resolves true) or the time is
 * up (then resolves false), pausing 1, 2, 4 … maxDelayMs ms between
 * attempts, never past the deadline. What `attempt` throws rejects.
 */
export async function retryWithBackoff(attempt: () => boolean, options: BackoffOptions): Promise<boolean> {
  const { signal, maxDelayMs } = options;
  signal?.throwIfAborted();
  // The uncontended case reads no clock (`performance` loads perf_hooks: ~0.7 MiB at start-up, issue 11).
  if (options.afterFailedAttempt !== true && attempt()) return true;
  const deadline = performance.now() + options.timeoutMs;
  let delay = 1;
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) return false;
    await pause(Math.min(delay, left), signal);
    delay = Math.min(delay * 2, maxDelayMs);
    signal?.throwIfAborted();
    if (attempt()) return true;
  }
}
