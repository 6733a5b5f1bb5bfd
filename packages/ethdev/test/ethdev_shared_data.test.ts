import { open, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { LogRegistry, type Logger } from '@eal-ts/log';
import { describe, expect, it } from 'vitest';

import { ETHDEV_DATA_FILE, EthdevError, EthdevSharedData, MemoryPortTable } from '../src/index.js';
// The file layout is internal to the package: tested straight from its module.
import { HEADER_SIZE, SLOT_SIZE, decodeHeader, decodeSlot, encodeAllocatedSlot, encodeFreeSlot, encodeHeader, slotOffset, tableSize } from '../src/port_table_layout.js';
import { trySetRecordLockSync } from '@eal-ts/sys';
import { posixLockHolders } from './helpers/locks.js';
import { code, dirPerTest } from './helpers/suite.js';

function capture(lines: string[]): Logger {
  return new LogRegistry({ sink: (line) => void lines.push(line) }).register('lib.ethdev', { prefix: 'ETHDEV' });
}


describe('the slot and header format', () => {
  it('slots are 128 bytes, 128-aligned after a 128-byte header, so none crosses a page', () => {
    expect(SLOT_SIZE).toBe(128);
    expect(HEADER_SIZE).toBe(128);
    for (let id = 0; id < 4096; id++) {
      const start = slotOffset(id);
      expect(Math.floor(start / 4096)).toBe(Math.floor((start + SLOT_SIZE - 1) / 4096));
    }
    expect(tableSize(32)).toBe(128 * 33);
  });

  it('an allocated slot round-trips', () => {
    const port = { portId: 5, name: 'net_null5', generation: 77, ownerPid: 1234 };
    expect(decodeSlot(encodeAllocatedSlot(port), 5)).toEqual({ kind: 'allocated', port });
    expect(decodeSlot(encodeFreeSlot(5, 9), 5)).toEqual({ kind: 'free', generation: 9 });
    // Non-ASCII names, the longest name, the largest id and fields.
    for (const other of [
      { portId: 1, name: 'net_nüll_ü', generation: 1, ownerPid: 1 },
      { portId: 4095, name: 'n'.repeat(63), generation: 0xffffffff, ownerPid: 0xffffffff },
      { portId: 2, name: `${'é'.repeat(31)}x`, generation: 3, ownerPid: 7 },
    ]) {
      expect(decodeSlot(encodeAllocatedSlot(other), other.portId)).toEqual({ kind: 'allocated', port: other });
    }
  });

  it('a slot encoded into a reused buffer has the same bytes as a fresh one, whatever the buffer held', () => {
    const port = { portId: 300, name: 'net_null300', generation: 0xfffffffe, ownerPid: 0x7fffffff };
    const scratch = Buffer.alloc(SLOT_SIZE, 0xa5);
    expect(encodeAllocatedSlot(port, scratch)).toBe(scratch);
    expect(scratch).toEqual(encodeAllocatedSlot(port));
    expect(decodeSlot(scratch, 300)).toEqual({ kind: 'allocated', port });
    // A longer name before a shorter one leaves no byte of it behind.
    encodeFreeSlot(300, 7, scratch);
    expect(scratch).toEqual(encodeFreeSlot(300, 7));
    expect(() => encodeFreeSlot(1, 1, Buffer.alloc(SLOT_SIZE - 1))).toThrow(RangeError);
  });

  it('any torn or misplaced slot is corrupt, never a port', () => {
    const slot = encodeAllocatedSlot({ portId: 3, name: 'net_null3', generation: 2, ownerPid: 1 });
    // A write cut at every possible point over the old (free) slot.
    const old = encodeFreeSlot(3, 1);
    for (let cut = 1; cut < SLOT_SIZE; cut++) {
      const torn = Buffer.concat([slot.subarray(0, cut), old.subarray(cut)]);
      const decoded = decodeSlot(torn, 3);
      expect(decoded.kind, `cut at ${cut}`).toBe('corrupt');
    }
    const misplaced = decodeSlot(slot, 4);
    expect(misplaced.kind === 'corrupt' && misplaced.reason).toMatch(/port id 3/);
    expect(decodeSlot(Buffer.alloc(SLOT_SIZE), 0).kind).toBe('corrupt');
    expect(decodeSlot(slot.subarray(0, 64), 3).kind).toBe('corrupt');
  });

  it('a header round-trips and a damaged one is EBADMSG', () => {
    const header = { version: 1, maxPorts: 32, creatorPid: 42, createdAt: 1_700_000_000_000 };
    expect(decodeHeader(encodeHeader(header), 'x')).toEqual(header);
    const damaged = encodeHeader(header);
    damaged[20] = 33;
    expect(() => decodeHeader(damaged, 'x')).toThrow(/checksum/);
    expect(() => decodeHeader(Buffer.from('not a table'), 'x')).toThrow(EthdevError);
  });
});

describe('EthdevSharedData (the file)', () => {
  const tmp = dirPerTest('eal-ts-ethdev-file-');

  async function create(maxPorts = 8, lines: string[] = []): Promise<EthdevSharedData> {
    const table = await EthdevSharedData.create({ runtimeDir: tmp.dir, maxPorts, logger: capture(lines) });
    tmp.opened.push(table);
    return table;
  }
  async function openTable(lines: string[] = []): Promise<EthdevSharedData> {
    const table = await EthdevSharedData.open({ runtimeDir: tmp.dir, logger: capture(lines) });
    tmp.opened.push(table);
    return table;
  }

  it('the primary creates eal_ts_ethdev_data with mode 0600, every slot free, and no temporary left', async () => {
    const table = await create(8);
    expect(table.path).toBe(join(tmp.dir, ETHDEV_DATA_FILE));
    const info = await stat(table.path);
    expect(info.mode & 0o777).toBe(0o600);
    expect(info.size).toBe(tableSize(8));
    expect(await readdir(tmp.dir)).toEqual([ETHDEV_DATA_FILE]);
    expect(await table.read()).toEqual({ maxPorts: 8, ports: [], corrupt: [] });
    expect(table.header).toMatchObject({ maxPorts: 8, creatorPid: process.pid, version: 1 });
  });

  it('a new primary replaces a table left by an earlier one', async () => {
    const old = await create(4);
    await old.allocate('left-over');
    const fresh = await create(6);
    expect(await fresh.read()).toEqual({ maxPorts: 6, ports: [], corrupt: [] });
    expect((await openTable()).maxPorts).toBe(6);
  });

  it('open fails with ENOENT without a table and EBADMSG on a file that is not one', async () => {
    expect(await code(EthdevSharedData.open({ runtimeDir: tmp.dir }))).toBe('ENOENT');
    await writeFile(join(tmp.dir, ETHDEV_DATA_FILE), 'garbage');
    expect(await code(EthdevSharedData.open({ runtimeDir: tmp.dir }))).toBe('EBADMSG');
    const header = encodeHeader({ version: 1, maxPorts: 8, creatorPid: 1, createdAt: 0 });
    await writeFile(join(tmp.dir, ETHDEV_DATA_FILE), header);
    expect(await code(EthdevSharedData.open({ runtimeDir: tmp.dir }))).toBe('EBADMSG');
  });

  it('creating in a missing directory fails with ENOENT', async () => {
    expect(await code(EthdevSharedData.create({ runtimeDir: join(tmp.dir, 'absent') }))).toBe('ENOENT');
  });

  it('an update changes exactly one slot in place', async () => {
    const table = await create(4);
    const before = await readFile(table.path);
    const port = await table.allocate('net_null0');
    const after = await readFile(table.path);
    const changed = [...after.keys()].filter((i) => after[i] !== before[i]);
    expect(Math.min(...changed)).toBeGreaterThanOrEqual(slotOffset(0));
    expect(Math.max(...changed)).toBeLessThan(slotOffset(1));
    expect(decodeSlot(after.subarray(slotOffset(0), slotOffset(1)), 0)).toEqual({ kind: 'allocated', port });
  });

  it('a corrupt slot is reported once, skipped by readers and plain writers, and freed by repair', async () => {
    const lines: string[] = [];
    const table = await create(3, lines);
    await table.allocate('a');
    await table.allocate('b');
    // Tear slot 1 (b) as a writer killed mid-write would.
    const handle = await open(table.path, 'r+');
    await handle.write(Buffer.alloc(40, 0xee), 0, 40, slotOffset(1));
    await handle.close();

    const seen = await table.read();
    expect(seen.ports.map((p) => p.name)).toEqual(['a']);
    expect(seen.corrupt).toEqual([1]);
    await table.read();
    expect(lines.filter((l) => l.includes('slot of port 1 is corrupt'))).toHaveLength(1);
    expect(await code(table.attach('b'))).toBe('ENODEV');

    expect((await table.allocate('c')).portId).toBe(2);
    expect(await code(table.allocate('d'))).toBe('ENOSPC');
    expect(await table.repair()).toEqual([1]);
    expect(await table.repair()).toEqual([]);
    expect((await table.allocate('d')).portId).toBe(1);
    expect((await table.read()).corrupt).toEqual([]);
  });

  it('a table this process has read still sees every later change by others: updates, tears, truncation', async () => {
    const lines: string[] = [];
    const mine = await create(4, lines);
    const other = await openTable();
    const a = await mine.allocate('a');
    expect((await mine.read()).ports).toEqual([a]);
    // Another process's update lands in a slot this process decoded as free.
    const b = await other.allocate('b');
    expect((await mine.read()).ports).toEqual([a, b]);
    await other.release(a.portId);
    expect((await mine.read()).ports).toEqual([b]);
    // A writer killed mid-write: the first half of a valid encoding of slot 2 over its free slot.
    const torn = encodeAllocatedSlot({ portId: 2, name: 'torn', generation: 99, ownerPid: 1 });
    const handle = await open(mine.path, 'r+');
    await handle.write(torn, 0, SLOT_SIZE / 2, slotOffset(2));
    expect(await mine.read()).toMatchObject({ ports: [b], corrupt: [2] });
    expect(lines.filter((l) => l.includes('slot of port 2 is corrupt'))).toHaveLength(1);
    // The rest of the same encoding lands later: the slot is whole and valid again.
    await handle.write(torn, SLOT_SIZE / 2, SLOT_SIZE / 2, slotOffset(2) + SLOT_SIZE / 2);
    expect(await mine.read()).toMatchObject({ ports: [b, { portId: 2, name: 'torn', generation: 99 }], corrupt: [] });
    // A table cut short after slot 1: the missing slots are corrupt, never the cached ones.
    await handle.truncate(slotOffset(2));
    expect(await mine.read()).toMatchObject({ ports: [b], corrupt: [2, 3] });
    await handle.write(encodeFreeSlot(2, 0), 0, SLOT_SIZE, slotOffset(2));
    await handle.write(encodeFreeSlot(3, 0), 0, SLOT_SIZE, slotOffset(3));
    await handle.close();
    expect(await mine.read()).toEqual({ maxPorts: 4, ports: [b], corrupt: [] });
    expect((await mine.allocate('c')).portId).toBe(0);
    expect((await other.read()).ports.map((p) => p.name)).toEqual(['c', 'b']);
  });

  it('allocate with repair frees corrupt slots in the same update', async () => {
    const table = await create(2);
    const handle = await open(table.path, 'r+');
    await handle.write(Buffer.from('half'), 0, 4, slotOffset(0));
    await handle.close();
    expect((await table.allocate('x', { repair: true })).portId).toBe(0);
    expect(await table.read()).toMatchObject({ corrupt: [], ports: [{ portId: 0, name: 'x' }] });
  });

  it('release of a corrupt slot rewrites it free; release with a stale generation is ENODEV', async () => {
    const table = await create(2);
    const a = await table.allocate('a');
    expect(await code(table.release(0, { generation: a.generation + 1 }))).toBe('ENODEV');
    await table.release(0, { generation: a.generation });
    expect(await code(table.release(0))).toBe('ENODEV');
    const handle = await open(table.path, 'r+');
    await handle.write(Buffer.from('xx'), 0, 2, slotOffset(1));
    await handle.close();
    await table.release(1);
    expect((await table.read()).corrupt).toEqual([]);
  });

  it('generations only grow across allocations and releases', async () => {
    const table = await create(2);
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      const port = await table.allocate(`p${i}`);
      seen.push(port.generation);
      await table.release(port.portId);
    }
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(5);
  });

  it('holds no record lock once an operation is over, whether it read, wrote one slot or several, or failed', async () => {
    const table = await create(2);
    const heldHere = async () => (await posixLockHolders(table.path)).filter((pid) => pid === process.pid);
    // The check sees a lock this process holds (on another fd of the same file).
    const probe = await open(table.path, 'r+');
    try {
      expect(trySetRecordLockSync(probe.fd, 'write')).toBe(true);
      expect(await heldHere()).toEqual([process.pid]);
      expect(trySetRecordLockSync(probe.fd, 'unlock')).toBe(true);
      expect(await heldHere()).toEqual([]);
    } finally {
      await probe.close();
    }
    const after = async (operation: Promise<unknown>): Promise<number[]> => {
      await operation.catch(() => undefined);
      return heldHere();
    };
    expect(await after(table.allocate('a'))).toEqual([]); // one write
    expect(await after(table.read())).toEqual([]); // read only
    expect(await after(table.attach('a'))).toEqual([]);
    expect(await after(table.allocate('a'))).toEqual([]); // EEXIST: nothing written
    expect(await after(table.release(1))).toEqual([]); // ENODEV
    const handle = await open(table.path, 'r+');
    await handle.write(Buffer.from('torn'), 0, 4, slotOffset(1));
    await handle.close();
    expect(await after(table.allocate('b', { repair: true }))).toEqual([]); // two writes: the repair, then b
    expect((await table.read()).ports.map((p) => p.name)).toEqual(['a', 'b']);
    expect(await after(table.allocate('c'))).toEqual([]); // ENOSPC
    expect(await after(table.release(0))).toEqual([]);
    expect(await after(table.repair())).toEqual([]); // nothing to repair
  });

  it('a closed table refuses operations with EBADF', async () => {
    const table = await create(2);
    await table.close();
    expect(await code(table.read())).toBe('EBADF');
  });
});

describe('MemoryPortTable', () => {
  it('keeps nothing from a failed update', async () => {
    const table = new MemoryPortTable({ maxPorts: 1 });
    await table.allocate('a');
    expect(await code(table.allocate('b'))).toBe('ENOSPC');
    expect(await code(table.allocate('a'))).toBe('EEXIST');
    expect((await table.read()).ports.map((p) => p.name)).toEqual(['a']);
    expect(table.path).toBeNull();
    expect(await table.repair()).toEqual([]);
  });

  it('refuses maxPorts outside 1..4096', () => {
    expect(() => new MemoryPortTable({ maxPorts: 0 })).toThrow(EthdevError);
    expect(() => new MemoryPortTable({ maxPorts: 4097 })).toThrow(EthdevError);
  });
});
