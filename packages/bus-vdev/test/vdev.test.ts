import { BusRegistry, DevargsError, DeviceError, localDevProbe, localDevRemove, parseDevargs } from '@eal-ts/bus';
import { describe, expect, it } from 'vitest';
import { VdevBus, type VdevDevice } from '../src/index.js';
import { RecordingDriver, quietLogger } from './helpers.js';

function setup() {
  const { logger, lines } = quietLogger();
  const registry = new BusRegistry({ logger: quietLogger('lib.eal', 'EAL').logger });
  const vdev = new VdevBus({ logger });
  registry.register(vdev);
  const nullDrv = new RecordingDriver('net_null', ['eth_null']);
  const ring = new RecordingDriver('net_ring');
  vdev.registerDriver(nullDrv);
  vdev.registerDriver(ring);
  return { registry, vdev, null: nullDrv, ring, lines };
}

const names = (bus: VdevBus): string[] => bus.devices().map((d) => d.name);

describe('VdevBus.parse (vdev_parse)', () => {
  it('claims names that start with a registered driver name', () => {
    const { vdev } = setup();
    expect(vdev.parse('net_null0')).toBe('net_null0');
    expect(vdev.parse('net_ring_x')).toBe('net_ring_x');
    expect(vdev.parse('net_null')).toBe('net_null');
  });

  it('claims names that start with a driver alias', () => {
    const { vdev, null: drv } = setup();
    expect(vdev.parse('eth_null3')).toBe('eth_null3');
    expect(vdev.findDriver('eth_null3')).toBe(drv);
  });

  it('does not claim names no driver starts, nor the empty name', () => {
    const { vdev } = setup();
    expect(vdev.parse('net_bogus0')).toBeUndefined();
    expect(vdev.parse('0000:00:03.0')).toBeUndefined();
    expect(vdev.parse('')).toBeUndefined();
  });

  it('makes parseDevargs route vdev names (with and without the vdev: prefix) to this bus', () => {
    const { registry } = setup();
    expect(parseDevargs(registry, 'net_null0,size=64')).toMatchObject({ bus: 'vdev', name: 'net_null0', args: 'size=64' });
    expect(parseDevargs(registry, 'vdev:net_null0,')).toMatchObject({ bus: 'vdev', name: 'net_null0', args: '' });
    expect(() => parseDevargs(registry, 'net_bogus0')).toThrow(DevargsError);
  });

  it('picks the driver whose name equals the device name before a prefix match, then the first registered prefix', () => {
    const { vdev, null: nullDrv } = setup();
    const longer = new RecordingDriver('net_null_x');
    vdev.registerDriver(longer);
    expect(vdev.findDriver('net_null_x')).toBe(longer);
    expect(vdev.findDriver('net_null_x0')).toBe(nullDrv);
    expect(vdev.findDriver('net_null0')).toBe(nullDrv);
  });

  it('refuses a driver with an empty name or alias (EINVAL) and a second driver of one name (EEXIST)', () => {
    const { vdev } = setup();
    expect(() => vdev.registerDriver(new RecordingDriver(''))).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => vdev.registerDriver(new RecordingDriver('net_x', ['']))).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => vdev.registerDriver(new RecordingDriver('net_null'))).toThrow(expect.objectContaining({ code: 'EEXIST' }));
  });
});

