/**
 * Linux errno values for the failures ethdev reports. DPDK returns them
 * negated (-ENODEV …) and the hotplug wire carries those numbers, so they are
 * Linux's numbers whatever platform Node runs on — a fixed table rather than
 * os.constants.errno.
 */
export const ETHDEV_ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  EBADF: 9,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ENAMETOOLONG: 36,
  EBADMSG: 74,
  ENOTSUP: 95,
} as const;

export type EthdevErrorCode = keyof typeof ETHDEV_ERRNO;

/**
 * Every failure of this package. `code` is the errno name (branch on it as C
 * code branches on rte_errno), `errno` the negative number DPDK would return.
 */
export class EthdevError extends Error {
  override name = 'EthdevError';
  readonly code: EthdevErrorCode;
  readonly errno: number;

  constructor(code: EthdevErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.errno = -ETHDEV_ERRNO[code];
  }
}

/** True when `error` is an EthdevError with that code. */
export function isEthdevError(error: unknown, code?: EthdevErrorCode): error is EthdevError {
  return error instanceof EthdevError && (code === undefined || error.code === code);
}
