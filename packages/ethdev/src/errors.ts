import { EalTsError, type ErrnoName } from '@eal-ts/errno';

/** The errno names ethdev failures carry (ENODEV, ENOSPC, EEXIST, ENOTSUP … as DPDK's rte_eth_* return them). */
export type EthdevErrorCode = ErrnoName;

/**
 * Every failure of this package. `code` is the errno name (branch on it as C
 * code branches on rte_errno), `errno` the negative number DPDK would return.
 */
export class EthdevError extends EalTsError<EthdevErrorCode> {}

/** True when `error` is an EthdevError with that code. */
export function isEthdevError(error: unknown, code?: EthdevErrorCode): error is EthdevError {
  return error instanceof EthdevError && (code === undefined || error.code === code);
}
