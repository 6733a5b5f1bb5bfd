import { join } from 'node:path';

import { LogRegistry, type Logger } from '@eal-ts/log';
import { describe, expect, it } from 'vitest';

import { EthDev, EthdevError, EthdevPorts, MemoryPortTable, RTE_MAX_ETHPORTS } from '../src/index.js';
import { dirPerTest, rejection } from './helpers/suite.js';

function quietLogger(lines: string[] = []): Logger {
  return new LogRegistry({ sink: (line) => void lines.push(line) }).register('lib.ethdev', { prefix: 'ETHDEV' });
}

function recordEvents(ports: EthdevPorts): string[] {
  const events: string[] = [];
  ports.on('new', (dev) => events.push(`new ${dev.portId} ${dev.name}`));
  ports.on('destroyed', (dev) => events.push(`destroyed ${dev.portId} ${dev.name}`));
  return events;
}

// The same specification runs against the shared file and the in-memory table.
const kinds = ['runtime-directory file', 'in-memory'] as const;

describe.each(kinds)('EthdevPorts on the %s table', (kind) => {
  const tmp = dirPerTest('eal-ts-ethdev-unit-');

  function primary(maxPorts?: number): EthdevPorts {
    const ports = new EthdevPorts({
      processType: 'primary',
      ...(kind === 'in-memory' ? { inMemory: true } : { runtimeDir: tmp.dir }),
      ...(maxPorts !== undefined ? { maxPorts } : {}),
      logger: quietLogger(),
    });
    tmp.opened.push(ports);
    return ports;
  }

  it('allocation picks the lowest free port id', async () => {
    const ports = primary();
    expect((await ports.allocate('net_null0')).portId).toBe(0);
    expect((await ports.allocate('net_null1')).portId).toBe(1);
    expect((await ports.allocate('net_null2')).portId).toBe(2);
    await ports.release(1);
    await ports.release(0);
    expect((await ports.allocate('net_null3')).portId).toBe(0);
    expect((await ports.allocate('net_null4')).portId).toBe(1);
    expect((await ports.allocate('net_null5')).portId).toBe(3);
  });

  it('port names are unique: allocating a taken name fails with EEXIST', async () => {
    const ports = primary();
    await ports.allocate('net_null0');
    const error = await rejection(ports.allocate('net_null0'));
    expect(error.code).toBe('EEXIST');
    expect(error.errno).toBe(-17);
    expect(await ports.count()).toBe(1);
  });

  it('a full table fails with ENOSPC, and release frees an id for reuse', async () => {
    const ports = primary(3);
    for (let i = 0; i < 3; i++) await ports.allocate(`p${i}`);
    const error = await rejection(ports.allocate('one-too-many'));
    expect(error.code).toBe('ENOSPC');
    expect(error.errno).toBe(-28);
    await ports.release(1);
    const reused = await ports.allocate('one-too-many');
    expect(reused.portId).toBe(1);
  });

  it('the default table has RTE_MAX_ETHPORTS (32) ports', async () => {
    const ports = primary();
    await ports.init();
    expect(ports.portTable?.maxPorts).toBe(RTE_MAX_ETHPORTS);
    expect(RTE_MAX_ETHPORTS).toBe(32);
  });

  it('concurrent allocations in one process get distinct lowest ids', async () => {
    const ports = primary(8);
    const devs = await Promise.all(Array.from({ length: 8 }, (_, i) => ports.allocate(`c${i}`)));
    expect(devs.map((d) => d.portId).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('fires new on allocate and destroyed on release, to local listeners', async () => {
    const ports = primary();
    const events = recordEvents(ports);
    await ports.allocate('net_null0');
    await ports.allocate('net_null1');
    await ports.release(0);
    expect(events).toEqual(['new 0 net_null0', 'new 1 net_null1', 'destroyed 0 net_null0']);
  });

  it('a released port is gone from every lookup and its handle refuses bursts with ENODEV', async () => {
    const ports = primary();
    const dev = await ports.allocate('net_null0');
    expect(await ports.find('net_null0')).toBe(dev);
    expect(await ports.get(0)).toBe(dev);
    expect(await ports.list()).toEqual([dev]);
    await ports.release(0);
    expect(await ports.find('net_null0')).toBeUndefined();
    expect(await ports.get(0)).toBeUndefined();
    expect(await ports.list()).toEqual([]);
    expect(await ports.count()).toBe(0);
    expect(dev.state).toBe('unused');
    expect((await rejection(dev.rxBurst(0, 1))).code).toBe('ENODEV');
    expect((await rejection(ports.release(0))).code).toBe('ENODEV');
  });

  it('list() is ordered by port id and listShared() shows the table', async () => {
    const ports = primary();
    for (const name of ['a', 'b', 'c']) await ports.allocate(name);
    await ports.release(1);
    await ports.allocate('d');
    expect((await ports.list()).map((d) => [d.portId, d.name])).toEqual([
      [0, 'a'],
      [1, 'd'],
      [2, 'c'],
    ]);
    const shared = await ports.listShared();
    expect(shared.ports.map((p) => [p.portId, p.name, p.ownerPid])).toEqual([
      [0, 'a', process.pid],
      [1, 'd', process.pid],
      [2, 'c', process.pid],
    ]);
    expect(shared.corrupt).toEqual([]);
  });

  it('a later port on a reused id has a new generation', async () => {
    const ports = primary();
    const first = await ports.allocate('a');
    await ports.release(0);
    const second = await ports.allocate('b');
    expect(second.portId).toBe(0);
    expect(second.generation).not.toBe(first.generation);
  });

  it('refuses bad names as rte_eth_dev_allocate does: empty, NUL, 64 bytes or more', async () => {
    const ports = primary();
    expect((await rejection(ports.allocate(''))).code).toBe('EINVAL');
    expect((await rejection(ports.allocate('a\0b'))).code).toBe('EINVAL');
    expect((await rejection(ports.allocate('x'.repeat(64)))).code).toBe('ENAMETOOLONG');
    expect((await ports.allocate('x'.repeat(63))).portId).toBe(0);
    // 21 three-byte characters are 63 bytes; 22 are too many.
    expect((await ports.allocate('€'.repeat(21))).name).toBe('€'.repeat(21));
    expect((await rejection(ports.allocate('€'.repeat(22)))).code).toBe('ENAMETOOLONG');
  });

  it('refuses invalid port ids with EINVAL', async () => {
    const ports = primary(4);
    await ports.init();
    for (const id of [-1, 4, 1.5, Number.NaN]) expect((await rejection(ports.release(id))).code).toBe('EINVAL');
  });

  it('a secondary cannot allocate, and the primary cannot attachSecondary (EPERM)', async () => {
    const table = new MemoryPortTable();
    const p = new EthdevPorts({ processType: 'primary', table, logger: quietLogger() });
    const s = new EthdevPorts({ processType: 'secondary', table, logger: quietLogger() });
    expect((await rejection(s.allocate('x'))).code).toBe('EPERM');
    expect((await rejection(p.attachSecondary('x'))).code).toBe('EPERM');
    expect((await rejection(s.repair())).code).toBe('EPERM');
  });
});

describe('primary and secondary in one process', () => {
  const tmp = dirPerTest('eal-ts-ethdev-unit-');
  /** A port set of this test, closed after it. */
  function track(ports: EthdevPorts): EthdevPorts {
    tmp.opened.push(ports);
    return ports;
  }

  it.each(['file', 'shared MemoryPortTable'] as const)(
    'over a %s: the secondary attaches by name and gets the primary port id',
    async (how) => {
      const table = how === 'file' ? undefined : new MemoryPortTable();
      const where = table ? { table } : { runtimeDir: tmp.dir };
      const primary = track(new EthdevPorts({ processType: 'primary', ...where, logger: quietLogger() }));
      await primary.init();
      const secondary = track(new EthdevPorts({ processType: 'secondary', ...where, logger: quietLogger() }));
      const events = recordEvents(secondary);
      await primary.allocate('net_null0');
      const a = await primary.allocate('net_null1');
      const b = await secondary.attachSecondary('net_null1', { driverName: 'net_null', deviceName: 'net_null1' });
      expect([b.portId, b.name, b.generation, b.driverName]).toEqual([a.portId, a.name, a.generation, 'net_null']);
      expect((await rejection(secondary.attachSecondary('net_null1'))).code).toBe('EEXIST');
      expect((await rejection(secondary.attachSecondary('absent'))).code).toBe('ENODEV');
      expect(await secondary.count()).toBe(1);
      expect((await secondary.listShared()).ports.map((p) => p.name)).toEqual(['net_null0', 'net_null1']);

      // A secondary's release drops only its own view.
      await secondary.release(1);
      expect(await secondary.count()).toBe(0);
      expect((await primary.listShared()).ports).toHaveLength(2);
      expect((await rejection(secondary.release(1))).code).toBe('ENODEV');

      // The primary's release removes the port from the table for everyone.
      await primary.release(1);
      expect((await rejection(secondary.attachSecondary('net_null1'))).code).toBe('ENODEV');
      expect(events).toEqual(['new 1 net_null1', 'destroyed 1 net_null1']);
    },
  );

  it('concurrent operations of a primary and a secondary on one file in one process stay consistent', async () => {
    const primary = track(new EthdevPorts({ processType: 'primary', runtimeDir: tmp.dir, maxPorts: 16, logger: quietLogger() }));
    await primary.init();
    const secondary = track(new EthdevPorts({ processType: 'secondary', runtimeDir: tmp.dir, logger: quietLogger() }));
    const names = Array.from({ length: 16 }, (_, i) => `n${i}`);
    await Promise.all(names.map((n) => primary.allocate(n)));
    const [attached] = await Promise.all([
      Promise.all(names.map((n) => secondary.attachSecondary(n))),
      Promise.all(names.slice(0, 4).map(() => primary.listShared())),
    ]);
    for (const dev of attached) expect((await primary.find(dev.name))?.portId).toBe(dev.portId);
  });

  it('a secondary with no primary table fails with ENOENT, and may retry', async () => {
    const secondary = track(new EthdevPorts({ processType: 'secondary', runtimeDir: tmp.dir, logger: quietLogger() }));
    expect((await rejection(secondary.init())).code).toBe('ENOENT');
    const primary = track(new EthdevPorts({ processType: 'primary', runtimeDir: tmp.dir, logger: quietLogger() }));
    await primary.allocate('late');
    expect((await secondary.attachSecondary('late')).portId).toBe(0);
  });

  it('the secondary adopts the primary table size', async () => {
    const primary = track(new EthdevPorts({ processType: 'primary', runtimeDir: tmp.dir, maxPorts: 5, logger: quietLogger() }));
    await primary.init();
    const secondary = track(new EthdevPorts({ processType: 'secondary', runtimeDir: tmp.dir, maxPorts: 99, logger: quietLogger() }));
    await secondary.init();
    expect(secondary.portTable?.maxPorts).toBe(5);
  });

  it('operations after close fail with EBADF; close({ unlink }) removes the file', async () => {
    const primary = track(new EthdevPorts({ processType: 'primary', runtimeDir: tmp.dir, logger: quietLogger() }));
    await primary.allocate('x');
    const path = primary.portTable?.path;
    expect(path).toBe(join(tmp.dir, 'eal_ts_ethdev_data'));
    await primary.close({ unlink: true });
    expect((await rejection(primary.allocate('y'))).code).toBe('EBADF');
    const secondary = track(new EthdevPorts({ processType: 'secondary', runtimeDir: tmp.dir, logger: quietLogger() }));
    expect((await rejection(secondary.init())).code).toBe('ENOENT');
  });
});

describe('EthdevPorts options', () => {
  it('in-memory mode needs no runtime directory and writes no file', async () => {
    const ports = new EthdevPorts({ processType: 'primary', inMemory: true, logger: quietLogger() });
    const dev = await ports.allocate('net_null0');
    expect(dev).toBeInstanceOf(EthDev);
    expect(ports.portTable?.path).toBeNull();
  });

  it('refuses a secondary in memory, a missing runtime directory and an unknown process type', () => {
    expect(() => new EthdevPorts({ processType: 'secondary', inMemory: true })).toThrow(/secondary.*in memory/);
    expect(() => new EthdevPorts({ processType: 'primary' })).toThrow(/runtimeDir is required/);
    expect(() => new EthdevPorts({ processType: 'auto' as 'primary', inMemory: true })).toThrow(EthdevError);
  });

  it('logs through the given logger under the ETHDEV prefix', async () => {
    const lines: string[] = [];
    const ports = new EthdevPorts({ processType: 'primary', inMemory: true, logger: quietLogger(lines) });
    ports.on('new', () => {
      throw new Error('listener bug');
    });
    await ports.allocate('a');
    expect(lines).toEqual([expect.stringMatching(/^ETHDEV: a 'new' listener of port 0 threw: listener bug$/)]);
  });
});
