import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { SysError, flock, lockAndReadAtSync, setRecordLock, testRecordLock, tryFlockSync, trySetRecordLockSync, writeAtAndUnlockSync } from '../src/index.js';
import { Child, eventually, killChildren, makeTempDir, removeTempDirs, within } from './helpers.js';

const handles: FileHandle[] = [];
const fds: number[] = [];

afterEach(async () => {
  await killChildren();
  for (const handle of handles.splice(0)) await handle.close();
  for (const fd of fds.splice(0)) closeSync(fd);
  await removeTempDirs();
});

async function openHere(path: string): Promise<number> {
  const handle = await open(path, 'r+');
  handles.push(handle);
  return handle.fd;
}

/** A 64-byte file `name` whose `range` a child process holds write-locked, and this process's fd of it. */
async function lockedByChild(name: string, range: { start: number; length: number }): Promise<{ file: string; child: Child; fd: number }> {
  const file = join(await makeTempDir(), name);
  writeFileSync(file, Buffer.alloc(64));
  const child = await Child.peer();
  expect(await child.request('setRecordLock', { path: file, type: 'write', range })).toBe(true);
  return { file, child, fd: await openHere(file) };
}

/** Watches a promise and a timer together: proof the loop ran while the promise was pending. */
function track<T>(promise: Promise<T>): { settled: () => boolean; ticks: () => number; stop: () => void; promise: Promise<T> } {
  let settled = false;
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { settled: () => settled, ticks: () => ticks, stop: () => clearInterval(timer), promise };
}

describe('POSIX record locks (fcntl)', () => {
  it("sees a child's write lock, is refused without wait, and takes it with wait once the child releases, without blocking the event loop", async () => {
    const { file, child, fd } = await lockedByChild('config', { start: 8, length: 16 });
    expect(await testRecordLock(fd, 'write')).toEqual({ type: 'write', pid: child.pid, start: 8, length: 16 });
    expect(await testRecordLock(fd, 'read', { start: 20, length: 1 })).toEqual({
      type: 'write',
      pid: child.pid,
      start: 8,
      length: 16,
    });
    expect(await testRecordLock(fd, 'write', { start: 0, length: 8 })).toBeNull();
    expect(await setRecordLock(fd, 'write')).toBe(false);
    expect(await setRecordLock(fd, 'read', { start: 8, length: 1 })).toBe(false);
    // A range that does not overlap is free.
    expect(await setRecordLock(fd, 'write', { start: 32, length: 8 })).toBe(true);
    expect(await setRecordLock(fd, 'unlock', { start: 32, length: 8 })).toBe(true);

    const waiting = track(setRecordLock(fd, 'write', {}, { wait: true }));
    try {
      await eventually(() => waiting.ticks() >= 3, 'timers to fire while the lock wait is pending');
      expect(waiting.settled()).toBe(false);
      // The IPC round trip itself needs a running event loop too.
      expect(await child.request('setRecordLock', { path: file, type: 'unlock', range: { start: 8, length: 16 } })).toBe(true);
      expect(await within(waiting.promise, 'the waited-for record lock')).toBe(true);
    } finally {
      waiting.stop();
    }
    // Now we hold the whole file: the child sees us as the holder.
    expect(await child.request('testRecordLock', { path: file, type: 'read' })).toEqual({
      type: 'write',
      pid: process.pid,
      start: 0,
      length: 0,
    });
    expect(await child.request('setRecordLock', { path: file, type: 'read', range: { start: 60, length: 1 } })).toBe(false);
  });

  it("takes a lock with wait once the holding child exits", async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'config');
    writeFileSync(file, 'x');
    const child = await Child.peer();
    await child.request('setRecordLock', { path: file, type: 'write' });
    const fd = await openHere(file);
    const waiting = track(setRecordLock(fd, 'write', undefined, { wait: true }));
    try {
      await eventually(() => waiting.ticks() >= 3, 'timers to fire while the lock wait is pending');
      expect(waiting.settled()).toBe(false);
      child.kill();
      await child.exited;
      expect(await within(waiting.promise, 'the lock after the holder died')).toBe(true);
    } finally {
      waiting.stop();
    }
  });

  it('reports, by path, the holder of a lock on a sub-range inside the file, and nothing once the holder is gone', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'config');
    writeFileSync(file, Buffer.alloc(4096));
    const child = await Child.peer();
    // Like DPDK's primary: a write lock on a range inside the config file.
    await child.request('setRecordLock', { path: file, type: 'write', range: { start: 16, length: 512 } });

    // Like DPDK's "is the primary alive": lockf(F_TEST) over 0..EOF.
    expect(await testRecordLock(file, 'write')).toEqual({ type: 'write', pid: child.pid, start: 16, length: 512 });
    expect(await testRecordLock(file, 'read', { start: 1000 })).toBeNull();

    child.kill();
    await child.exited;
    expect(await testRecordLock(file, 'write')).toBeNull();
  });

  it('rejects a lock test on a missing path with SysError ENOENT', async () => {
    const dir = await makeTempDir();
    const missing = join(dir, 'no-config');
    const error = await testRecordLock(missing, 'write').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SysError);
    expect(error).toMatchObject({ code: 'ENOENT', syscall: 'open', path: missing });
  });

  it('rejects record-lock calls on a closed fd with SysError EBADF', async () => {
    const dir = await makeTempDir();
    const fd = openSync(join(dir, 'f'), 'w+');
    closeSync(fd);
    await expect(setRecordLock(fd, 'write')).rejects.toMatchObject({ code: 'EBADF', syscall: 'fcntl' });
    await expect(setRecordLock(fd, 'write', {}, { wait: true })).rejects.toMatchObject({ code: 'EBADF', syscall: 'fcntl' });
    await expect(testRecordLock(fd, 'write')).rejects.toMatchObject({ code: 'EBADF', syscall: 'fcntl' });
  });
});

