// Real processes sharing one port table file: primaries, secondaries, raw
// table writers, and writers killed with SIGKILL mid-update.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { LockTimeoutError, testRecordLock } from '@eal-ts/sys';
import { pollUntil } from '@eal-ts/test-kit';
import { EthdevSharedData } from '../src/ethdev_shared_data.js';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { posixLockHolders } from './helpers/locks.js';
import { DEADLINE_MS, DIST_INDEX, ProcessSet, type Child, type PortView, type Snapshot } from './helpers/processes.js';

const TABLE_FILE = 'eal_ts_ethdev_data';

const set = new ProcessSet();

beforeAll(() => {
  if (!existsSync(DIST_INDEX)) throw new Error(`build the package first (pnpm run build): ${DIST_INDEX} is missing`);
});
beforeEach(async () => {
  await set.makeRuntimeDir();
});
afterEach(async () => {
  await set.cleanup();
});

/**
 * Polls /proc/locks until `path`'s POSIX lock holders are exactly `expected`,
 * or DEADLINE_MS passes; resolves with the last list read. One read is no
 * snapshot: the kernel serves /proc/locks a page per read(), walking the
 * machine-wide lock list again each time, so while other processes take and
 * drop locks a held lock's line can be skipped or repeated.
 */
async function posixLockHoldersSettleOn(path: string, expected: number[]): Promise<number[]> {
  const same = (pids: number[]) => JSON.stringify(pids) === JSON.stringify(expected);
  const what = `${path}'s POSIX lock holders to be ${JSON.stringify(expected)}`;
  return pollUntil(() => posixLockHolders(path), same, { what, timeoutMs: DEADLINE_MS, intervalMs: 10 }).catch(() => posixLockHolders(path));
}

const byId = (ports: readonly PortView[]): [number, string][] =>
  [...ports].sort((a, b) => a.portId - b.portId).map((p) => [p.portId, p.name]);

/** The shared table as a primary and each secondary see it: all must be identical. */
async function expectSameSharedView(primary: Child, ...others: Child[]): Promise<Snapshot> {
  const reference = await primary.request<Snapshot>('listShared');
  for (const other of others) expect(await other.request<Snapshot>('listShared')).toEqual(reference);
  return reference;
}

/** Every port a secondary attached has the id and generation the primary's table gives that name. */
async function expectLocalViewConsistent(secondary: Child, shared: Snapshot): Promise<void> {
  for (const port of await secondary.request<PortView[]>('list')) {
    const owner = shared.ports.find((p) => p.name === port.name);
    expect(owner, `${secondary.label} still has ${port.name}`).toBeDefined();
    expect([port.portId, port.generation]).toEqual([owner!.portId, owner!.generation]);
  }
}

