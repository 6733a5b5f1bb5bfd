// Process-type detection through the config lock, with the lock held by a
// real other process (POSIX record locks never conflict within one process).
import { join } from 'node:path';
import { holdsFor } from '@eal-ts/test-kit';
import { describe, expect, it } from 'vitest';
import { detectProcessType, PrimaryLock, primaryLockHolder } from '../src/eal_proc_type.js';
import { lockHolder, runtimeDir as freshDir } from './primary_lock_holder.js';

const runtimeDir = (): Promise<string> => freshDir('proc-type');

describe('process type from the config lock (--proc-type=auto)', () => {
  it('the first process of a runtime directory becomes the primary and holds the lock', async () => {
    const dir = await runtimeDir();
    const detected = await detectProcessType(dir);
    expect(detected.type).toBe('primary');
    if (detected.type === 'primary') await detected.lock.release();
  });

  it('a process started while a primary holds the lock is a secondary, and sees the holder pid', async () => {
    const dir = await runtimeDir();
    const { pid } = await lockHolder(dir);
    expect(await detectProcessType(dir)).toEqual({ type: 'secondary' });
    expect(await PrimaryLock.acquire(dir)).toBeNull();
    expect(await primaryLockHolder(dir)).toEqual({ pid });
  });

  it('when the primary dies its lock goes with it and the next process becomes the primary', async () => {
    const dir = await runtimeDir();
    const holder = await lockHolder(dir);
    const pid = holder.pid;
    await holder.stop(); // kill the child now
    expect(await primaryLockHolder(dir)).toBeNull();
    const detected = await detectProcessType(dir);
    expect(detected.type).toBe('primary');
    if (detected.type === 'primary') await detected.lock.release();
    expect(pid).toBeGreaterThan(0);
  });

  it('the lock outlives the PrimaryLock object: a garbage-collected handle would close the fd and drop it', async () => {
    const dir = await runtimeDir();
    const holder = await lockHolder(dir, 'drop');
    await holder.waitFor(/^collected$/m, { stream: 'stdout' });
    // A closed fd drops the lock at once; watch it for a while after the collections.
    await holdsFor(async () => (await primaryLockHolder(dir))?.pid === holder.pid, 300, `the lock of pid ${holder.pid}`, 20);
  });

  it('no config file means no primary', async () => {
    expect(await primaryLockHolder(join(await runtimeDir(), 'missing'))).toBeNull();
  });
});
