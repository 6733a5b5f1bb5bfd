// Issue 11: the broadcast's peer list makes no libuv threadpool round trip
// when the runtime directory's flock is free (open, flock attempt, readdir
// and close are synchronous; see UnixTransport's comment), while keeping
// DPDK's semantics: LOCK_SH on the directory for the whole walk, mp_socket_*
// only, and a wait (on timers) while another open file holds LOCK_EX.
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { flock, UnixDgramSocket } from '@eal-ts/sys';
import { eventually, holdsFor, resourcesDuring } from '@eal-ts/test-kit';
import { describe, expect, it } from 'vitest';

import { UnixTransport } from '../src/transport_unix.js';
import { tempRuntimeDirs } from './runtime_dir.js';

const sockets: UnixDgramSocket[] = [];
const rt = tempRuntimeDirs('mpt-sync-', async () => {
  await Promise.all(sockets.splice(0).map((s) => s.close()));
});

/** Whether another open file of `dir` can take `mode` right now (flocks of two open files conflict even in one process). */
async function canFlock(mode: 'shared' | 'exclusive'): Promise<boolean> {
  const handle = await open(rt.dir, 'r');
  try {
    return await flock(handle.fd, mode, { wait: false });
  } finally {
    await handle.close();
  }
}

/** A walk of the runtime directory that stays inside its callback (holding LOCK_SH) until `release()`. */
async function walkHeldOpen(t: UnixTransport): Promise<{ walk: Promise<void>; release: () => void }> {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let inside = false;
  const walk = t.withPeers(rt.dir, async () => {
    inside = true;
    await held;
  });
  await eventually(() => inside, { what: 'withPeers to run its callback' });
  return { walk, release };
}

describe('UnixTransport.withPeers without the threadpool', () => {
  it('lists mp_socket_* under LOCK_SH with no fs request, leaves no lock behind, and keeps one fd of the directory until releaseDir', async () => {
    for (const name of ['mp_socket', 'mp_socket_9_b', 'mp_socket_8_a']) sockets.push(await UnixDgramSocket.bind(join(rt.dir, name)));
    const t = new UnixTransport();
    const fdsBefore = (await readdir('/proc/self/fd')).length;
    const { types, value } = await resourcesDuring(() => t.withPeers(rt.dir, (peers) => Promise.resolve(peers)));
    expect(types).toEqual([]);
    expect(value).toEqual([join(rt.dir, 'mp_socket_8_a'), join(rt.dir, 'mp_socket_9_b')]);

    // The shared lock is held while fn runs: another reader may share it, a binder may not.
    const { walk, release } = await walkHeldOpen(t);
    expect(await canFlock('shared')).toBe(true);
    expect(await canFlock('exclusive')).toBe(false);
    release();
    await walk;
    expect(await canFlock('exclusive')).toBe(true);
    // Between broadcasts the directory stays open (unlocked): one fd, the same for every broadcast.
    expect((await readdir('/proc/self/fd')).length).toBe(fdsBefore + 1);
    await t.withPeers(rt.dir, () => Promise.resolve());
    expect((await readdir('/proc/self/fd')).length).toBe(fdsBefore + 1);
    t.releaseDir(rt.dir);
    expect((await readdir('/proc/self/fd')).length).toBe(fdsBefore);
  });

  it('closes the kept fd only when the broadcast holding it ends, if releaseDir comes during one', async () => {
    const t = new UnixTransport();
    const fdsBefore = (await readdir('/proc/self/fd')).length;
    const { walk, release } = await walkHeldOpen(t);
    t.releaseDir(rt.dir);
    expect(await canFlock('exclusive')).toBe(false);
    release();
    await walk;
    expect(await canFlock('exclusive')).toBe(true);
    expect((await readdir('/proc/self/fd')).length).toBe(fdsBefore);
  });

  it('lists a runtime directory removed and made again at the same path, not the removed one it kept open', async () => {
    const base = join(rt.dir, 'again');
    await mkdir(base);
    const t = new UnixTransport();
    try {
      sockets.push(await UnixDgramSocket.bind(join(base, 'mp_socket_1_old')));
      expect(await t.withPeers(base, (peers) => Promise.resolve(peers))).toEqual([join(base, 'mp_socket_1_old')]);
      await rm(base, { recursive: true });
      await mkdir(base);
      sockets.push(await UnixDgramSocket.bind(join(base, 'mp_socket_2_new')));
      expect(await t.withPeers(base, (peers) => Promise.resolve(peers))).toEqual([join(base, 'mp_socket_2_new')]);
      // The lock is on the new directory: another open file of it cannot take LOCK_EX during a walk.
      const walk = t.withPeers(base, async () => {
        const handle = await open(base, 'r');
        try {
          expect(await flock(handle.fd, 'exclusive', { wait: false })).toBe(false);
        } finally {
          await handle.close();
        }
      });
      await walk;
    } finally {
      t.releaseDir(base);
    }
  });

  it('rejects a broadcast on a runtime directory that is gone, keeps no fd of it, and works again once it is back', async () => {
    const base = join(rt.dir, 'gone');
    await mkdir(base);
    const t = new UnixTransport();
    const fdsBefore = (await readdir('/proc/self/fd')).length;
    expect(await t.withPeers(base, (peers) => Promise.resolve(peers))).toEqual([]);
    await rm(base, { recursive: true });
    // The kept fd points at a removed directory: it is dropped, and opening the path fails.
    await expect(t.withPeers(base, (peers) => Promise.resolve(peers))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await readdir('/proc/self/fd')).length).toBe(fdsBefore);
    await expect(t.withPeers(base, (peers) => Promise.resolve(peers))).rejects.toMatchObject({ code: 'ENOENT' });
    await mkdir(base);
    sockets.push(await UnixDgramSocket.bind(join(base, 'mp_socket_3_back')));
    expect(await t.withPeers(base, (peers) => Promise.resolve(peers))).toEqual([join(base, 'mp_socket_3_back')]);
    t.releaseDir(base);
    // What is left is the socket bound above, closed after the test.
    expect((await readdir('/proc/self/fd')).length).toBe(fdsBefore + 1);
  });

  it('waits while another open file holds LOCK_EX (a peer binding), then lists what it bound', async () => {
    const binder = await open(rt.dir, 'r');
    let listed: string[] | undefined;
    let walk: Promise<void> | undefined;
    try {
      expect(await flock(binder.fd, 'exclusive', { wait: false })).toBe(true);
      walk = new UnixTransport().withPeers(rt.dir, (peers) => {
        listed = peers;
        return Promise.resolve();
      });
      await holdsFor(() => listed === undefined, 100, 'the walk waiting for the exclusive lock');
      sockets.push(await UnixDgramSocket.bind(join(rt.dir, 'mp_socket_7_new')));
    } finally {
      await binder.close();
    }
    await walk;
    expect(listed).toEqual([join(rt.dir, 'mp_socket_7_new')]);
  });
});
