import { fstatSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

import { native } from './addon.js';
import { SysError, fromAddon, settle } from './errors.js';
import { retryWithBackoff } from './retry.js';
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

export const RECORD_TYPES = ['read', 'write'] as const;
const RECORD_OPERATIONS = ['read', 'write', 'unlock'] as const;
const FLOCK_OPERATIONS = ['shared', 'exclusive', 'unlock'] as const;

/** No range given: the whole file (one shared object, not one per call: issue 11). */
const WHOLE_FILE: { readonly start: number; readonly length: number } = Object.freeze({ start: 0, length: 0 });

function byteRange(range: unknown): { readonly start: number; readonly length: number } {
  if (range === undefined) return WHOLE_FILE;
  const r = optionalObject(range, 'range');
  return {
    start: optionalInteger(r.start, 'range.start', 0, 0, Number.MAX_SAFE_INTEGER),
    length: optionalInteger(r.length, 'range.length', 0, 0, Number.MAX_SAFE_INTEGER),
  };
}

/**
 * How to wait for a lock. Waiting never blocks a thread: the lock is tried
 * without blocking (F_SETLK, LOCK_NB) and retried with backoff (1 ms
 * doubling to 50 ms), so a holder that never lets go (stopped, hung) costs
 * timers, not a libuv threadpool worker.
 */
export interface LockWaitOptions {
  /** Wait until the lock is free (default false: one attempt). */
  wait?: boolean;
  /** Give up after this many ms with LockTimeoutError (ETIMEDOUT); default: no deadline. */
  timeoutMs?: number;
  /** Stop waiting: rejects with the signal's reason. */
  signal?: AbortSignal;
  /** What the lock is, for the error (usually the file's path); default `fd <n>`. */
  name?: string;
}

const BACKOFF_MAX_MS = 50;

export interface LockHolderInfo {
  /** The holder's pid, or null when it cannot be known (an OFD lock, no /proc/locks). */
  pid: number | null;
}

/**
 * The deadline of a lock wait passed: SysError ETIMEDOUT naming the lock and,
 * where it could be found (F_GETLK for record locks, /proc/locks for
 * flock), the process holding it.
 */
export class LockTimeoutError extends SysError {
  readonly lock: string;
  readonly holder: LockHolderInfo;
  readonly timeoutMs: number;

  constructor(syscall: 'fcntl' | 'flock', lock: string, holder: LockHolderInfo, timeoutMs: number) {
    const who = holder.pid === null ? 'holder unknown' : `held by pid ${holder.pid}`;
    super('ETIMEDOUT', syscall, lock, { description: `lock not free within ${timeoutMs} ms, ${who}` });
    this.lock = lock;
    this.holder = holder;
    this.timeoutMs = timeoutMs;
  }
}

function waitOptions(options: unknown, waitDefault: boolean): Required<Omit<LockWaitOptions, 'signal' | 'name'>> & Pick<LockWaitOptions, 'signal' | 'name'> {
  const o = optionalObject(options, 'options') as LockWaitOptions;
  const wait = optionalBoolean(o.wait, 'options.wait', waitDefault);
  const timeoutMs = optionalInteger(o.timeoutMs, 'options.timeoutMs', Number.MAX_SAFE_INTEGER, 0, Number.MAX_SAFE_INTEGER);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TypeError('options.signal must be an AbortSignal');
  if (o.name !== undefined && typeof o.name !== 'string') throw new TypeError('options.name must be a string');
  return { wait, timeoutMs, signal: o.signal, name: o.name };
}

/** Tries `attempt` until it succeeds, the deadline passes (then `timedOut()`) or the signal aborts. */
async function retry(
  attempt: () => boolean,
  options: { timeoutMs: number; signal?: AbortSignal | undefined },
  timedOut: () => Promise<Error>,
): Promise<true> {
  // Its callers have just made the first attempt, synchronously, and it failed.
  if (await retryWithBackoff(attempt, { timeoutMs: options.timeoutMs, maxDelayMs: BACKOFF_MAX_MS, signal: options.signal, afterFailedAttempt: true })) {
    return true;
  }
  throw await timedOut();
}

/**
 * fcntl(F_SETLK) on a byte range. Resolves true when taken (or unlocked),
 * false when another process holds a conflicting lock and `wait` is false.
 * With `wait: true` it retries (see LockWaitOptions) and rejects with
 * LockTimeoutError after `timeoutMs`, naming the holder's pid (F_GETLK).
 *
 * POSIX record locks belong to the process: closing any fd of the file
 * releases them all, and they never conflict with the process's own locks.
 */
export function setRecordLock(
  fd: number,
  type: RecordLockType | 'unlock',
  range?: ByteRange,
  options?: LockWaitOptions,
): Promise<boolean> {
  return settle(() => {
    assertFd(fd, 'fd');
    assertOneOf(type, RECORD_OPERATIONS, 'type');
    const { start, length } = byteRange(range);
    const o = waitOptions(options, false);
    if (!o.wait || type === 'unlock') return native.recordLock(fd, type, start, length);
    o.signal?.throwIfAborted();
    // Uncontended (the usual case): taken at the first attempt, no retry machinery (issue 11).
    if (native.recordLock(fd, type, start, length)) return true;
    const name = o.name ?? `fd ${fd}`;
    return retry(() => native.recordLock(fd, type, start, length), o, async () => {
      const holder = await testRecordLock(fd, type, range).catch(() => null);
      return new LockTimeoutError('fcntl', name, { pid: holder && holder.pid > 0 ? holder.pid : null }, o.timeoutMs);
    });
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
 * flock(2). Waits by default (retrying without blocking, see
 * LockWaitOptions; LockTimeoutError after `timeoutMs`, naming the holder
 * from /proc/locks); with `wait: false` resolves false when another open
 * file holds a conflicting lock.
 */
export function flock(fd: number, operation: 'shared' | 'exclusive' | 'unlock', options?: LockWaitOptions): Promise<boolean> {
  return settle(() => {
    assertFd(fd, 'fd');
    assertOneOf(operation, FLOCK_OPERATIONS, 'operation');
    const o = waitOptions(options, true);
    if (!o.wait || operation === 'unlock') return native.flockLock(fd, operation);
    o.signal?.throwIfAborted();
    // Uncontended (the usual case): taken at the first attempt, no retry machinery (issue 11).
    if (native.flockLock(fd, operation)) return true;
    const name = o.name ?? `fd ${fd}`;
    return retry(() => native.flockLock(fd, operation), o, async () => {
      const pid = await flockHolder(fd).catch(() => null);
      return new LockTimeoutError('flock', name, { pid }, o.timeoutMs);
    });
  });
}

/**
 * One non-blocking fcntl(F_SETLK) attempt, synchronously: true when the lock
 * is taken (or, for 'unlock', released), false when another process holds a
 * conflicting one. It never waits (F_SETLK returns at once), so it is safe on
 * the event loop; it is the first attempt `setRecordLock` makes, for a caller
 * whose critical section is itself synchronous and which falls back to
 * `setRecordLock(..., { wait: true })` when this returns false. Throws
 * SysError (EBADF, EINVAL, ENOLCK, …) or TypeError/RangeError for bad
 * arguments.
 */
export function trySetRecordLockSync(fd: number, type: RecordLockType | 'unlock', range?: ByteRange): boolean {
  assertFd(fd, 'fd');
  assertOneOf(type, RECORD_OPERATIONS, 'type');
  const { start, length } = byteRange(range);
  try {
    return native.recordLock(fd, type, start, length);
  } catch (error) {
    throw fromAddon(error);
  }
}

/**
 * One non-blocking flock(LOCK_NB) attempt, synchronously: true when taken
 * (or released), false when another open file holds a conflicting lock.
 * Never waits; see trySetRecordLockSync.
 */
export function tryFlockSync(fd: number, operation: 'shared' | 'exclusive' | 'unlock'): boolean {
  assertFd(fd, 'fd');
  assertOneOf(operation, FLOCK_OPERATIONS, 'operation');
  try {
    return native.flockLock(fd, operation);
  } catch (error) {
    throw fromAddon(error);
  }
}

/**
 * How many times flockHolder reads /proc/locks before concluding nobody
 * holds the lock. The kernel serves that file a page (4 KiB) per read(),
 * each read walking the global lock list again from a record index, so
 * when other processes take or drop locks between two reads of one pass a
 * line can be skipped or listed twice. A lock that is really held shows up
 * on the next pass; one that is not is missing from every pass.
 */
const PROC_LOCKS_PASSES = 3;

/**
 * Who holds a flock on the file behind `fd`, from /proc/locks
 * (`N: FLOCK ADVISORY WRITE <pid> <major>:<minor>:<inode> 0 EOF`, device
 * numbers in hex). The first holder that is not this process, or null.
 * /proc/locks is no atomic snapshot (see PROC_LOCKS_PASSES): a pass that
 * finds no holder is repeated before null is returned.
 */
export async function flockHolder(fd: number, procLocks = '/proc/locks'): Promise<number | null> {
  const st = fstatSync(fd, { bigint: true });
  const major = Number(((st.dev >> 8n) & 0xfffn) | ((st.dev >> 32n) & ~0xfffn));
  const minor = Number((st.dev & 0xffn) | ((st.dev >> 12n) & ~0xffn));
  const key = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${st.ino}`;
  for (let pass = 0; pass < PROC_LOCKS_PASSES; pass++) {
    const pid = findFlockHolder(await readFile(procLocks, 'utf8'), key);
    if (pid !== null) return pid;
  }
  return null;
}

function findFlockHolder(table: string, key: string): number | null {
  for (const line of table.split('\n')) {
    const fields = line.trim().split(/\s+/);
    // Waiters are listed as "N: -> FLOCK ...": they hold nothing.
    if (fields[1] !== 'FLOCK' || fields[5] !== key) continue;
    const pid = Number(fields[4]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) return pid;
  }
  return null;
}
