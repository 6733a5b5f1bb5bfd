import { flock, UnixDgramSocket } from '@eal-ts/sys';
import { eventually, holdsFor } from '@eal-ts/test-peer';
import { open, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MpEndpoint, ReceivedDatagram } from '../src/transport.js';
import { UnixTransport } from '../src/transport_unix.js';
import { tempRuntimeDirs } from './runtime_dir.js';

const endpoints: MpEndpoint[] = [];
const rt = tempRuntimeDirs('mpt-', async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});

function inbox() {
  const got: ReceivedDatagram[] = [];
  let wake: (() => void) | undefined;
  return {
    got,
    on: (d: ReceivedDatagram) => {
      got.push(d);
      wake?.();
    },
    next: async (): Promise<ReceivedDatagram> => {
      while (got.length === 0) await new Promise<void>((r) => (wake = r));
      return got.shift()!;
    },
  };
}

describe('UnixTransport', () => {
  it('binds, sends with credentials and peer path, and removes its file on close', async () => {
    const t = new UnixTransport();
    const box = inbox();
    const a = await t.bind(join(rt.dir, 'mp_socket'), box.on);
    const b = await t.bind(join(rt.dir, 'mp_socket_1_a'), () => undefined);
    endpoints.push(a, b);
    await b.send(a.path, new Uint8Array(332), []);
    const d = await box.next();
    expect(d).toMatchObject({ size: 332, truncated: false, peer: b.path, fds: [] });
    expect(d.credentials).toEqual({ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    await b.close();
    expect(await readdir(rt.dir)).toEqual(['mp_socket']);
  });

  it('flags a datagram larger than the biggest message instead of cutting it to a valid size', async () => {
    const t = new UnixTransport();
    const box = inbox();
    const a = await t.bind(join(rt.dir, 'mp_socket'), box.on);
    const b = await t.bind(join(rt.dir, 'mp_socket_1_a'), () => undefined);
    endpoints.push(a, b);
    await b.send(a.path, new Uint8Array(2000), []);
    expect(await box.next()).toMatchObject({ size: 2000, truncated: true });
  });

  it('refuses sends to a stale socket file (ECONNREFUSED) and to nothing (ENOENT)', async () => {
    const t = new UnixTransport();
    const a = await t.bind(join(rt.dir, 'mp_socket'), () => undefined);
    endpoints.push(a);
    const stale = await UnixDgramSocket.bind(join(rt.dir, 'mp_socket_9_dead'));
    await stale.close();
    await expect(a.send(join(rt.dir, 'mp_socket_9_dead'), new Uint8Array(332), [])).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(a.send(join(rt.dir, 'nothing'), new Uint8Array(332), [])).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('replaces a leftover file at bind time, as DPDK unlinks before bind', async () => {
    const stale = await UnixDgramSocket.bind(join(rt.dir, 'mp_socket'));
    await stale.close();
    const a = await new UnixTransport().bind(join(rt.dir, 'mp_socket'), () => undefined);
    endpoints.push(a);
  });

  it('lists secondary sockets (mp_socket_*) sorted, not the primary or other files', async () => {
    const t = new UnixTransport();
    for (const name of ['mp_socket', 'mp_socket_2_b', 'mp_socket_1_a']) endpoints.push(await t.bind(join(rt.dir, name), () => undefined));
    await writeFile(join(rt.dir, 'config'), '');
    const peers = await t.withPeers(rt.dir, (p) => Promise.resolve(p));
    expect(peers).toEqual([join(rt.dir, 'mp_socket_1_a'), join(rt.dir, 'mp_socket_2_b')]);
  });

  it('a bind waits for the shared lock of a broadcast in progress (flock on the directory)', async () => {
    const t = new UnixTransport();
    const other = new UnixTransport(); // another "process": only flock orders them
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let sawPeers: string[] | undefined;
    const broadcast = t.withPeers(rt.dir, async (p) => {
      sawPeers = p;
      await held;
    });
    await eventually(() => sawPeers !== undefined, { what: 'the broadcast to hold the shared lock' });
    let bound = false;
    const binding = other.bind(join(rt.dir, 'mp_socket_3_c'), () => undefined).then((e) => {
      bound = true;
      endpoints.push(e);
    });
    // The bind waits for the exclusive lock all the while the broadcast holds the shared one.
    await holdsFor(() => !bound, 200, 'the bind waiting for the broadcast');
    release();
    await broadcast;
    await binding;
    expect(bound).toBe(true);
  });

  it('cleanStale removes unbound mp_socket_* and unlocked fbarray_*, keeping live and locked ones', async () => {
    const t = new UnixTransport();
    endpoints.push(await t.bind(join(rt.dir, 'mp_socket_1_live'), () => undefined));
    const stale = await UnixDgramSocket.bind(join(rt.dir, 'mp_socket_2_dead'));
    await stale.close();
    await writeFile(join(rt.dir, 'fbarray_memseg-2048k-0-0'), 'x');
    await writeFile(join(rt.dir, 'fbarray_memseg-2048k-0-1'), 'x');
    await writeFile(join(rt.dir, 'config'), '');
    const holder = await open(join(rt.dir, 'fbarray_memseg-2048k-0-1'), 'r');
    try {
      expect(await flock(holder.fd, 'shared')).toBe(true);
      const removed = await t.cleanStale(rt.dir);
      expect(removed.sort()).toEqual([join(rt.dir, 'fbarray_memseg-2048k-0-0'), join(rt.dir, 'mp_socket_2_dead')]);
      expect((await readdir(rt.dir)).sort()).toEqual(['config', 'fbarray_memseg-2048k-0-1', 'mp_socket_1_live']);
    } finally {
      await holder.close();
    }
  });

  it('cleanStale recognises sockets bound through a symlinked directory', async () => {
    const { symlink } = await import('node:fs/promises');
    const link = join(rt.base, 'link');
    await symlink(rt.dir, link);
    const t = new UnixTransport();
    endpoints.push(await t.bind(join(link, 'mp_socket_1_live'), () => undefined));
    expect(await t.cleanStale(rt.dir)).toEqual([]);
  });
});
