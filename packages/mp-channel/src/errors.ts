import { constants } from 'node:os';

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

/** The positive errno for a name, as DPDK would leave it in rte_errno (0 if the host has no such errno). */
export function errnoOf(code: string): number {
  return (constants.errno as Record<string, number | undefined>)[code] ?? 0;
}

/**
 * Every failure of the mp channel carries the errno name DPDK would set in
 * rte_errno, so callers can branch on `code` exactly as C code branches on
 * rte_errno.
 */
export class MpError extends Error {
  override name = 'MpError';
  readonly code: MpErrorCode;
  readonly errno: number;

  constructor(code: MpErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.errno = errnoOf(code);
  }
}

/** The field of a datagram that made it undecodable. */
export type MpCodecField = 'size' | 'type' | 'name' | 'len_param' | 'num_fds';

/** A datagram that is not a well-formed rte_mp message (DPDK drops those with "truncated msg" or a sanity-check line). */
export class MpCodecError extends MpError {
  override name = 'MpCodecError';
  readonly field: MpCodecField;

  constructor(field: MpCodecField, message: string) {
    super('EBADMSG', message);
    this.field = field;
  }
}

/** The errno name of anything thrown by a transport or by us; undefined for foreign errors without one. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