describe('flock', () => {
  it("is refused while a child holds it exclusively, lets shared locks coexist, and waits for the child's unlock without blocking the event loop", async () => {
    const dir = await makeTempDir(); // DPDK flocks the runtime directory itself
    const child = await Child.peer();
    expect(await child.request('flock', { path: dir, operation: 'exclusive', wait: false })).toBe(true);

    const fd = openSync(dir, 'r');
    fds.push(fd);
    expect(await flock(fd, 'exclusive', { wait: false })).toBe(false);
    expect(await flock(fd, 'shared', { wait: false })).toBe(false);

    expect(await child.request('flock', { path: dir, operation: 'unlock' })).toBe(true);
    expect(await child.request('flock', { path: dir, operation: 'shared', wait: false })).toBe(true);
    expect(await flock(fd, 'shared', { wait: false })).toBe(true);
    expect(await flock(fd, 'unlock')).toBe(true);

    const waiting = track(flock(fd, 'exclusive'));
    try {
      await eventually(() => waiting.ticks() >= 3, 'timers to fire while the flock wait is pending');
      expect(waiting.settled()).toBe(false);
      expect(await child.request('flock', { path: dir, operation: 'unlock' })).toBe(true);
      expect(await within(waiting.promise, 'the waited-for flock')).toBe(true);
    } finally {
      waiting.stop();
    }
    expect(await child.request('flock', { path: dir, operation: 'shared', wait: false })).toBe(false);
    expect(await flock(fd, 'unlock')).toBe(true);
    expect(await child.request('flock', { path: dir, operation: 'exclusive', wait: false })).toBe(true);
  });

  it('rejects flock on a closed fd with SysError EBADF', async () => {
    const dir = await makeTempDir();
    const fd = openSync(dir, 'r');
    closeSync(fd);
    await expect(flock(fd, 'exclusive', { wait: false })).rejects.toMatchObject({ code: 'EBADF', syscall: 'flock' });
    await expect(flock(fd, 'exclusive')).rejects.toMatchObject({ code: 'EBADF', syscall: 'flock' });
  });
});

