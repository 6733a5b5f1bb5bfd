import { BusRegistry, DeviceError, EalError, localDevProbe, localDevRemove } from '@eal-ts/bus';
import { VdevBus } from '@eal-ts/bus-vdev';
import { describe, expect, it, vi } from 'vitest';

import { NullDriver } from '../src/index.js';
import { inMemoryWorld, quietLogger, rejection } from './helpers.js';

describe('net_null probe and remove in the primary', () => {
  it('probe allocates a port named after the device, with the lowest free id', async () => {
    const w = inMemoryWorld();
    await w.bus.add('net_null0');
    await w.bus.add('net_null1');
    await w.bus.add('net_null2');
    expect((await w.ports.list()).map((p) => `${p.portId}:${p.name}`)).toEqual(['0:net_null0', '1:net_null1', '2:net_null2']);
    const port = await w.ports.find('net_null1');
    expect([port?.deviceName, port?.driverName]).toEqual(['net_null1', 'net_null']);

    await w.bus.remove('net_null1');
    await w.bus.add('net_null7');
    expect((await w.ports.find('net_null7'))?.portId).toBe(1);
  });

  it('remove releases the port and forgets the device', async () => {
    const w = inMemoryWorld();
    const destroyed: string[] = [];
    w.ports.on('destroyed', (p) => destroyed.push(p.name));
    await w.bus.add('net_null0', 'size=128');
    const port = (await w.ports.find('net_null0'))!;
    expect(await w.bus.remove('net_null0')).toBe(true);
    expect(destroyed).toEqual(['net_null0']);
    expect(port.state).toBe('unused');
    expect(await w.ports.count()).toBe(0);
    expect((await w.ports.listShared()).ports).toEqual([]);
    expect(w.driver.deviceOptions('net_null0')).toBeUndefined();
    expect(w.bus.findDeviceByName('net_null0')).toBeUndefined();
  });

  it('a second probe of the same name is EEXIST from the bus, and the first port stays', async () => {
    const w = inMemoryWorld();
    await w.bus.add('net_null0', 'size=100');
    const error = await rejection(w.bus.add('net_null0', 'size=200'));
    expect(error).toBeInstanceOf(EalError);
    expect([error.code, error.errno]).toEqual(['EEXIST', -17]);
    expect(w.driver.deviceOptions('net_null0')?.size).toBe(100);
    expect(await w.ports.count()).toBe(1);
  });

  it('through the EAL local probe path: EEXIST carries the probed device; remove releases', async () => {
    const w = inMemoryWorld();
    const registry = new BusRegistry();
    registry.register(w.bus);
    const dev = await localDevProbe(registry, 'net_null0,size=128');
    const again = await rejection(localDevProbe(registry, 'net_null0'));
    expect(again).toBeInstanceOf(DeviceError);
    expect(again.code).toBe('EEXIST');
    expect((again as DeviceError).device).toBe(dev);
    await localDevRemove(dev);
    expect(await w.ports.count()).toBe(0);
  });

  it('a port name already taken in the table (another bus of the same process) is EEXIST from ethdev', async () => {
    const w = inMemoryWorld();
    await w.bus.add('net_null0');
    const other = new VdevBus({ processType: 'primary', logger: quietLogger('bus.vdev', 'VDEV').logger });
    other.registerDriver(new NullDriver({ ports: w.ports, logger: quietLogger('pmd.net.null', 'NULL').logger }));
    const error = await rejection(other.add('net_null0'));
    expect(error).toBeInstanceOf(EalError);
    expect(error.code).toBe('EEXIST');
    expect(error.message).toContain('cannot allocate a port for net_null0');
    expect(other.findDeviceByName('net_null0')).toBeUndefined();
  });

  it('remove of a device whose port is already released succeeds (DPDK returns 0)', async () => {
    const w = inMemoryWorld();
    const dev = await w.bus.add('net_null0');
    await w.ports.release((await w.ports.find('net_null0'))!.portId);
    await expect(w.driver.remove(dev)).resolves.toBeUndefined();
    expect(w.lines.some((l) => l.includes('already released'))).toBe(true);
  });

  it('logs as DPDK does under pmd.net.null', async () => {
    const w = inMemoryWorld();
    await w.bus.add('net_null0', 'size=128');
    expect(w.lines).toContain('NULL: rte_pmd_null_probe(): Initializing pmd_null for net_null0');
    expect(w.lines).toContain(
      'NULL: rte_pmd_null_probe(): Configure pmd_null: packet size is 128, packet copy is disabled',
    );
  });

  it('the default logger is pmd.net.null at NOTICE, so probing prints nothing', async () => {
    const w = inMemoryWorld();
    const driver = new NullDriver({ ports: w.ports });
    const bus = new VdevBus({ processType: 'primary', logger: quietLogger('bus.vdev', 'VDEV').logger });
    bus.registerDriver(driver);
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await bus.add('net_null5');
      expect(write).not.toHaveBeenCalled();
    } finally {
      write.mockRestore();
    }
  });
});
