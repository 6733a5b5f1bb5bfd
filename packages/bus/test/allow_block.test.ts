import { describe, expect, it } from 'vitest';
import { EalError, localDevProbe } from '../src/index.js';
import { setup } from './helpers.js';

describe('allow (-a) and block (-b) lists', () => {
  it('cannot be mixed on one bus', () => {
    const { registry } = setup();
    registry.addDevargs('allowed', '0000:00:03.0');
    expect(() => registry.addDevargs('blocked', '0000:00:04.0')).toThrow(/cannot be mixed/);
    expect(() => registry.addDevargs('blocked', '0000:00:04.0')).toThrow(EalError);
  });

  it('may differ between buses', () => {
    const { registry } = setup();
    registry.addDevargs('allowed', '0000:00:03.0');
    expect(() => registry.addDevargs('blocked', 'net_null0')).not.toThrow();
  });

  it('with an allow list, bus probe only probes listed devices', async () => {
    const { registry, pci, pciDrv } = setup();
    pci.present = ['0000:00:03.0', '0000:00:04.0'];
    registry.addDevargs('allowed', '00:04.0');
    await registry.scan();
    const summary = await pci.probe();
    expect(summary).toEqual({ attempted: 1, probed: 1, failed: 0 });
    expect(pciDrv.calls).toEqual(['probe 0000:00:04.0']);
  });

  it('with a block list, every device but the blocked ones is probed', async () => {
    const { registry, pci, pciDrv } = setup();
    pci.present = ['0000:00:03.0', '0000:00:04.0'];
    registry.addDevargs('blocked', '0000:00:03.0');
    await registry.scan();
    await registry.probe();
    expect(pciDrv.calls).toEqual(['probe 0000:00:04.0']);
  });

  it('a blocked device is never probed, not even by hotplug (EPERM)', async () => {
    const { registry, pci, pciDrv } = setup();
    pci.present = ['0000:00:03.0'];
    registry.addDevargs('blocked', '0000:00:03.0');
    await expect(localDevProbe(registry, '0000:00:03.0')).rejects.toMatchObject({ code: 'EPERM', errno: -1 });
    expect(pciDrv.calls).toEqual([]);
  });

  it('devargs given with -a are attached to the device they name', async () => {
    const { registry, pci } = setup();
    pci.present = ['0000:00:03.0'];
    registry.addDevargs('allowed', '00:03.0,rxq=4');
    await registry.scan();
    const dev = pci.findDeviceByName('0000:00:03.0');
    expect(dev?.devargs?.args).toBe('rxq=4');
  });

  it('under an allow list a hotplugged device is probed, as DPDK inserts its devargs as allowed', async () => {
    const { registry, pci, pciDrv } = setup();
    pci.present = ['0000:00:03.0', '0000:00:04.0'];
    registry.addDevargs('allowed', '0000:00:03.0');
    const dev = await localDevProbe(registry, '0000:00:04.0');
    expect(dev.driver).toBe(pciDrv);
  });
});
