/**
 * Linux errno values, by name. DPDK reports failures as negative errno
 * (-ENODEV …) and the hotplug wire carries those numbers, so they must be
 * Linux's numbers whatever platform Node runs on — hence a fixed table
 * rather than os.constants.errno.
 */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  E2BIG: 7,
  EAGAIN: 11,
  ENOMEM: 12,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  ENAMETOOLONG: 36,
  ENOMSG: 42,
  EPROTO: 71,
  EBADMSG: 74,
  ENOTSUP: 95,
  ECONNREFUSED: 111,
  ETIMEDOUT: 110,
  ECANCELED: 125,
} as const;

export type ErrnoName = keyof typeof ERRNO;

export function isErrnoName(value: unknown): value is ErrnoName {
  return typeof value === 'string' && Object.hasOwn(ERRNO, value);
}

/** DPDK's convention: the negative errno for a name (-ENODEV = -19). */
export function negativeErrno(code: ErrnoName): number {
  return -ERRNO[code];
}

/**
 * The name for an errno number received from a peer, negative or not
 * (a DPDK primary answers -14 for EFAULT); undefined for a number not in the table.
 */
export function errnoName(errno: number): ErrnoName | undefined {
  const abs = Math.abs(errno);
  for (const [name, value] of Object.entries(ERRNO)) if (value === abs) return name as ErrnoName;
  return undefined;
}