describe('ports shared between real processes', () => {
  it('a primary and two secondaries agree on port ids after interleaved attaches and detaches', async () => {
    const primary = await set.peer('primary', 'primary');
    const [s1, s2] = await Promise.all([set.peer('secondary', 'secondary-1'), set.peer('secondary', 'secondary-2')]);

    expect(await primary.request<PortView>('allocate', 'net_null0')).toMatchObject({ portId: 0 });
    expect(await primary.request<PortView>('allocate', 'net_null1')).toMatchObject({ portId: 1 });
    expect(await s1.request<PortView>('attach', 'net_null1')).toMatchObject({ portId: 1, name: 'net_null1' });
    expect(await primary.request<PortView>('allocate', 'net_null2')).toMatchObject({ portId: 2 });
    expect(await s2.request<PortView>('attach', 'net_null2')).toMatchObject({ portId: 2 });
    expect(await s2.request<PortView>('attach', 'net_null0')).toMatchObject({ portId: 0 });
    expect(await s1.failure('attach', 'net_null1')).toBe('EEXIST');

    // Detach net_null0 everywhere, as hotplug does: secondaries first, then the primary.
    await s2.request('release', 0);
    await primary.request('release', 0);
    expect(await s1.failure('attach', 'net_null0')).toBe('ENODEV');
    // The freed id is the lowest free one: the next port takes it, in every process.
    expect(await primary.request<PortView>('allocate', 'net_null3')).toMatchObject({ portId: 0 });
    expect(await s1.request<PortView>('attach', 'net_null3')).toMatchObject({ portId: 0 });
    expect(await s2.request<PortView>('attach', 'net_null3')).toMatchObject({ portId: 0 });

    // A secondary that missed a detach finds its stale port replaced, not duplicated.
    await primary.request('release', 1);
    expect(await primary.request<PortView>('allocate', 'net_null4')).toMatchObject({ portId: 1 });
    expect(await s1.request<PortView>('attach', 'net_null4')).toMatchObject({ portId: 1 });
    await s1.waitFor((e) => e.event === 'destroyed' && e.name === 'net_null1', 'destroyed net_null1');

    // A deterministic shuffle of more attaches and detaches.
    let seed = 7;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (let step = 0; step < 40; step++) {
      const name = names[random(names.length)]!;
      const shared = await primary.request<Snapshot>('listShared');
      const port = shared.ports.find((p) => p.name === name);
      const secondary = random(2) === 0 ? s1 : s2;
      if (!port) {
        const allocated = await primary.request<PortView>('allocate', name);
        const lowestFree = [...Array(shared.maxPorts).keys()].find((id) => !shared.ports.some((p) => p.portId === id));
        expect(allocated.portId).toBe(lowestFree);
      } else if (random(3) === 0) {
        for (const s of [s1, s2]) {
          if ((await s.request<PortView | null>('find', name)) !== null) await s.request('release', port.portId);
        }
        await primary.request('release', port.portId);
      } else if ((await secondary.request<PortView | null>('find', name)) === null) {
        expect(await secondary.request<PortView>('attach', name)).toMatchObject({ portId: port.portId });
      }
    }

    const shared = await expectSameSharedView(primary, s1, s2);
    expect(shared.corrupt).toEqual([]);
    expect(byId(await primary.request<PortView[]>('list'))).toEqual(byId(shared.ports));
    await expectLocalViewConsistent(s1, shared);
    await expectLocalViewConsistent(s2, shared);
    expect(new Set(shared.ports.map((p) => p.portId)).size).toBe(shared.ports.length);
  });

  it('a secondary started later sees the ports that exist, with the same ids', async () => {
    const primary = await set.peer('primary', 'primary');
    for (const name of ['net_null0', 'net_null1', 'net_null2']) await primary.request('allocate', name);
    await primary.request('release', 1);

    const late = await set.peer('secondary', 'late-secondary');
    const shared = await late.request<Snapshot>('listShared');
    expect(byId(shared.ports)).toEqual([
      [0, 'net_null0'],
      [2, 'net_null2'],
    ]);
    for (const port of shared.ports) {
      expect(await late.request<PortView>('attach', port.name)).toEqual({
        portId: port.portId,
        name: port.name,
        generation: port.generation,
      });
    }
    expect(await late.failure('attach', 'net_null1')).toBe('ENODEV');
    expect(await late.request('count')).toBe(2);
    await late.waitFor((e) => e.event === 'new' && e.name === 'net_null2', 'new event for net_null2');
  });

  it('a secondary started before any primary fails with ENOENT, then attaches once the primary is up', async () => {
    const early = set.start('early-secondary', 'ethdev_peer.mjs', ['secondary', set.runtimeDir]);
    const failed = await early.waitFor((e) => e.event === 'failed', 'failure');
    expect(failed.code).toBe('ENOENT');

    const primary = await set.peer('primary', 'primary');
    await primary.request('allocate', 'net_null0');
    const secondary = await set.peer('secondary', 'secondary');
    expect(await secondary.request<PortView>('attach', 'net_null0')).toMatchObject({ portId: 0 });
  });

  it('a lock held past lockTimeoutMs (its holder stopped) fails the operation with ETIMEDOUT naming the table and the holder', async () => {
    await set.peer('primary', 'primary');
    const path = join(set.runtimeDir, TABLE_FILE);
    const holder = set.start('lock-holder', 'torn_writer.mjs', [path, 'hold']);
    await holder.waitFor((e) => e.event === 'locked', 'write lock');
    process.kill(holder.pid, 'SIGSTOP');
    const table = await EthdevSharedData.open({ runtimeDir: set.runtimeDir, lockTimeoutMs: 300 });
    try {
      const started = Date.now();
      const error = await table.read().catch((e: unknown) => e);
      expect(Date.now() - started).toBeGreaterThanOrEqual(295);
      expect(error).toBeInstanceOf(LockTimeoutError);
      expect(error).toMatchObject({ code: 'ETIMEDOUT', syscall: 'fcntl', path, holder: { pid: holder.pid } });
    } finally {
      await table.close();
      process.kill(holder.pid, 'SIGCONT');
    }
  });

  it('a process SIGKILLed while holding the write lock, without writing, leaves the table unchanged for the others', async () => {
    const primary = await set.peer('primary', 'primary');
    await primary.request('allocate', 'net_null0');
    const secondary = await set.peer('secondary', 'secondary');
    const before = await secondary.request<Snapshot>('listShared');

    const path = join(set.runtimeDir, TABLE_FILE);
    const holder = set.start('lock-holder', 'torn_writer.mjs', [path, 'hold']);
    await holder.waitFor((e) => e.event === 'locked', 'write lock');
    expect(await testRecordLock(path, 'read')).not.toBeNull();
    expect(await posixLockHoldersSettleOn(path, [holder.pid])).toEqual([holder.pid]);

    // Both wait for the lock; killing its holder lets them through.
    const reading = secondary.request<Snapshot>('listShared');
    const allocating = primary.request<PortView>('allocate', 'net_null1');
    await set.kill(holder);

    // The read may be served before or after the allocation, never in the middle of anything.
    const read = await reading;
    expect(read.corrupt).toEqual([]);
    expect(read.ports.filter((p) => p.name !== 'net_null1')).toEqual(before.ports);
    expect(await allocating).toMatchObject({ portId: 1, name: 'net_null1' });
    const after = await expectSameSharedView(primary, secondary);
    expect(after.corrupt).toEqual([]);
    expect(byId(after.ports)).toEqual([
      [0, 'net_null0'],
      [1, 'net_null1'],
    ]);
  });

  it('a writer SIGKILLed mid-update (half a slot written) leaves the table readable and uncorrupted for the others, and the primary repairs the torn slot', async () => {
    const primary = await set.peer('primary', 'primary', 4);
    await primary.request('allocate', 'net_null0');
    await primary.request('allocate', 'net_null1');
    const secondary = await set.peer('secondary', 'secondary');
    await secondary.request('attach', 'net_null1');

    const path = join(set.runtimeDir, TABLE_FILE);
    const writer = set.start('torn-writer', 'torn_writer.mjs', [path, 'half-slot', '2']);
    await writer.waitFor((e) => e.event === 'locked', 'half-written slot');
    const reading = secondary.request<Snapshot>('listShared');
    await set.kill(writer);

    // The torn slot is reported, never read as a port; the others are intact.
    const seen = await reading;
    expect(byId(seen.ports)).toEqual([
      [0, 'net_null0'],
      [1, 'net_null1'],
    ]);
    expect(seen.corrupt).toEqual([2]);
    expect(secondary.stderr).toMatch(/slot of port 2 is corrupt/);

    // Another secondary starting now sees the same thing and works.
    const late = await set.peer('secondary', 'late-secondary');
    expect(await late.request<PortView>('attach', 'net_null1')).toMatchObject({ portId: 1 });
    expect(await late.failure('attach', 'torn-by-a-dead-writer')).toBe('ENODEV');
    const raw = await set.peer('writer', 'raw-writer');
    // A writer other than the primary never hands out a corrupt slot.
    expect(await raw.request<PortView>('tableAllocate', 'net_null3')).toMatchObject({ portId: 3 });
    expect(await raw.failure('tableAllocate', 'net_null4')).toBe('ENOSPC');

    // The primary's repair path frees it; allocation then reuses it as the lowest free id.
    expect(await primary.request<PortView>('allocate', 'net_null4')).toMatchObject({ portId: 2 });
    const after = await expectSameSharedView(primary, secondary, late, raw);
    expect(after.corrupt).toEqual([]);
    expect(byId(after.ports)).toEqual([
      [0, 'net_null0'],
      [1, 'net_null1'],
      [2, 'net_null4'],
      [3, 'net_null3'],
    ]);
  });

  it('a writer SIGKILLed mid-update of an allocated slot leaves the other ports intact, and the primary repairs it', async () => {
    const primary = await set.peer('primary', 'primary');
    for (const name of ['net_null0', 'net_null1', 'net_null2']) await primary.request('allocate', name);

    const path = join(set.runtimeDir, TABLE_FILE);
    const writer = set.start('torn-writer', 'torn_writer.mjs', [path, 'half-slot', '1']);
    await writer.waitFor((e) => e.event === 'locked', 'half-written slot');
    await set.kill(writer);

    const secondary = await set.peer('secondary', 'secondary');
    const seen = await secondary.request<Snapshot>('listShared');
    expect(byId(seen.ports)).toEqual([
      [0, 'net_null0'],
      [2, 'net_null2'],
    ]);
    expect(seen.corrupt).toEqual([1]);
    expect(await secondary.request<PortView>('attach', 'net_null2')).toMatchObject({ portId: 2 });

    expect(await primary.request('repair')).toEqual([1]);
    const after = await expectSameSharedView(primary, secondary);
    expect(after.corrupt).toEqual([]);
    expect(await primary.request<PortView>('allocate', 'net_null5')).toMatchObject({ portId: 1 });
  });

  it('concurrent allocations from several processes never hand out the same id', async () => {
    const maxPorts = 32;
    const primary = await set.peer('primary', 'primary', maxPorts);
    const writers = await Promise.all([1, 2, 3, 4].map((n) => set.peer('writer', `writer-${n}`)));
    const perWriter = 10;

    type Outcome = { ok: true; port: PortView } | { ok: false; code: string; name: string };
    const results = await Promise.all([
      ...writers.map((writer, w) =>
        writer.request<Outcome[]>(
          'tableAllocateMany',
          Array.from({ length: perWriter }, (_, i) => `w${w}-${i}`),
        ),
      ),
      // The primary allocates at the same time, through EthdevPorts.
      Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          primary.request<PortView>('allocate', `p-${i}`).then(
            (port): Outcome => ({ ok: true, port }),
            (error: { code: string }): Outcome => ({ ok: false, code: error.code, name: `p-${i}` }),
          ),
        ),
      ),
    ]);
    const outcomes = results.flat();
    const granted = outcomes.flatMap((o) => (o.ok ? [o.port] : []));
    const refused = outcomes.flatMap((o) => (o.ok ? [] : [o.code]));

    expect(granted).toHaveLength(maxPorts);
    expect(new Set(granted.map((p) => p.portId)).size).toBe(maxPorts);
    expect(refused).toEqual(Array(outcomes.length - maxPorts).fill('ENOSPC'));
    const shared = await expectSameSharedView(primary, ...writers);
    expect(shared.corrupt).toEqual([]);
    expect(byId(shared.ports)).toEqual(byId(granted));
  });

  it('the same name allocated from several processes at once is granted exactly once', async () => {
    await set.peer('primary', 'primary');
    const writers = await Promise.all([1, 2, 3].map((n) => set.peer('writer', `writer-${n}`)));
    type Outcome = { ok: boolean; code?: string };
    const outcomes = (
      await Promise.all(writers.map((w) => w.request<Outcome[]>('tableAllocateMany', ['same', 'same'])))
    ).flat();
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.ok).map((o) => o.code)).toEqual(Array(5).fill('EEXIST'));
  });
});
