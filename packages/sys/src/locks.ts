import { native } from './addon.js';
import { settle } from './errors.js';
import { assertFd, assertOneOf, assertPath, optionalBoolean, optionalInteger, optionalObject } from './validate.js';

export type RecordLockType = 'read' | 'write';

/** A byte range: start defaults to 0, length to 0 (to end of file and beyond, as POSIX). */
export interface ByteRange {
  start?: number;
  length?: number;
}

export interface RecordLockHolder {
  type: RecordLockType;
  /** The holder's pid; -1 for an open file description (OFD) lock. */
  pid: number;
  start: number;
  length: number;
}

const RECORD_TYPES = ['read', 'write'] as const;
const RECORD_OPERATIONS = ['read', 'write', 'unlock'] as const;
const FLOCK_OPERATIONS = ['shared', 'exclusive', 'unlock'] as const;

function byteRange(range: unknown): { start: number; length: number } {
  const r = optionalObject(range, 'range');
  return {
    start: optionalInteger(r.start, 'range.start', 0, 0, Number.MAX_SAFE_INTEGER),
    length: optionalInteger(r.length, 'range.length', 0, 0, Number.MAX_SAFE_INTEGER),
  };
}

/**
 * fcntl(F_SETLK) on a byte range; with `wait: true`, F_SETLKW in the libuv
 * threadpool. Resolves true when taken (or unlocked), false when another
 * process holds a conflicting lock and `wait` is false.
 *
 * POSIX record locks belong to the process: closing any fd of the file
 * releases them all, and they never conflict with the process's own locks.
 */
export function setRecordLock(
  fd: number,
  type: RecordLockType | 'unlock',
  range?: ByteRange,
  options?: { wait?: boolean },
): Promise<boolean> {
  return settle(async () => {
    assertFd(fd, 'fd');
    assertOneOf(type, RECORD_OPERATIONS, 'type');
    const { start, length } = byteRange(range);
    const wait = optionalBoolean(optionalObject(options, 'options').wait, 'options.wait', false);
    if (wait && type !== 'unlock') return native.recordLock(fd, type, start, length, true);
    return native.recordLock(fd, type, start, length, false);
  });
}

/**
 * fcntl(F_GETLK): the first lock another process holds that would conflict
 * with a `type` lock on the range, or null. A path is opened read-only just
 * for the test (DPDK's "is the primary alive" check) — which, by POSIX rules,
 * drops any record lock this process itself holds on that file.
 */
export function testRecordLock(
  fdOrPath: number | string,
  type: RecordLockType,
  range?: ByteRange,
): Promise<RecordLockHolder | null> {
  return settle(() => {
    if (typeof fdOrPath === 'string') assertPath(fdOrPath, 'fdOrPath');
    else assertFd(fdOrPath, 'fdOrPath');
    assertOneOf(type, RECORD_TYPES, 'type');
    const { start, length } = byteRange(range);
    return native.recordLockTest(fdOrPath, type, start, length);
  });
}

/**
 * flock(2). Waits by default (in the libuv threadpool); with `wait: false`
 * uses LOCK_NB and resolves false when another open file holds a conflicting lock.
 */
export function flock(
  fd: number,
  operation: 'shared' | 'exclusive' | 'unlock',
  options?: { wait?: boolean },
): Promise<boolean> {
  return settle(async () => {
    assertFd(fd, 'fd');
    assertOneOf(operation, FLOCK_OPERATIONS, 'operation');
    const wait = optionalBoolean(optionalObject(options, 'options').wait, 'options.wait', true);
    if (wait && operation !== 'unlock') return native.flockLock(fd, operation, true);
    return native.flockLock(fd, operation, false);
  });
}
