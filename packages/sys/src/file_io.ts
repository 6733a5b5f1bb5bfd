// Positional I/O on small page-cached files and a chunk-wise buffer
// comparison, each one addon call (issue 11: the port table is read and
// written on every hotplug, in every process, and fs.readSync/writeSync plus
// one Buffer.compare per slot cost tens of µs of JavaScript per operation on
// a cold path; each wrapper is a plain try/catch around its call, no
// closure). They run on the calling thread, as fs.readSync does: use
// them only for files of a few KiB in the page cache (tmpfs, a runtime
// directory), never for a disk read that could wait.
import { native } from './addon.js';
import { fromAddon } from './errors.js';
import { RECORD_TYPES, type RecordLockType } from './locks.js';
import { assertBytes, assertFd, assertOneOf, optionalBoolean, optionalInteger } from './validate.js';

/** The checks every positional call makes of its fd and bytes; the position, checked. A plain call, no closure. */
function positionalArgs(fd: number, bytes: Uint8Array, position: number): number {
  assertFd(fd, 'fd');
  assertBytes(bytes, 'bytes');
  return optionalInteger(position, 'position', 0, 0, Number.MAX_SAFE_INTEGER);
}

/**
 * pread(2) into `bytes` from `position` until it is full or the file ends:
 * the number of bytes read (fewer than `bytes.length` only at end of file).
 * Throws SysError (EBADF, EISDIR, …).
 */
export function readAtSync(fd: number, bytes: Uint8Array, position = 0): number {
  const at = positionalArgs(fd, bytes, position);
  try {
    return native.readAt(fd, bytes, at);
  } catch (error) {
    throw fromAddon(error);
  }
}

/** pwrite(2) of all of `bytes` at `position`: the number written (always `bytes.length`). Throws SysError. */
export function writeAtSync(fd: number, bytes: Uint8Array, position = 0): number {
  const at = positionalArgs(fd, bytes, position);
  try {
    return native.writeAt(fd, bytes, at);
  } catch (error) {
    throw fromAddon(error);
  }
}

/**
 * The whole file's fcntl record lock (`type` 'read' or 'write'), taken
 * without waiting, and while it is held a pread into `bytes` from `position`
 * as readAtSync does: one addon call (issue 11: a process that has idled
 * pays microseconds per call). Returns the bytes read, or null when another
 * process holds a conflicting lock (then nothing was read and nothing is
 * held). With `unlockAfter`, the lock is released before it returns: a
 * consistent snapshot, nothing held. Without it the caller holds the lock
 * and releases it with writeAtAndUnlockSync or trySetRecordLockSync(fd,
 * 'unlock'). A failed read releases the lock and throws SysError. Only for
 * small page-cached files, as readAtSync.
 */
export function lockAndReadAtSync(fd: number, type: RecordLockType, bytes: Uint8Array, position = 0, unlockAfter = false): number | null {
  const at = positionalArgs(fd, bytes, position);
  assertOneOf(type, RECORD_TYPES, 'type');
  const unlock = optionalBoolean(unlockAfter, 'unlockAfter', false);
  let read: number;
  try {
    read = native.lockedReadAt(fd, type === 'write', bytes, at, unlock);
  } catch (error) {
    throw fromAddon(error);
  }
  return read < 0 ? null : read;
}

/**
 * pwrite of all of `bytes` at `position` as writeAtSync does, then the
 * release of the whole file's record lock, whether the write succeeded or
 * not: one addon call, the end of a lockAndReadAtSync … write section.
 * Returns the bytes written; throws SysError after the release.
 */
export function writeAtAndUnlockSync(fd: number, bytes: Uint8Array, position = 0): number {
  const at = positionalArgs(fd, bytes, position);
  try {
    return native.writeAtUnlock(fd, bytes, at);
  } catch (error) {
    throw fromAddon(error);
  }
}

/**
 * The indices of the `chunkSize`-byte chunks of `a` (the last may be
 * shorter) whose bytes differ from `b`'s at the same offsets, ascending; a
 * chunk `b` does not cover whole counts as differing. One memcmp per chunk.
 */
export function diffChunks(a: Uint8Array, b: Uint8Array, chunkSize: number): number[] {
  assertBytes(a, 'a');
  assertBytes(b, 'b');
  const size = optionalInteger(chunkSize, 'chunkSize', 0, 1, 0xffffffff);
  try {
    return native.diffChunks(a, b, size);
  } catch (error) {
    throw fromAddon(error);
  }
}

/**
 * What fstatLiteSync reports: identity, link count, mode and the change
 * times, whole seconds and nanoseconds apart (a nanosecond count since 1970
 * does not fit a double exactly; the pair compares exactly).
 */
export interface FstatLite {
  readonly dev: number;
  readonly ino: number;
  readonly nlink: number;
  readonly mode: number;
  readonly mtimeSec: number;
  readonly mtimeNsec: number;
  readonly ctimeSec: number;
  readonly ctimeNsec: number;
}

const statOut = new Float64Array(8);

/**
 * fstat(2) of `fd`, the fields a change check needs, as plain numbers: one
 * addon call and one small object, where fs.fstatSync builds a whole Stats
 * (a BigIntStats for nanoseconds). dev and ino are exact up to 2^53. Throws
 * SysError (EBADF, …).
 */
export function fstatLiteSync(fd: number): FstatLite {
  assertFd(fd, 'fd');
  try {
    native.fstatInto(fd, statOut);
  } catch (error) {
    throw fromAddon(error);
  }
  return {
    dev: statOut[0]!,
    ino: statOut[1]!,
    nlink: statOut[2]!,
    mode: statOut[3]!,
    mtimeSec: statOut[4]!,
    mtimeNsec: statOut[5]!,
    ctimeSec: statOut[6]!,
    ctimeNsec: statOut[7]!,
  };
}