describe('VdevBus.scan (vdev_scan) from --vdev devargs', () => {
  it('creates one device per --vdev argument, in order, carrying its arguments', async () => {
    const { vdev } = setup();
    vdev.addVdevArg('net_null0,size=64,copy=1');
    vdev.addVdevArg('vdev:net_ring0');
    vdev.addVdevArg('eth_null1');
    await vdev.scan();
    expect(names(vdev)).toEqual(['net_null0', 'net_ring0', 'eth_null1']);
    expect(vdev.findDeviceByName('net_null0')?.args).toBe('size=64,copy=1');
    expect(vdev.findDeviceByName('net_null0')?.kvargs().getInt('size')).toBe(64);
    expect(vdev.findDeviceByName('net_ring0')?.args).toBe('');
  });

  it('accepts the layered form bus=vdev,name=…', async () => {
    const { vdev } = setup();
    vdev.addVdevArg('bus=vdev,name=net_null5');
    await vdev.scan();
    expect(names(vdev)).toEqual(['net_null5']);
  });

  it('refuses a --vdev argument no driver claims (EFAULT, as DPDK)', () => {
    const { vdev } = setup();
    expect(() => vdev.addVdevArg('net_bogus0')).toThrow(expect.objectContaining({ code: 'EFAULT' }));
  });

  it('a later --vdev for the same name replaces the earlier arguments', async () => {
    const { vdev } = setup();
    vdev.addVdevArg('net_null0,size=64');
    vdev.addVdevArg('net_null0,size=128');
    await vdev.scan();
    expect(names(vdev)).toEqual(['net_null0']);
    expect(vdev.findDeviceByName('net_null0')?.args).toBe('size=128');
  });

  it('keeps known devices on a rescan, probed ones untouched', async () => {
    const { vdev } = setup();
    vdev.addVdevArg('net_null0');
    await vdev.scan();
    const dev = vdev.findDeviceByName('net_null0')!;
    await vdev.probe();
    await vdev.scan();
    expect(vdev.findDeviceByName('net_null0')).toBe(dev);
    expect(vdev.devices()).toHaveLength(1);
  });

  it('works without an mp channel, whatever the process type', async () => {
    const { logger } = quietLogger();
    const secondary = new VdevBus({ logger, processType: 'secondary' });
    secondary.registerDriver(new RecordingDriver('net_null'));
    secondary.addVdevArg('net_null0');
    await secondary.scan();
    expect(names(secondary)).toEqual(['net_null0']);
    expect(secondary.mpRegistered).toBe(false);
  });
});

describe('VdevBus probe (vdev_probe_all_drivers)', () => {
  it('bus probe plugs every device with the driver its name selects', async () => {
    const { vdev, null: nullDrv, ring } = setup();
    vdev.addVdevArg('net_null0,size=64');
    vdev.addVdevArg('eth_null1');
    vdev.addVdevArg('net_ring0');
    await vdev.scan();
    expect(await vdev.probe()).toEqual({ attempted: 3, probed: 3, failed: 0 });
    expect(nullDrv.calls).toEqual(['probe net_null0', 'probe eth_null1']);
    expect(nullDrv.probedArgs.get('net_null0')).toBe('size=64');
    expect(ring.calls).toEqual(['probe net_ring0']);
    expect(vdev.findDeviceByName('eth_null1')?.driver).toBe(nullDrv);
  });

  it('probing a probed device again fails with EEXIST (-17); bus probe skips it', async () => {
    const { vdev, null: nullDrv } = setup();
    vdev.addVdevArg('net_null0');
    await vdev.scan();
    const dev = vdev.findDeviceByName('net_null0')!;
    await vdev.plug(dev);
    await expect(vdev.plug(dev)).rejects.toMatchObject({ code: 'EEXIST', errno: -17 });
    expect(await vdev.probe()).toEqual({ attempted: 0, probed: 0, failed: 0 });
    expect(nullDrv.calls).toEqual(['probe net_null0']);
  });

  it('a driver failure leaves the device unprobed and is counted by bus probe', async () => {
    const { vdev, null: nullDrv, lines } = setup();
    nullDrv.failProbe = Object.assign(new Error('no memory'), { code: 'ENOMEM' });
    vdev.addVdevArg('net_null0');
    await vdev.scan();
    expect(await vdev.probe()).toEqual({ attempted: 1, probed: 0, failed: 1 });
    expect(vdev.findDeviceByName('net_null0')?.driver).toBeNull();
    expect(lines.some((l) => l.includes('net_null0') && l.includes('no memory'))).toBe(true);
  });

  it('refuses arguments outside the driver validKeys with EINVAL before probe runs', async () => {
    const { vdev } = setup();
    const strict = new RecordingDriver('net_strict', [], ['size']);
    vdev.registerDriver(strict);
    await expect(vdev.add('net_strict0', 'size=64,bogus=1')).rejects.toMatchObject({ code: 'EINVAL', errno: -22 });
    expect(strict.calls).toEqual([]);
    expect(vdev.findDeviceByName('net_strict0')).toBeUndefined();
    await vdev.add('net_strict0', 'size=64');
    expect(strict.calls).toEqual(['probe net_strict0']);
  });

  it('works through the EAL-level localDevProbe / localDevRemove', async () => {
    const { registry, vdev, null: nullDrv } = setup();
    const dev = await localDevProbe(registry, 'net_null0,size=64');
    expect(dev.driver).toBe(nullDrv);
    expect((dev as VdevDevice).args).toBe('size=64');
    const again: unknown = await localDevProbe(registry, 'vdev:net_null0,').catch((e: unknown) => e);
    expect(again).toBeInstanceOf(DeviceError);
    expect(again).toMatchObject({ code: 'EEXIST', errno: -17 });
    await localDevRemove(dev);
    expect(vdev.devices()).toHaveLength(0);
    expect(vdev.devargs.find('net_null0')).toBeUndefined();
    expect(nullDrv.calls).toEqual(['probe net_null0', 'remove net_null0']);
  });
});