describe('one synchronous attempt (trySetRecordLockSync, tryFlockSync)', () => {
  it("returns false while a child holds the record lock, true once it is free, and the child then sees this process as the holder", async () => {
    const { file, child, fd } = await lockedByChild('table', { start: 0, length: 0 });
    expect(trySetRecordLockSync(fd, 'read')).toBe(false);
    expect(trySetRecordLockSync(fd, 'write', { start: 10, length: 1 })).toBe(false);
    expect(await child.request('setRecordLock', { path: file, type: 'unlock', range: { start: 0, length: 0 } })).toBe(true);
    expect(trySetRecordLockSync(fd, 'write')).toBe(true);
    expect(await child.request('testRecordLock', { path: file, type: 'read' })).toEqual({ type: 'write', pid: process.pid, start: 0, length: 0 });
    expect(trySetRecordLockSync(fd, 'unlock')).toBe(true);
    expect(await child.request('testRecordLock', { path: file, type: 'write' })).toBeNull();
  });

  it('lockAndReadAtSync reads under the whole-file lock (null, nothing held, while a child holds it); writeAtAndUnlockSync writes and releases it', async () => {
    const { file, child, fd } = await lockedByChild('table', { start: 0, length: 0 });
    writeFileSync(file, Buffer.from('0123456789'));
    const into = Buffer.alloc(8);
    expect(lockAndReadAtSync(fd, 'read', into, 2)).toBeNull();
    expect(into).toEqual(Buffer.alloc(8)); // nothing read
    expect(await child.request('setRecordLock', { path: file, type: 'unlock', range: { start: 0, length: 0 } })).toBe(true);

    // Read and keep the write lock: the child sees this process holding it.
    expect(lockAndReadAtSync(fd, 'write', into, 2)).toBe(8);
    expect(into.toString()).toBe('23456789');
    expect(await child.request('testRecordLock', { path: file, type: 'read' })).toEqual({ type: 'write', pid: process.pid, start: 0, length: 0 });
    expect(writeAtAndUnlockSync(fd, Buffer.from('ab'), 0)).toBe(2);
    expect(await child.request('testRecordLock', { path: file, type: 'write' })).toBeNull();
    expect(readFileSync(file, 'utf8')).toBe('ab23456789');

    // unlockAfter: a snapshot under the read lock, nothing held afterwards; a short read at end of file.
    expect(lockAndReadAtSync(fd, 'read', into, 6, true)).toBe(4);
    expect(await child.request('testRecordLock', { path: file, type: 'write' })).toBeNull();
  });

  it('lockAndReadAtSync and writeAtAndUnlockSync: SysError EBADF for a closed fd, TypeError or RangeError for bad arguments', async () => {
    const { fd } = await lockedByChild('table', { start: 60, length: 4 });
    const closed = openSync('/dev/null', 'r');
    closeSync(closed);
    expect(() => lockAndReadAtSync(closed, 'read', Buffer.alloc(1))).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'fcntl' }) as Error);
    expect(() => writeAtAndUnlockSync(closed, Buffer.alloc(1))).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'pwrite' }) as Error);
    expect(() => lockAndReadAtSync(fd, 'unlock' as 'read', Buffer.alloc(1))).toThrow(TypeError);
    expect(() => lockAndReadAtSync(fd, 'read', 'text' as unknown as Buffer)).toThrow(TypeError);
    expect(() => lockAndReadAtSync(fd, 'read', Buffer.alloc(1), -1)).toThrow(RangeError);
    expect(() => lockAndReadAtSync(fd, 'read', Buffer.alloc(1), 0, 1 as unknown as boolean)).toThrow(TypeError);
    expect(() => writeAtAndUnlockSync(fd, Buffer.alloc(1), 1.5)).toThrow(RangeError);
  });

  it('returns false while another open file holds the flock, and throws SysError EBADF or TypeError synchronously for a bad fd or operation', async () => {
    const dir = await makeTempDir();
    const holder = openSync(dir, 'r');
    const fd = openSync(dir, 'r');
    fds.push(holder, fd);
    expect(tryFlockSync(holder, 'exclusive')).toBe(true);
    expect(tryFlockSync(fd, 'shared')).toBe(false);
    expect(tryFlockSync(holder, 'unlock')).toBe(true);
    expect(tryFlockSync(fd, 'shared')).toBe(true);
    expect(tryFlockSync(holder, 'shared')).toBe(true);
    expect(tryFlockSync(holder, 'exclusive')).toBe(false);

    const closed = openSync(dir, 'r');
    closeSync(closed);
    expect(() => tryFlockSync(closed, 'shared')).toThrow(SysError);
    expect(() => tryFlockSync(closed, 'shared')).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'flock' }) as Error);
    expect(() => trySetRecordLockSync(closed, 'read')).toThrow(expect.objectContaining({ code: 'EBADF' }) as Error);
    expect(() => tryFlockSync(fd, 'both' as 'shared')).toThrow(TypeError);
    expect(() => trySetRecordLockSync(-1, 'read')).toThrow(RangeError);
  });
});
