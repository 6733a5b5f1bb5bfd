/**
 * Runs `operation` and calls `release` exactly once when it settles, before
 * the caller sees the outcome, whether it resolves, rejects or throws
 * synchronously (then as a rejection, as an async function would). The
 * outcome is the operation's; a throwing `release` replaces it, as a
 * `finally` block's throw would.
 *
 * A `try`/`finally` around an `await` does the same with a few promise
 * ticks more; hot paths that hold a lock or a queue slot for an operation
 * use this instead (issue 11).
 */
export function runThenRelease<T>(operation: () => Promise<T>, release: () => void): Promise<T> {
  let running: Promise<T>;
  try {
    running = operation();
  } catch (error) {
    release();
    // The operation's own synchronous failure, as an async function would reject with it.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    return Promise.reject(error);
  }
  return running.then(
    (value) => {
      release();
      return value;
    },
    (error: unknown) => {
      release();
      throw error;
    },
  );
}