describe('VdevBus.add / remove at run time (rte_vdev_init / rte_vdev_uninit)', () => {
  it('add creates, lists and probes the device with its arguments', async () => {
    const { vdev, null: nullDrv } = setup();
    const dev = await vdev.add('net_null0', 'size=64');
    expect(dev.driver).toBe(nullDrv);
    expect(dev.args).toBe('size=64');
    expect(vdev.devargs.find('net_null0')?.devargs.args).toBe('size=64');
    expect(names(vdev)).toEqual(['net_null0']);
  });

  it('add of a name already known fails with EEXIST, probed or not, even with new arguments', async () => {
    const { vdev } = setup();
    await vdev.add('net_null0');
    await expect(vdev.add('net_null0', 'size=1')).rejects.toMatchObject({ code: 'EEXIST', errno: -17 });
    vdev.addVdevArg('net_null1');
    await vdev.scan();
    await expect(vdev.add('net_null1')).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('add of a name no driver claims fails with ENODEV (-19) and leaves nothing', async () => {
    const { vdev, lines } = setup();
    await expect(vdev.add('net_bogus0')).rejects.toMatchObject({ code: 'ENODEV', errno: -19 });
    expect(vdev.devices()).toHaveLength(0);
    expect(vdev.devargs.entries()).toHaveLength(0);
    expect(lines).toContain('VDEV: no driver found for net_bogus0');
  });

  it('add with an empty or 64-byte name fails with EINVAL', async () => {
    const { vdev } = setup();
    await expect(vdev.add('')).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(vdev.add(`net_null${'x'.repeat(56)}`)).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('a failing probe in add removes the device and its devargs again', async () => {
    const { vdev, null: nullDrv } = setup();
    nullDrv.failProbe = new Error('boom');
    await expect(vdev.add('net_null0', 'size=64')).rejects.toMatchObject({ code: 'EIO' });
    expect(vdev.devices()).toHaveLength(0);
    expect(vdev.devargs.find('net_null0')).toBeUndefined();
  });

  it('remove calls the driver and drops the device and its devargs, so a rescan does not bring it back', async () => {
    const { vdev, null: nullDrv } = setup();
    vdev.addVdevArg('net_null0');
    await vdev.scan();
    await vdev.probe();
    expect(await vdev.remove('net_null0')).toBe(true);
    expect(nullDrv.calls).toEqual(['probe net_null0', 'remove net_null0']);
    await vdev.scan();
    expect(vdev.devices()).toHaveLength(0);
  });

  it('remove of an unknown name fails with ENOENT (-2)', async () => {
    const { vdev } = setup();
    await expect(vdev.remove('net_null9')).rejects.toMatchObject({ code: 'ENOENT', errno: -2 });
  });

  it('remove of a known but unprobed device resolves false and leaves it (DPDK returns 1)', async () => {
    const { vdev } = setup();
    vdev.addVdevArg('net_null0');
    await vdev.scan();
    expect(await vdev.remove('net_null0')).toBe(false);
    expect(names(vdev)).toEqual(['net_null0']);
  });

  it('a failing driver remove is thrown and leaves the device probed', async () => {
    const { vdev, null: nullDrv } = setup();
    const dev = await vdev.add('net_null0');
    nullDrv.failRemove = Object.assign(new Error('busy'), { code: 'EBUSY' });
    await expect(vdev.remove('net_null0')).rejects.toMatchObject({ code: 'EBUSY', errno: -16 });
    expect(dev.driver).toBe(nullDrv);
    expect(names(vdev)).toEqual(['net_null0']);
  });

  it('cleanup removes every probed device through its driver and empties the list', async () => {
    const { vdev, null: nullDrv, ring } = setup();
    await vdev.add('net_null0');
    await vdev.add('net_ring0');
    vdev.addVdevArg('net_null1');
    await vdev.scan();
    await vdev.cleanup();
    expect(vdev.devices()).toHaveLength(0);
    expect(nullDrv.calls).toEqual(['probe net_null0', 'remove net_null0']);
    expect(ring.calls).toEqual(['probe net_ring0', 'remove net_ring0']);
  });
});

describe('custom scan callbacks (rte_vdev_add_custom_scan)', () => {
  it('run at the start of every scan and may add devargs that the same scan turns into devices', async () => {
    const { vdev } = setup();
    const order: string[] = [];
    let n = 0;
    vdev.addCustomScan((bus) => {
      order.push(`callback sees ${bus.devices().length} devices`);
      bus.addVdevArg(`net_ring${n++}`);
    });
    vdev.addVdevArg('net_null0');
    await vdev.scan();
    expect(order).toEqual(['callback sees 0 devices']);
    expect(names(vdev)).toEqual(['net_null0', 'net_ring0']);
    await vdev.scan();
    expect(order).toEqual(['callback sees 0 devices', 'callback sees 2 devices']);
    expect(names(vdev)).toEqual(['net_null0', 'net_ring0', 'net_ring1']);
  });

  it('are registered once per callback and no longer run once removed', async () => {
    const { vdev } = setup();
    let calls = 0;
    const callback = (): void => void calls++;
    expect(vdev.addCustomScan(callback)).toBe(true);
    expect(vdev.addCustomScan(callback)).toBe(false);
    await vdev.scan();
    expect(calls).toBe(1);
    expect(vdev.removeCustomScan(callback)).toBe(true);
    expect(vdev.removeCustomScan(callback)).toBe(false);
    await vdev.scan();
    expect(calls).toBe(1);
  });

  it('a failing callback is logged and the scan goes on', async () => {
    const { vdev, lines } = setup();
    vdev.addCustomScan(() => Promise.reject(new Error('callback broke')));
    vdev.addVdevArg('net_null0');
    await vdev.scan();
    expect(names(vdev)).toEqual(['net_null0']);
    expect(lines.some((l) => l.includes('callback broke'))).toBe(true);
  });
});

describe('allow (-a) and block (-b) lists on the vdev bus', () => {
  /** The set-up with `listed` on the allow or block list and `vdevArg` given as --vdev, scanned. */
  async function scanned(policy: 'allowed' | 'blocked', listed: string, vdevArg: string): Promise<ReturnType<typeof setup>> {
    const world = setup();
    world.registry.addDevargs(policy, listed);
    world.vdev.addVdevArg(vdevArg);
    await world.vdev.scan();
    return world;
  }

  it('a blocked vdev is listed but never probed, by bus probe or by hotplug (EPERM)', async () => {
    const { registry, vdev, null: nullDrv } = await scanned('blocked', 'net_null0', 'net_null1');
    expect(await vdev.probe()).toEqual({ attempted: 1, probed: 1, failed: 0 });
    expect(nullDrv.calls).toEqual(['probe net_null1']);
    await expect(localDevProbe(registry, 'net_null0')).rejects.toMatchObject({ code: 'EPERM', errno: -1 });
    await expect(vdev.add('net_null2')).resolves.toBeDefined();
    expect(nullDrv.calls).toEqual(['probe net_null1', 'probe net_null2']);
  });

  it('a --vdev of a blocked name stays blocked', async () => {
    const { vdev, null: nullDrv } = await scanned('blocked', 'net_null0', 'net_null0,size=64');
    await vdev.probe();
    expect(nullDrv.calls).toEqual([]);
  });

  it('with an allow list only allowed and --vdev devices are probed', async () => {
    const { vdev, null: nullDrv } = await scanned('allowed', 'net_null0', 'net_null1');
    expect(await vdev.probe()).toEqual({ attempted: 2, probed: 2, failed: 0 });
    expect(nullDrv.calls).toEqual(['probe net_null0', 'probe net_null1']);
  });
});
