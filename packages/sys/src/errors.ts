import { EalTsError, errnoOf, nameOf, strerror } from '@eal-ts/errno';

export interface SysErrorOptions {
  /** The C library's text for the errno (strerror); @eal-ts/errno's copy of it when absent. */
  description?: string;
  cause?: unknown;
}

/** What native/errors.c puts on the errors it builds. */
interface NativeErrnoFields {
  errno: number;
  syscall: string;
  path?: unknown;
  description?: unknown;
}

function isNativeErrnoError(value: unknown): value is Error & NativeErrnoFields {
  if (!(value instanceof Error)) return false;
  const candidate = value as Error & Partial<NativeErrnoFields>;
  return typeof candidate.errno === 'number' && typeof candidate.syscall === 'string';
}

/**
 * A failed system call: `code` the errno name, `errno` its negative number
 * (as Node's fs errors and DPDK have it). `errno` may be given as a number
 * of either sign or as its name (`new SysError('ECONNREFUSED', 'sendmsg',
 * path)`), which lets other packages fake failures in their tests.
 */
export class SysError extends EalTsError {
  readonly syscall: string;
  // `declare`: absent rather than undefined when there is no path.
  declare readonly path?: string;

  constructor(errno: number | string, syscall: string, path?: string, options: SysErrorOptions = {}) {
    const code = typeof errno === 'number' ? (nameOf(errno) ?? 'UNKNOWN') : errno;
    const number = typeof errno === 'number' ? errno : errnoOf(errno);
    const description = options.description ?? (number === undefined ? `unknown system error ${code}` : strerror(number));
    const where = path === undefined ? syscall : `${syscall} ${path}`;
    super(code, `${where}: ${code} (${description})`, {
      ...(number === undefined ? {} : { errno: number }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.syscall = syscall;
    if (path !== undefined) this.path = path;
  }

  /**
   * An error the addon built (native/errors.c: a positive `errno`, `syscall`,
   * `path`, the C library's `description`) as a SysError; an error without
   * those becomes EIO with it as the cause.
   */
  static fromNative(error: unknown): SysError {
    if (error instanceof SysError) return error;
    if (!isNativeErrnoError(error)) {
      const description = error instanceof Error ? error.message : String(error);
      return new SysError('EIO', 'addon', undefined, { description, cause: error });
    }
    return new SysError(error.errno, error.syscall, typeof error.path === 'string' ? error.path : undefined, {
      ...(typeof error.description === 'string' ? { description: error.description } : {}),
    });
  }
}

/**
 * What leaves this package for a value the addon threw: its errno errors
 * as SysError; argument errors (TypeError, RangeError) as they are.
 */
export function fromAddon(thrown: unknown): Error {
  return thrown instanceof Error && !isNativeErrnoError(thrown) ? thrown : SysError.fromNative(thrown);
}

/** Runs `work` and settles with the addon's failures as SysError, never throwing synchronously. */
export function settle<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    const value = work();
    // Done synchronously (an uncontended lock, say): one settled promise, no rejection handler (issue 11).
    if (!(value instanceof Promise)) return Promise.resolve(value);
    return value.catch((error: unknown) => {
      throw fromAddon(error);
    });
  } catch (error) {
    return Promise.reject(fromAddon(error));
  }
}
