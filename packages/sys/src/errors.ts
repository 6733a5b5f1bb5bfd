import os from 'node:os';
import util from 'node:util';

// Several errno names share one number on Linux; these are the names DPDK and
// most tools print, so they win over their aliases (EWOULDBLOCK, EOPNOTSUPP, EDEADLOCK).
const PREFERRED_NAMES = ['EAGAIN', 'ENOTSUP', 'EDEADLK'] as const;

const errnoNames: ReadonlyMap<number, string> = (() => {
  const table = os.constants.errno as Readonly<Record<string, number>>;
  const names = new Map<number, string>();
  for (const [name, value] of Object.entries(table)) {
    if (!names.has(value)) names.set(value, name);
  }
  for (const name of PREFERRED_NAMES) {
    const value = table[name];
    if (value !== undefined) names.set(value, name);
  }
  return names;
})();

const errnoNumbers: ReadonlyMap<string, number> = new Map(
  Object.entries(os.constants.errno as Readonly<Record<string, number>>),
);

/** The errno name for a positive errno value, `UNKNOWN` when the platform has none. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? 'UNKNOWN';
}

function describe(errno: number): string {
  // libuv's map is keyed by the negated errno.
  return util.getSystemErrorMap().get(-errno)?.[1] ?? `unknown system error ${errno}`;
}

export interface SysErrorOptions {
  /** The C library's text for the errno (strerror); libuv's text when absent. */
  description?: string;
  cause?: unknown;
}

/**
 * A failed system call. `errno` may be given as a number or as its name
 * (`new SysError('ECONNREFUSED', 'sendmsg', path)`), which lets other
 * packages fake failures in their tests.
 */
export class SysError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  // `declare`: absent rather than undefined when there is no path.
  declare readonly path?: string;

  constructor(errno: number | string, syscall: string, path?: string, options: SysErrorOptions = {}) {
    const number = typeof errno === 'number' ? errno : (errnoNumbers.get(errno) ?? 0);
    const code = typeof errno === 'number' ? errnoName(errno) : errno;
    const description = options.description ?? describe(number);
    const where = path === undefined ? syscall : `${syscall} ${path}`;
    super(`${where}: ${code} (${description})`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SysError';
    this.code = code;
    this.errno = number;
    this.syscall = syscall;
    if (path !== undefined) this.path = path;
  }
}

interface NativeErrnoError {
  errno: number;
  syscall: string;
  path?: unknown;
  description?: unknown;
}

function isNativeErrnoError(value: unknown): value is Error & NativeErrnoError {
  if (!(value instanceof Error)) return false;
  const candidate = value as Error & Partial<NativeErrnoError>;
  return typeof candidate.errno === 'number' && typeof candidate.syscall === 'string';
}

/**
 * Every error leaving this package goes through here: errno-carrying errors
 * from the addon become SysError; argument errors (TypeError, RangeError)
 * pass through unchanged.
 */
export function toSysError(value: unknown): Error {
  if (value instanceof SysError) return value;
  if (isNativeErrnoError(value)) {
    return new SysError(value.errno, value.syscall, typeof value.path === 'string' ? value.path : undefined, {
      ...(typeof value.description === 'string' ? { description: value.description } : {}),
    });
  }
  if (value instanceof Error) return value;
  return new Error(`@eal-ts/sys: unexpected non-error thrown: ${String(value)}`);
}

/** Runs `work` and settles with SysError-converted failures, never throwing synchronously. */
export function settle<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(work()).catch((error: unknown) => {
      throw toSysError(error);
    });
  } catch (error) {
    return Promise.reject(toSysError(error));
  }
}
