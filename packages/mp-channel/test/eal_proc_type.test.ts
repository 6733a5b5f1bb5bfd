// Process-type detection through the config lock, with the lock held by a
// real other process (POSIX record locks never conflict within one process).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { detectProcessType, PrimaryLock, primaryLockHolder } from '../src/eal_proc_type.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/hold-primary-lock.mjs', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function runtimeDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'eal-ts-proc-type-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A child holding the primary lock; killed by pid when the test ends, whatever happens. */
async function childPrimary(dir: string): Promise<number> {
  const child = spawn(process.execPath, [FIXTURE, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid!, 'SIGKILL');
      await exited;
    }
  });
  const [line] = (await once(child.stdout.setEncoding('utf8'), 'data')) as [string];
  expect(line.trim()).toBe('locked');
  return child.pid!;
}

describe('process type from the config lock (--proc-type=auto)', () => {
  it('the first process of a runtime directory becomes the primary and holds the lock', async () => {
    const dir = await runtimeDir();
    const detected = await detectProcessType(dir);
    expect(detected.type).toBe('primary');
    if (detected.type === 'primary') await detected.lock.release();
  });

  it('a process started while a primary holds the lock is a secondary, and sees the holder pid', async () => {
    const dir = await runtimeDir();
    const pid = await childPrimary(dir);
    expect(await detectProcessType(dir)).toEqual({ type: 'secondary' });
    expect(await PrimaryLock.acquire(dir)).toBeNull();
    expect(await primaryLockHolder(dir)).toEqual({ pid });
  });

  it('when the primary dies its lock goes with it and the next process becomes the primary', async () => {
    const dir = await runtimeDir();
    const pid = await childPrimary(dir);
    await cleanups.pop()!(); // kill the child now
    expect(await primaryLockHolder(dir)).toBeNull();
    const detected = await detectProcessType(dir);
    expect(detected.type).toBe('primary');
    if (detected.type === 'primary') await detected.lock.release();
    expect(pid).toBeGreaterThan(0);
  });

  it('no config file means no primary', async () => {
    expect(await primaryLockHolder(join(await runtimeDir(), 'missing'))).toBeNull();
  });
});
