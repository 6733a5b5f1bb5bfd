import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type JsonChild, killChildren, lockHolder, makeBase, removeBase, startFixture } from './helpers.js';

// Real processes: test/fixtures/eal_process.mjs imports the built dist/ (run `pnpm run build` first).
let base: string;

beforeEach(async () => {
  base = await makeBase();
});

afterEach(async () => {
  await killChildren();
  await removeBase(base);
});

function eal(args: string[]): JsonChild {
  return startFixture('eal_process.mjs', ['--no-pci', '--hotplug-timeout-ms=2000', ...args], { RUNTIME_DIRECTORY: base });
}

describe('--proc-type=auto between real processes', () => {
  it('the first process becomes the primary, the second a secondary that sees the primary vdevs with the same port ids', async () => {
    const primary = eal(['--proc-type=auto', '--file-prefix=auto', '--vdev=net_null0', '--vdev=net_null1,size=128']);
    const p = await primary.next();
    expect(p).toMatchObject({ ready: true, processType: 'primary', runtimeDir: join(base, 'dpdk', 'auto') });
    expect(p.ports).toEqual([
      { portId: 0, name: 'net_null0' },
      { portId: 1, name: 'net_null1' },
    ]);

    const secondary = eal(['--proc-type=auto', '--file-prefix=auto']);
    const s = await secondary.next();
    expect(s).toMatchObject({ ready: true, processType: 'secondary', portsShared: true });
    expect(s.vdevs).toEqual([
      { name: 'net_null0', probed: true },
      { name: 'net_null1', probed: true },
    ]);
    expect(s.ports).toEqual(p.ports);

    // Both sockets are there while both run; the secondary's goes with its cleanup.
    const dir = join(base, 'dpdk', 'auto');
    expect((await readdir(dir)).filter((f) => f.startsWith('mp_socket_'))).toHaveLength(1);
    secondary.send('quit');
    expect(await secondary.next()).toEqual({ cleaned: true });
    expect(await secondary.exited).toBe(0);
    expect((await readdir(dir)).filter((f) => f.startsWith('mp_socket_'))).toEqual([]);

    // The primary's ports are untouched by the secondary leaving.
    primary.send('ports');
    expect(await primary.next()).toEqual({ ports: p.ports });
    expect(await lockHolder(dir)).toEqual({ pid: p.pid });
    primary.send('quit');
    expect(await primary.next()).toEqual({ cleaned: true });
    expect(await primary.exited).toBe(0);
    expect(existsSync(join(dir, 'mp_socket'))).toBe(false);
    expect(await lockHolder(dir)).toBeNull();
  });

  it('a process started after the primary died becomes the primary itself', async () => {
    const first = eal(['--proc-type=auto', '--file-prefix=died', '--vdev=net_null0']);
    const f = await first.next();
    expect(f.processType).toBe('primary');
    process.kill(f.pid as number, 'SIGKILL');
    await first.exited;
    const second = eal(['--proc-type=auto', '--file-prefix=died']);
    const s = await second.next();
    expect(s).toMatchObject({ ready: true, processType: 'primary', ports: [] });
  });
});

describe('processes started together', () => {
  it('exactly one becomes the primary, and the secondaries wait for its init to complete before scanning', async () => {
    const started = [0, 1, 2].map(() => eal(['--proc-type=auto', '--file-prefix=race', '--vdev=net_null0']));
    const lines = await Promise.all(started.map((c) => c.next()));
    expect(lines.map((l) => l.error)).toEqual([undefined, undefined, undefined]);
    expect(lines.filter((l) => l.processType === 'primary')).toHaveLength(1);
    for (const line of lines) {
      expect(line.portsShared).toBe(true);
      expect(line.ports).toEqual([{ portId: 0, name: 'net_null0' }]);
    }
  });
});

describe('explicit --proc-type', () => {
  it('--proc-type=secondary without a primary fails clearly', async () => {
    const secondary = eal(['--proc-type=secondary', '--file-prefix=lonely']);
    const line = await secondary.next();
    expect(line.error).toMatchObject({ name: 'EalInitError', code: 'ENOENT', errno: -2, stage: 'proc-type' });
    expect((line.error as { message: string }).message).toMatch(/no primary process is running in .*lonely/);
    expect(await secondary.exited).toBe(1);
    expect(existsSync(join(base, 'dpdk', 'lonely', 'config'))).toBe(false);
  });

  it('a second explicit primary fails clearly, naming the primary holding the lock', async () => {
    const primary = eal(['--proc-type=primary', '--file-prefix=two', '--vdev=net_null0']);
    const p = await primary.next();
    expect(p.processType).toBe('primary');
    const second = eal(['--proc-type=primary', '--file-prefix=two']);
    const line = await second.next();
    expect(line.error).toMatchObject({ name: 'EalInitError', code: 'EBUSY', stage: 'proc-type' });
    expect((line.error as { message: string }).message).toMatch(
      new RegExp(`Cannot create lock on '.*two/config'\\. Is another primary process running\\? \\(pid ${String(p.pid)} holds it\\)`),
    );
    expect(await second.exited).toBe(1);
    // The failed one did not disturb the running primary.
    primary.send('ports');
    expect(await primary.next()).toEqual({ ports: [{ portId: 0, name: 'net_null0' }] });
    expect(existsSync(join(base, 'dpdk', 'two', 'mp_socket'))).toBe(true);
  });

  it('an explicit secondary joins a running primary', async () => {
    const primary = eal(['--file-prefix=join', '--vdev=net_null0']);
    expect((await primary.next()).processType).toBe('primary');
    const secondary = eal(['--proc-type=secondary', '--file-prefix=join']);
    const s = await secondary.next();
    expect(s).toMatchObject({ processType: 'secondary', ports: [{ portId: 0, name: 'net_null0' }] });
  });
});

describe('hotplug through the EAL of each process', () => {
  it('a device a secondary attaches gets the same port id in the primary, and its detach removes it everywhere', async () => {
    const primary = eal(['--proc-type=auto', '--file-prefix=hp', '--vdev=net_null0']);
    expect((await primary.next()).processType).toBe('primary');
    const secondary = eal(['--proc-type=auto', '--file-prefix=hp']);
    expect((await secondary.next()).processType).toBe('secondary');

    secondary.send('attach net_null5,size=256');
    expect(await secondary.next()).toEqual({ ok: true, name: 'net_null5' });
    primary.send('ports');
    expect(await primary.next()).toEqual({ ports: [{ portId: 0, name: 'net_null0' }, { portId: 1, name: 'net_null5' }] });
    secondary.send('ports');
    expect(await secondary.next()).toEqual({ ports: [{ portId: 0, name: 'net_null0' }, { portId: 1, name: 'net_null5' }] });

    primary.send('detach vdev:net_null5,');
    expect(await primary.next()).toMatchObject({ ok: true });
    secondary.send('ports');
    expect(await secondary.next()).toEqual({ ports: [{ portId: 0, name: 'net_null0' }] });
  });
});
