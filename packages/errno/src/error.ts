import { ERRNO, type ErrnoName, canonicalName, errnoOf, nameOf } from './errno.js';

export interface EalTsErrorOptions {
  /** What caused it (Error's `cause`); absent rather than undefined when not given. */
  cause?: unknown;
  /**
   * The number, when it is not the name's own: a peer's result outside the
   * table keeps its value under a fallback name. Either sign; kept negative.
   */
  errno?: number;
  /** What was being done when it failed, as `from` puts it before the cause's message. */
  context?: string;
}

/** A constructor `from` can call: (code, message, options). */
export type EalTsErrorClass<T extends EalTsError> = new (code: ErrnoName, message: string, options?: EalTsErrorOptions) => T;

/**
 * The root of every error eal-ts throws. Branch on `code`, the errno name
 * (as C code branches on rte_errno); `errno` is the same failure as DPDK
 * returns it and as the wire and Node's fs errors carry it: negative
 * (ENODEV is -19). `name` is the class's name. `Code` narrows the names a
 * package's errors carry (`class EalError extends EalTsError<ErrnoName> {}`).
 */
export class EalTsError<Code extends string = string> extends Error {
  readonly code: Code;
  /** Negative; -EIO's number when `code` is not a Linux errno name and no number was given. */
  readonly errno: number;
  // `declare`: absent rather than undefined when there is none.
  declare readonly context?: string;

  constructor(code: Code, message: string, options: EalTsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.errno = options.errno === undefined ? (errnoOf(code) ?? -ERRNO.EIO) : -Math.abs(options.errno);
    if (options.context !== undefined) this.context = options.context;
  }

  /**
   * Any thrown value as an error of this class, losing nothing:
   * - one of this class already is one, and is returned as is;
   * - another eal-ts error, a Node.js error (fs, net: `code` 'ENOENT' …) or
   *   an errno-carrying native error (`errno` and `syscall`) keeps its errno
   *   name and number; an AbortError (an aborted signal) becomes ECANCELED;
   * - anything else (a string, an Error without errno) gets `fallback`.
   * The message is the thrown one, after `context` and ': ' when given; the
   * thrown value is the `cause`.
   */
  static from<T extends EalTsError>(
    this: EalTsErrorClass<T>,
    error: unknown,
    fallback: ErrnoName = 'EIO',
    context?: string,
  ): T {
    if (error instanceof this) return error;
    const message = messageOf(error);
    const [code, errno] = errnoFields(error) ?? [fallback, undefined];
    return new this(code, context === undefined ? message : `${context}: ${message}`, {
      cause: error,
      ...(errno === undefined ? {} : { errno }),
      ...(context === undefined ? {} : { context }),
    });
  }
}

/**
 * The errno name a thrown value carries (an eal-ts error's or a Node.js
 * error's `code`, a native error's `errno`); undefined when it carries none.
 */
export function errnoNameOf(error: unknown): ErrnoName | undefined {
  return errnoFields(error)?.[0];
}

/** The errno name (and number, when it is not the name's) a thrown value carries, if any. */
function errnoFields(error: unknown): [ErrnoName, number | undefined] | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, errno } = error as { code?: unknown; errno?: unknown };
  if (typeof code === 'string') {
    const name = canonicalName(code);
    if (name !== undefined) {
      // An eal-ts error may carry a peer's number outside the table; Node's own are the name's.
      return [name, error instanceof EalTsError ? error.errno : undefined];
    }
  }
  if (typeof errno === 'number' && errno !== 0) {
    const name = nameOf(errno);
    if (name !== undefined) return [name, undefined];
  }
  // An aborted signal's rejection (Node's AbortError, the DOMException): DPDK has no such
  // failure; eal-ts reports a cancelled operation as ECANCELED.
  if ((error as { name?: unknown }).name === 'AbortError') return ['ECANCELED', undefined];
  return undefined;
}

/** What a thrown value says: an Error's message, anything else as a string. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
