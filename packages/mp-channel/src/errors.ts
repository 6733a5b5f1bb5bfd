import { EalTsError } from '@eal-ts/errno';

/** errno names this package raises; any other SysError code may pass through from the transport. */
export type MpErrorCode =
  | 'EINVAL'
  | 'E2BIG'
  | 'EEXIST'
  | 'ENOTSUP'
  | 'ECANCELED'
  | 'ECONNREFUSED'
  | 'ENOENT'
  | 'ENAMETOOLONG'
  | 'EBADMSG'
  | 'EBADF'
  | (string & {});

/**
 * Every failure of the mp channel carries the errno name DPDK would set in
 * rte_errno, so callers can branch on `code` exactly as C code branches on
 * rte_errno; `errno` is its negative number (see @eal-ts/errno).
 */
export class MpError extends EalTsError<MpErrorCode> {}

/** The field of a datagram that made it undecodable. */
export type MpCodecField = 'size' | 'type' | 'name' | 'len_param' | 'num_fds';

/** A datagram that is not a well-formed rte_mp message (DPDK drops those with "truncated msg" or a sanity-check line). */
export class MpCodecError extends MpError {
  constructor(readonly field: MpCodecField, message: string) {
    super('EBADMSG', message);
  }
}
