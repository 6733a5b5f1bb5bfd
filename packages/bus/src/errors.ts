import { ERRNO, type ErrnoName, errnoName, isErrnoName } from './errno.js';
import type { Device } from './rte_dev.js';

/**
 * Every failure eal-ts reports: `code` is the errno name, `errno` the
 * negative number DPDK would return for it (so it can go on the wire as is).
 */
export class EalError extends Error {
  override name = 'EalError';
  readonly code: ErrnoName;
  readonly errno: number;

  constructor(code: ErrnoName, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.errno = -ERRNO[code];
  }

  /**
   * From a number a peer sent (DPDK's `result` field). Numbers outside the
   * table keep their value under the EIO name, since the name is only a label.
   */
  static fromErrno(errno: number, message: string): EalError {
    const err = new EalError(errnoName(errno) ?? 'EIO', message);
    (err as { errno: number }).errno = -Math.abs(errno);
    return err;
  }
}

/** Malformed `key=value` lists and values a driver cannot use. */
export class KvargsError extends EalError {
  override name = 'KvargsError';
  /** The key at fault, when there is one. */
  readonly key: string | undefined;

  constructor(code: ErrnoName, message: string, key?: string) {
    super(code, message);
    this.key = key;
  }
}

/** Why a devargs string was refused; the errno alone cannot tell (DPDK reuses EFAULT/EINVAL). */
export type DevargsErrorReason =
  | 'too-long'
  | 'name-too-long'
  | 'unknown-bus'
  | 'unknown-class'
  | 'no-bus'
  | 'syntax';

export class DevargsError extends EalError {
  override name = 'DevargsError';
  readonly reason: DevargsErrorReason;
  /** The devargs text as given. */
  readonly devargs: string;

  constructor(code: ErrnoName, reason: DevargsErrorReason, devargs: string, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.reason = reason;
    this.devargs = devargs;
  }
}

/**
 * A probe or remove that failed on a known device. DPDK's local_dev_probe
 * hands the device back together with -EEXIST, and the hotplug layer needs
 * it for rollback, so the device travels with the error.
 */
export class DeviceError extends EalError {
  override name = 'DeviceError';
  readonly device: Device;

  constructor(code: ErrnoName, device: Device, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.device = device;
  }
}

/**
 * Any thrown value as an EalError: EalErrors pass through, errors carrying
 * an errno name (Node's fs errors) keep it, the rest become `fallback`.
 */
export function toEalError(err: unknown, fallback: ErrnoName, context?: string): EalError {
  if (err instanceof EalError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  return new EalError(isErrnoName(code) ? code : fallback, context ? `${context}: ${message}` : message, { cause: err });
}
