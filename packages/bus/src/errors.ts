import { EalTsError, type EalTsErrorOptions, type ErrnoName, nameOf } from '@eal-ts/errno';

import type { Device } from './rte_dev.js';

/**
 * Every failure of the device model (and of the layers built on it):
 * `code` is the errno name, `errno` the negative number DPDK would return
 * for it (so it can go on the wire as is). `EalError.from(thrown, fallback,
 * context)` turns anything thrown into one (see @eal-ts/errno).
 */
export class EalError extends EalTsError<ErrnoName> {
  /**
   * From a number a peer sent (DPDK's `result` field). Numbers outside the
   * table keep their value under the EIO name, since the name is only a label.
   */
  static fromErrno(errno: number, message: string): EalError {
    return new EalError(nameOf(errno) ?? 'EIO', message, { errno });
  }
}

/** Malformed `key=value` lists and values a driver cannot use. */
export class KvargsError extends EalError {
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
  readonly reason: DevargsErrorReason;
  /** The devargs text as given. */
  readonly devargs: string;

  constructor(code: ErrnoName, reason: DevargsErrorReason, devargs: string, message: string, options?: EalTsErrorOptions) {
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
  constructor(code: ErrnoName, readonly device: Device, message: string, options?: EalTsErrorOptions) {
    super(code, message, options);
  }
}
