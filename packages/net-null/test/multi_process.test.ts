import { EalError } from '@eal-ts/bus';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { type World, filePorts, rejection, tempRuntimeDir, world } from './helpers.js';

describe('net_null in a primary and a secondary sharing the file port table', () => {
  let runtime: { dir: string; remove: () => Promise<void> };
  let primary: World;
  let secondary: World;

  beforeEach(async () => {
    runtime = await tempRuntimeDir();
    primary = world(filePorts('primary', runtime.dir));
    await primary.ports.init(); // the primary creates the table before any secondary opens it
    secondary = world(filePorts('secondary', runtime.dir));
  });

  afterEach(async () => {
    await secondary.ports.close();
    await primary.ports.close({ unlink: true });
    await runtime.remove();
  });

  it("the secondary's probe attaches to the primary's port, with the same id", async () => {
    await primary.bus.add('net_null0');
    await primary.bus.add('net_null1', 'size=128');
    await secondary.bus.add('net_null1', 'size=128');
    const mine = (await secondary.ports.find('net_null1'))!;
    const theirs = (await primary.ports.find('net_null1'))!;
    expect(mine.portId).toBe(1);
    expect(mine.portId).toBe(theirs.portId);
    expect(mine.generation).toBe(theirs.generation);
    expect(mine.driverName).toBe('net_null');
    expect(await secondary.ports.count()).toBe(1);
    // The secondary's bursts use its devargs; its counters are its own.
    expect((await mine.rxBurst(0, 2)).map((p) => p.byteLength)).toEqual([128, 128]);
    expect(await mine.stats()).toMatchObject({ ipackets: 2, ibytes: 256 });
    expect(await theirs.stats()).toMatchObject({ ipackets: 0 });
  });

  it('the secondary learns the primary id even when it probes devices in another order', async () => {
    await primary.bus.add('net_null0');
    await primary.bus.add('eth_null1');
    await secondary.bus.add('eth_null1');
    await secondary.bus.add('net_null0');
    expect((await secondary.ports.list()).map((p) => `${p.portId}:${p.name}`)).toEqual(['0:net_null0', '1:eth_null1']);
  });

  it('a secondary probe without the primary port is a typed ENODEV error, and leaves nothing behind', async () => {
    const error = await rejection(secondary.bus.add('net_null4'));
    expect(error).toBeInstanceOf(EalError);
    expect([error.code, error.errno]).toEqual(['ENODEV', -19]);
    expect(error.message).toContain('the primary has no port named net_null4');
    expect(secondary.bus.findDeviceByName('net_null4')).toBeUndefined();
    expect(await secondary.ports.count()).toBe(0);
    expect(secondary.lines).toContain('NULL: rte_pmd_null_probe(): Failed to probe net_null4');
  });

  it('a second probe of an attached device in the secondary is EEXIST (from ethdev when the bus is bypassed)', async () => {
    await primary.bus.add('net_null0');
    const dev = await secondary.bus.add('net_null0');
    expect((await rejection(secondary.bus.add('net_null0'))).code).toBe('EEXIST');
    const error = await rejection(secondary.driver.probe(dev));
    expect(error).toBeInstanceOf(EalError);
    expect(error.code).toBe('EEXIST');
    expect(error.message).not.toContain('has no port');
  });

  it('a secondary probe with no primary table at all is ENODEV too', async () => {
    const empty = await tempRuntimeDir();
    try {
      const lonely = world(filePorts('secondary', empty.dir));
      const error = await rejection(lonely.bus.add('net_null0'));
      expect(error.code).toBe('ENODEV');
      await lonely.ports.close();
    } finally {
      await empty.remove();
    }
  });

  it("the secondary's remove drops only its view; the primary's remove frees the id", async () => {
    await primary.bus.add('net_null0');
    await secondary.bus.add('net_null0');
    await secondary.bus.remove('net_null0');
    expect(await secondary.ports.count()).toBe(0);
    expect((await primary.ports.listShared()).ports.map((p) => p.name)).toEqual(['net_null0']);
    expect(await primary.ports.count()).toBe(1);

    await primary.bus.remove('net_null0');
    expect((await primary.ports.listShared()).ports).toEqual([]);
    // The secondary can no longer attach it.
    expect((await rejection(secondary.bus.add('net_null0'))).code).toBe('ENODEV');
  });

  it('the secondary does not refuse devargs (DPDK reads none there): bad ones are logged, defaults used', async () => {
    await primary.bus.add('net_null0');
    await secondary.bus.add('net_null0', 'size=70000');
    expect(secondary.driver.deviceOptions('net_null0')).toEqual({ size: 64, copy: false, noRx: false });
    expect(secondary.lines.some((l) => l.includes("ignoring devargs 'size=70000' in the secondary"))).toBe(true);
  });

  it('two secondaries attach the same device to the same id', async () => {
    await primary.bus.add('net_null0');
    const other = world(filePorts('secondary', runtime.dir));
    await other.bus.add('net_null0');
    await secondary.bus.add('net_null0');
    expect((await other.ports.find('net_null0'))?.portId).toBe((await secondary.ports.find('net_null0'))?.portId);
    await other.ports.close();
  });
});
