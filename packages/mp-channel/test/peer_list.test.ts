// The broadcast's peer list is kept while the runtime directory is unchanged
// (PeerLists): these check that a secondary appearing or going between two
// broadcasts is still seen, as with DPDK's readdir per broadcast.
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { closeSync, openSync } from 'node:fs';
import { flock, fstatLiteSync, LockTimeoutError } from '@eal-ts/sys';
import type * as Sys from '@eal-ts/sys';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { PeerLists } from '../src/peer_list.js';
import type { MpEndpoint } from '../src/transport.js';
import { UnixTransport } from '../src/transport_unix.js';
import { tempRuntimeDirs } from './runtime_dir.js';

// fstatLiteSync counted, not replaced: how many directory stats a broadcast takes.
vi.mock('@eal-ts/sys', async (importOriginal) => {
  const actual = await importOriginal<typeof Sys>();
  return { ...actual, fstatLiteSync: vi.fn(actual.fstatLiteSync) };
});

const endpoints: MpEndpoint[] = [];
const rt = tempRuntimeDirs('mpp-', async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});

/** Dates the directory an hour back, so its listing is kept (settled) from the next broadcast on. */
async function settle(dir: string): Promise<void> {
  const hourAgo = new Date(Date.now() - 3_600_000);
  await utimes(dir, hourAgo, hourAgo);
}

/** A primary's and a secondary's transports, each bound in rt.dir (the secondary as mp_socket_1_a), the directory settled. */
async function primaryWithSecondary(): Promise<{ primary: UnixTransport; secondary: UnixTransport }> {
  const primary = new UnixTransport();
  const secondary = new UnixTransport();
  endpoints.push(await primary.bind(join(rt.dir, 'mp_socket'), () => undefined));
  endpoints.push(await secondary.bind(join(rt.dir, 'mp_socket_1_a'), () => undefined));
  await settle(rt.dir);
  return { primary, secondary };
}

const peersOf = (t: UnixTransport, dir: string) => t.withPeers(dir, (peers) => Promise.resolve(peers.map((p) => p.slice(dir.length + 1))));

describe('the peer list of a broadcast', () => {
  it('sees a secondary that binds, and stops seeing one that goes, after a listing was kept', async () => {
    const { primary, secondary } = await primaryWithSecondary();
    expect(await peersOf(primary, rt.dir)).toEqual(['mp_socket_1_a']);
    expect(await peersOf(primary, rt.dir)).toEqual(['mp_socket_1_a']);

    const b = await secondary.bind(join(rt.dir, 'mp_socket_2_b'), () => undefined);
    expect(await peersOf(primary, rt.dir)).toEqual(['mp_socket_1_a', 'mp_socket_2_b']);

    await settle(rt.dir);
    expect(await peersOf(primary, rt.dir)).toEqual(['mp_socket_1_a', 'mp_socket_2_b']);
    await b.close();
    expect(await peersOf(primary, rt.dir)).toEqual(['mp_socket_1_a']);
  });

  it('a primary alone broadcasts without the flock once a kept listing found nobody, and waits for it again once the directory changed', async () => {
    const primary = new UnixTransport({ lockTimeoutMs: 150 });
    endpoints.push(await primary.bind(join(rt.dir, 'mp_socket'), () => undefined));
    await settle(rt.dir);
    expect(primary.surelyAlone(rt.dir)).toBe(false); // no listing kept yet: in doubt
    expect(await peersOf(primary, rt.dir)).toEqual([]); // listed under the flock, and kept
    expect(primary.surelyAlone(rt.dir)).toBe(true);
    // Another open file description holds the directory's exclusive flock, as a secondary binding does.
    const holder = openSync(rt.dir, 'r');
    try {
      expect(await flock(holder, 'exclusive', { wait: false })).toBe(true);
      // Unchanged since the kept empty listing: nobody to send to, nothing to wait for.
      expect(await peersOf(primary, rt.dir)).toEqual([]);
      // The binding secondary's socket appears: the directory changed, so the broadcast waits for the flock
      // (and here gives up at lockTimeoutMs, as the holder never lets go).
      await writeFile(join(rt.dir, 'mp_socket_3_c'), '');
      expect(primary.surelyAlone(rt.dir)).toBe(false);
      await expect(peersOf(primary, rt.dir)).rejects.toBeInstanceOf(LockTimeoutError);
      await flock(holder, 'unlock');
      expect(await peersOf(primary, rt.dir)).toEqual(['mp_socket_3_c']);
    } finally {
      closeSync(holder);
    }
  });

  it('a primary with secondaries stats the directory once per broadcast, under the flock (no unlocked pre-check)', async () => {
    const { primary } = await primaryWithSecondary();
    expect(await peersOf(primary, rt.dir)).toEqual(['mp_socket_1_a']); // kept, with a secondary in it
    const stats = vi.mocked(fstatLiteSync);
    stats.mockClear();
    expect(primary.surelyAlone(rt.dir)).toBe(false);
    expect(stats).not.toHaveBeenCalled();
    expect(await peersOf(primary, rt.dir)).toEqual(['mp_socket_1_a']);
    expect(stats).toHaveBeenCalledTimes(1);
  });

  it('keptEmpty: only a listing kept (settled directory) that found nobody', async () => {
    const lists = new PeerLists();
    const listOnce = (): string[] => {
      const fd = openSync(rt.dir, 'r');
      try {
        return lists.list(rt.dir, fd);
      } finally {
        closeSync(fd);
      }
    };
    expect(lists.keptEmpty(rt.dir)).toBe(false); // nothing listed yet
    await writeFile(join(rt.dir, 'other-file'), '');
    expect(listOnce()).toEqual([]);
    expect(lists.keptEmpty(rt.dir)).toBe(false); // the directory just changed: not kept
    await settle(rt.dir);
    expect(listOnce()).toEqual([]);
    expect(lists.keptEmpty(rt.dir)).toBe(true);
    await writeFile(join(rt.dir, 'mp_socket_1_a'), '');
    await settle(rt.dir);
    expect(listOnce()).toHaveLength(1);
    expect(lists.keptEmpty(rt.dir)).toBe(false);
  });

  it('lists a directory removed and made again afresh', async () => {
    const lists = new PeerLists();
    const dir = join(rt.dir, 'again');
    const listOnce = (): string[] => {
      const fd = openSync(dir, 'r');
      try {
        return lists.list(dir, fd).map((p) => p.slice(dir.length + 1));
      } finally {
        closeSync(fd);
      }
    };
    await mkdir(dir);
    await writeFile(join(dir, 'mp_socket_1_a'), '');
    await settle(dir);
    expect(listOnce()).toEqual(['mp_socket_1_a']);
    await rm(dir, { recursive: true });
    await mkdir(dir);
    await writeFile(join(dir, 'mp_socket_2_b'), '');
    await settle(dir);
    expect(listOnce()).toEqual(['mp_socket_2_b']);
  });
});
