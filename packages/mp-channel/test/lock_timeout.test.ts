// Issue 8, point 5: the runtime directory's flock is waited for with a
// deadline and an AbortSignal, and the error names the directory and the
// process holding it (here a real `flock(1)` holding it, as a stopped DPDK
// process would).
import { LockTimeoutError } from '@eal-ts/sys';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@eal-ts/test-kit';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { MpChannel } from '../src/eal_common_proc.js';
import { createRuntimeDir } from '../src/eal_filesystem.js';
import { UnixTransport } from '../src/transport_unix.js';

let base: string;
let dir: string;
let holder: ChildProcess | undefined;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'mplock-'));
  dir = await createRuntimeDir('t', { env: { RUNTIME_DIRECTORY: base } });
});
afterEach(async () => {
  if (holder && holder.exitCode === null && holder.signalCode === null) {
    const exited = once(holder, 'exit');
    process.kill(holder.pid!, 'SIGKILL');
    await exited;
  }
  holder = undefined;
  await rm(base, { recursive: true, force: true });
});

/** A process holding the directory's exclusive flock until killed; resolves once /proc/locks shows it. */
async function holdDirectory(): Promise<number> {
  holder = spawn('flock', ['--no-fork', '--exclusive', dir, 'sleep', '60'], { stdio: 'ignore' });
  const pid = holder.pid!;
  const held = async (): Promise<boolean> =>
    (await readFile('/proc/locks', 'utf8')).split('\n').some((l) => / FLOCK +ADVISORY +WRITE /.test(l) && l.trim().split(/\s+/)[4] === String(pid));
  await eventually(held, { what: `flock(1) pid ${pid} to take ${dir}` });
  return pid;
}

it('a secondary joining a directory whose lock is never released fails at lockTimeoutMs, naming the lock and its holder', async () => {
  const pid = await holdDirectory();
  const started = Date.now();
  const error = await MpChannel.open({ transport: new UnixTransport({ lockTimeoutMs: 300 }), role: 'secondary', runtimeDir: dir }).catch(
    (e: unknown) => e,
  );
  expect(Date.now() - started).toBeGreaterThanOrEqual(295);
  expect(error).toBeInstanceOf(LockTimeoutError);
  expect(error).toMatchObject({ code: 'ETIMEDOUT', syscall: 'flock', path: dir, holder: { pid } });
  expect((error as Error).message).toBe(`flock ${dir}: ETIMEDOUT (lock not free within 300 ms, held by pid ${pid})`);
});

it('an AbortSignal ends the wait of open() with its reason, long before the deadline', async () => {
  await holdDirectory();
  const controller = new AbortController();
  const reason = new Error('start-up cancelled');
  const opening = MpChannel.open({ transport: new UnixTransport({ lockTimeoutMs: 60_000 }), role: 'primary', runtimeDir: dir, signal: controller.signal });
  setTimeout(() => controller.abort(reason), 100);
  const started = Date.now();
  await expect(opening).rejects.toBe(reason);
  expect(Date.now() - started).toBeLessThan(5_000);
});

it('rejects a lockTimeoutMs that is not a non-negative whole number', () => {
  expect(() => new UnixTransport({ lockTimeoutMs: -1 })).toThrow(/lockTimeoutMs must be a non-negative whole number of ms, got -1/);
});
