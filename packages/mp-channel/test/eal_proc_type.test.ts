// Process-type detection through the config lock, with the lock held by a
// real other process (POSIX record locks never conflict within one process).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { LogRegistry } from '@eal-ts/log';
import { decideProcessType, detectProcessType, PrimaryLock, primaryLockHolder, READY_FILE } from '../src/eal_proc_type.js';

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
async function childPrimary(dir: string, mode: 'hold' | 'drop' = 'hold'): Promise<{ pid: number; lines: AsyncIterator<string> }> {
  const args = mode === 'drop' ? ['--expose-gc', FIXTURE, dir, 'drop'] : [FIXTURE, dir];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid!, 'SIGKILL');
      await exited;
    }
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  expect((await lines.next()).value).toBe('locked');
  return { pid: child.pid!, lines };
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
    const { pid } = await childPrimary(dir);
    expect(await detectProcessType(dir)).toEqual({ type: 'secondary' });
    expect(await PrimaryLock.acquire(dir)).toBeNull();
    expect(await primaryLockHolder(dir)).toEqual({ pid });
  });

  it('when the primary dies its lock goes with it and the next process becomes the primary', async () => {
    const dir = await runtimeDir();
    const { pid } = await childPrimary(dir);
    await cleanups.pop()!(); // kill the child now
    expect(await primaryLockHolder(dir)).toBeNull();
    const detected = await detectProcessType(dir);
    expect(detected.type).toBe('primary');
    if (detected.type === 'primary') await detected.lock.release();
    expect(pid).toBeGreaterThan(0);
  });

  it('the lock outlives the PrimaryLock object: a garbage-collected handle would close the fd and drop it', async () => {
    const dir = await runtimeDir();
    const { pid, lines } = await childPrimary(dir, 'drop');
    expect((await lines.next()).value).toBe('collected');
    // A closed fd drops the lock at once; watch it for a while after the collections.
    const until = Date.now() + 300;
    while (Date.now() < until) {
      expect(await primaryLockHolder(dir)).toEqual({ pid });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  it('no config file means no primary', async () => {
    expect(await primaryLockHolder(join(await runtimeDir(), 'missing'))).toBeNull();
  });
});

describe('rte_config_init: decideProcessType', () => {
  const quiet = (): { logger: ReturnType<LogRegistry['register']>; lines: string[] } => {
    const lines: string[] = [];
    return { logger: new LogRegistry({ sink: (line) => void lines.push(line) }).register('lib.eal', { prefix: 'EAL' }), lines };
  };

  it('an explicit secondary without a primary is ENOENT, an explicit primary beside one is EBUSY naming its pid', async () => {
    const dir = await runtimeDir();
    const { logger } = quiet();
    await expect(decideProcessType(dir, { requested: 'secondary', timeoutMs: 1000, logger })).rejects.toMatchObject({
      name: 'MpError',
      code: 'ENOENT',
      message: expect.stringMatching(/^no primary process is running in /) as string,
    });
    const { pid } = await childPrimary(dir);
    await expect(decideProcessType(dir, { requested: 'primary', timeoutMs: 1000, logger })).rejects.toMatchObject({
      code: 'EBUSY',
      message: expect.stringContaining(`(pid ${pid} holds it)`) as string,
    });
  });

  it('a secondary of an eal-ts primary waits for its ready file: ETIMEDOUT without it, joined once it names the primary', async () => {
    const dir = await runtimeDir();
    const { logger, lines } = quiet();
    const { pid } = await childPrimary(dir);
    await expect(decideProcessType(dir, { requested: 'auto', timeoutMs: 50, logger })).rejects.toMatchObject({
      code: 'ETIMEDOUT',
      message: expect.stringMatching(new RegExp(`primary process \\(pid ${pid}\\) .* did not complete its initialisation within 50 ms`)) as string,
    });
    await writeFile(join(dir, READY_FILE), `${pid}\n`);
    const decision = await decideProcessType(dir, { requested: 'auto', timeoutMs: 1000, logger });
    expect(decision).toMatchObject({ type: 'secondary', lock: null, foreignPrimary: false, primaryConfig: { kind: 'eal-ts' } });
    expect(lines).toContain('EAL: Auto-detected process type: SECONDARY');
  });

  it('auto without a primary takes the lock', async () => {
    const dir = await runtimeDir();
    const decision = await decideProcessType(dir, { requested: 'auto', timeoutMs: 1000, logger: quiet().logger });
    expect(decision).toMatchObject({ type: 'primary', primaryConfig: null, foreignPrimary: false });
    expect(decision.lock).toBeInstanceOf(PrimaryLock);
    await decision.lock?.release();
  });
});
