import { describe, expect, it } from 'vitest';
import {
  DevargsError,
  DeviceError,
  EalError,
  devIterate,
  findDeviceByDevargs,
  localDevProbe,
  localDevRemove,
  parseKvargs,
} from '../src/index.js';
import { setup } from './helpers.js';

describe('localDevProbe (DPDK local_dev_probe)', () => {
  it('parses, scans, finds and plugs the device; the driver sees its devargs', async () => {
    const { registry, vdev, null: drv } = setup();
    const dev = await localDevProbe(registry, 'net_null0,size=64');
    expect(dev.name).toBe('net_null0');
    expect(dev.driver).toBe(drv);
    expect(dev.devargs?.args).toBe('size=64');
    expect(vdev.isProbed(dev)).toBe(true);
    expect(drv.calls).toEqual(['probe net_null0']);
  });

  it('fails with EEXIST (-17) carrying the device when it is already probed', async () => {
    const { registry } = setup();
    const first = await localDevProbe(registry, 'net_null0');
    const err: unknown = await localDevProbe(registry, 'vdev:net_null0,').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect(err).toMatchObject({ code: 'EEXIST', errno: -17 });
    expect((err as DeviceError).device).toBe(first);
  });

  it('fails with ENODEV (-19) when the scan does not find the device', async () => {
    const { registry } = setup();
    await expect(localDevProbe(registry, '0000:00:09.0')).rejects.toMatchObject({ code: 'ENODEV', errno: -19 });
  });

  it('fails with the DevargsError for devargs no bus claims (EFAULT)', async () => {
    const { registry } = setup();
    await expect(localDevProbe(registry, 'net_unknown0')).rejects.toBeInstanceOf(DevargsError);
    await expect(localDevProbe(registry, 'net_unknown0')).rejects.toMatchObject({ errno: -14 });
  });

  it("passes a driver's failure on as an EalError and leaves nothing probed", async () => {
    const { registry, vdev, null: drv } = setup();
    drv.failProbe = new Error('no memory for queues');
    const err: unknown = await localDevProbe(registry, 'net_null0').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EalError);
    expect(err).toMatchObject({ code: 'EIO', errno: -5 });
    expect((err as Error).message).toContain('no memory for queues');
    const dev = vdev.findDeviceByName('net_null0')!;
    expect(vdev.isProbed(dev)).toBe(false);
    expect(dev.driver).toBeNull();
    drv.failProbe = null;
    await expect(localDevProbe(registry, 'net_null0')).resolves.toBe(dev);
  });

  it("keeps the errno of a driver's EalError", async () => {
    const { registry, null: drv } = setup();
    drv.failProbe = new EalError('EBUSY', 'device busy');
    await expect(localDevProbe(registry, 'net_null0')).rejects.toMatchObject({ code: 'EBUSY', errno: -16 });
  });

  it('a device no driver supports is ENOTSUP, as DPDK turns a positive plug result into -ENOTSUP', async () => {
    const { registry, pci, pciDrv } = setup();
    pci.unregisterDriver(pciDrv);
    pci.present = ['0000:00:03.0'];
    await expect(localDevProbe(registry, '0000:00:03.0')).rejects.toMatchObject({ code: 'ENOTSUP', errno: -95 });
  });
});

describe('localDevRemove (DPDK local_dev_remove)', () => {
  it("calls the driver's remove and takes the device off the bus", async () => {
    const { registry, vdev, null: drv } = setup();
    const dev = await localDevProbe(registry, 'net_null0');
    await localDevRemove(dev);
    expect(drv.calls).toEqual(['probe net_null0', 'remove net_null0']);
    expect(dev.driver).toBeNull();
    expect(vdev.findDeviceByName('net_null0')).toBeUndefined();
    // the hotplug devargs went with it, so a rescan does not bring it back
    await vdev.scan();
    expect(vdev.findDeviceByName('net_null0')).toBeUndefined();
  });

  it('fails with ENOENT (-2) when the device is not probed', async () => {
    const { registry, vdev, null: drv } = setup();
    drv.failProbe = new Error('nope');
    await localDevProbe(registry, 'net_null0').catch(() => undefined);
    const dev = vdev.findDeviceByName('net_null0')!;
    await expect(localDevRemove(dev)).rejects.toMatchObject({ code: 'ENOENT', errno: -2 });
  });

  it("a failing driver remove is reported and leaves the device probed", async () => {
    const { registry, null: drv } = setup();
    const dev = await localDevProbe(registry, 'net_null0');
    drv.failRemove = new Error('still in use');
    await expect(localDevRemove(dev)).rejects.toThrow(/still in use/);
    expect(dev.driver).toBe(drv);
  });

  it('a removed device can be probed again', async () => {
    const { registry } = setup();
    const dev = await localDevProbe(registry, 'net_null0');
    await localDevRemove(dev);
    const again = await localDevProbe(registry, 'net_null0');
    expect(again.driver).not.toBeNull();
  });
});

describe('finding devices', () => {
  it('findDeviceByDevargs accepts the detach form <bus>:<name>,', async () => {
    const { registry } = setup();
    const dev = await localDevProbe(registry, 'net_null0');
    expect(findDeviceByDevargs(registry, 'vdev:net_null0,')).toBe(dev);
    expect(findDeviceByDevargs(registry, 'net_null1')).toBeUndefined();
  });

  it('findDevice starts after the given device, like rte_bus find_device', async () => {
    const { registry, pci } = setup();
    pci.present = ['0000:00:03.0', '0000:00:04.0', '0000:00:05.0'];
    await registry.scan();
    const all = (): boolean => true;
    const first = pci.findDevice(null, all)!;
    expect(first.name).toBe('0000:00:03.0');
    expect(pci.findDevice(first, all)?.name).toBe('0000:00:04.0');
    expect(pci.findDevice(pci.findDeviceByName('0000:00:05.0')!, all)).toBeUndefined();
  });

  it('devIterate filters by bus= layer and by a registered class', async () => {
    const { registry, pci } = setup();
    pci.present = ['0000:00:03.0', '0000:00:04.0'];
    await localDevProbe(registry, 'net_null0');
    await registry.scan();
    expect(devIterate(registry, 'bus=pci').map((d) => d.name)).toEqual(['0000:00:03.0', '0000:00:04.0']);
    expect(devIterate(registry, 'bus=vdev,name=net_null0').map((d) => d.name)).toEqual(['net_null0']);
    registry.registerClass({ name: 'eth', matches: (dev, args) => dev.driver !== null && (args.get('name') ?? dev.name) === dev.name });
    expect(devIterate(registry, 'class=eth').map((d) => d.name)).toEqual(['net_null0']);
    expect(() => devIterate(registry, 'class=crypto')).toThrow(/unknown device class 'crypto'/);
    expect(() => devIterate(registry, 'bus=pci,bogus=1')).toThrow(/unknown key 'bogus'/);
    expect(parseKvargs('name=x').get('name')).toBe('x');
  });
});

describe('bus registry', () => {
  it('finds buses by name and by device name; refuses a second bus of one name', () => {
    const { registry, pci, vdev } = setup();
    expect(registry.findByName('pci')).toBe(pci);
    expect(registry.findByDeviceName('0000:00:03.0,x=1')).toBe(pci);
    expect(registry.findByDeviceName('net_ring0')).toBe(vdev);
    expect(registry.findByDeviceName('nothing')).toBeUndefined();
    expect(() => registry.register(pci)).toThrow(/already registered/);
  });
});
