// Issue 8, point 5: lock waits are bounded and cancellable, and never pin a
// libuv threadpool worker, so fs.promises keeps working while four locks
// are held by stopped processes.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, expect, it } from 'vitest';

import { LockTimeoutError, SysError, flock, flockHolder } from '../src/index.js';
import { Child, eventually, killChildren, makeTempDir, removeTempDirs, within } from './helpers.js';

afterEach(async () => {
  await killChildren();
  await removeTempDirs();
});

interface Outcome {
  value?: boolean;
  name?: string;
  code?: string;
  path?: string;
  lock?: string;
  holder?: { pid: number | null };
  message?: string;
  at: number;
}

/** A file in a fresh directory, flock()ed by a peer child with `operation`. */
async function flockedByChild(operation: 'shared' | 'exclusive') {
  const dir = await makeTempDir();
  const file = join(dir, 'f');
  writeFileSync(file, 'x');
  const holder = await Child.peer();
  expect(await holder.request('flock', { path: file, operation, wait: false })).toBe(true);
  return { dir, file, holder };
}

it('four locks held by stopped processes: fs.promises keeps working, each wait ends at its deadline naming lock and holder, abort ends another', async () => {
  const dir = await makeTempDir();
  const files = ['flock-a', 'flock-b', 'record-a', 'record-b'].map((name) => join(dir, name));
  for (const file of files) writeFileSync(file, 'x');
  const holders = await Promise.all(files.map(() => Child.peer()));
  expect(await holders[0]!.request('flock', { path: files[0], operation: 'exclusive', wait: false })).toBe(true);
  expect(await holders[1]!.request('flock', { path: files[1], operation: 'exclusive', wait: false })).toBe(true);
  expect(await holders[2]!.request('setRecordLock', { path: files[2], type: 'write', wait: false })).toBe(true);
  expect(await holders[3]!.request('setRecordLock', { path: files[3], type: 'write', wait: false })).toBe(true);
  for (const holder of holders) process.kill(holder.pid, 'SIGSTOP');

  const timeoutMs = 1500;
  const waiter = Child.run('lock-waiter.mjs', [...files, String(timeoutMs)]);
  const { code } = await within(waiter.exited, 'the waiter to finish', 20_000);
  expect(code, waiter.stderr).toBe(0);
  const report = JSON.parse(waiter.stdout) as { threadpool: string; readsDoneAt: number; maxReadMs: number; waits: Outcome[]; aborted: Outcome };

  expect(report.threadpool).toBe('default');
  // Twenty reads finished while all five waits were pending (four pool threads would all be taken by blocking waits).
  expect(report.readsDoneAt).toBeLessThan(timeoutMs);
  expect(report.maxReadMs).toBeLessThan(500);
  expect(report.waits.map((w) => [w.name, w.code, w.path, w.lock, w.holder?.pid])).toEqual(
    files.map((file, i) => ['LockTimeoutError', 'ETIMEDOUT', file, file, holders[i]!.pid]),
  );
  for (const w of report.waits) {
    expect(w.at).toBeGreaterThanOrEqual(timeoutMs - 5);
    expect(w.at).toBeLessThan(timeoutMs + 1000);
  }
  expect(report.waits[0]!.message).toBe(`flock ${files[0]}: ETIMEDOUT (lock not free within ${timeoutMs} ms, held by pid ${holders[0]!.pid})`);
  expect(report.waits[2]!.message).toBe(`fcntl ${files[2]}: ETIMEDOUT (lock not free within ${timeoutMs} ms, held by pid ${holders[2]!.pid})`);
  expect(report.aborted).toMatchObject({ name: 'Error', message: 'no longer needed' });
  expect(report.aborted.at).toBeLessThan(timeoutMs);
});

it('a lock wait rejects at once for an aborted signal, and with ETIMEDOUT for timeoutMs 0; flockHolder finds the holder', async () => {
  const { file, holder } = await flockedByChild('shared');
  const { open } = await import('node:fs/promises');
  const handle = await open(file, 'r');
  try {
    const reason = new Error('stop');
    await expect(flock(handle.fd, 'exclusive', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    const error = await flock(handle.fd, 'exclusive', { timeoutMs: 0, name: file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(error).toBeInstanceOf(SysError);
    expect(error).toMatchObject({ code: 'ETIMEDOUT', errno: -110, syscall: 'flock', path: file, holder: { pid: holder.pid } });
    expect(await flockHolder(handle.fd)).toBe(holder.pid);
    // Shared with shared is free at once.
    expect(await flock(handle.fd, 'shared', { timeoutMs: 0 })).toBe(true);
    await expect(flock(handle.fd, 'exclusive', { timeoutMs: -1 })).rejects.toThrow(RangeError);
    await expect(flock(handle.fd, 'exclusive', { signal: 'no' as never })).rejects.toThrow(TypeError);
  } finally {
    await handle.close();
  }
});

it('flockHolder reads /proc/locks again when a pass misses the holder, as a read racing other lock changes can', async () => {
  const { dir, file, holder } = await flockedByChild('exclusive');
  const holderLine = (line: string): boolean => line.includes(' FLOCK ') && line.trim().split(/\s+/)[4] === String(holder.pid);
  // One read can miss the line (that is the point of this test): read until it is there, with a deadline.
  let real = '';
  const deadline = Date.now() + 10_000;
  while (!real.split('\n').some(holderLine) && Date.now() < deadline) real = await readFile('/proc/locks', 'utf8');
  expect(real.split('\n').some(holderLine)).toBe(true);
  const torn = real.split('\n').filter((line) => !holderLine(line)).join('\n');

  // A FIFO stands in for /proc/locks: each pass of flockHolder opens and reads it to EOF once.
  const table = join(dir, 'locks');
  execFileSync('mkfifo', [table]);
  const openHere = (): boolean =>
    readdirSync('/proc/self/fd').some((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === table;
      } catch {
        return false;
      }
    });
  const serve = (passes: string[]): Promise<void> => {
    const served = (async () => {
      for (const content of passes) {
        // A writer opening while the previous pass still has the FIFO open would write into that pass.
        await eventually(() => !openHere(), 'the previous pass to close the table');
        await writeFile(table, content);
      }
    })();
    served.catch(() => undefined); // awaited below; only a failed test leaves it unawaited
    return served;
  };
  const fd = openSync(file, 'r');
  try {
    // The first pass misses the holder's line (skipped by the kernel's page-by-page walk), the second has it.
    let served = serve([torn, real]);
    expect(await within(flockHolder(fd, table), 'flockHolder over a torn then a whole table')).toBe(holder.pid);
    await within(served, 'both passes read');
    // A lock nobody holds is missing from every pass: null after a bounded number of them.
    served = serve([torn, torn, torn]);
    expect(await within(flockHolder(fd, table), 'flockHolder over torn tables only')).toBeNull();
    await within(served, 'three passes read');
  } finally {
    closeSync(fd);
    // Unblocks a writer still waiting for a reader, should flockHolder have read fewer passes.
    for (let i = 0; i < 3; i++) {
      try {
        closeSync(openSync(table, constants.O_RDONLY | constants.O_NONBLOCK));
      } catch {
        // no FIFO
      }
    }
  }
});
