import { BusRegistry, DeviceError, localDevProbe, localDevRemove, parseDevargs, parseKvargs } from '@eal-ts/bus';
import { LogRegistry } from '@eal-ts/log';
import { afterEach, describe, expect, it } from 'vitest';
import { PciBus, type PciDevice, type PciDriver, type PciIdMatch, RTE_PCI_ANY_ID, pciMatch } from '../src/index.js';
import { type FakeSysfs, makeFakeSysfs } from './fake_sysfs.js';

const quiet = (): LogRegistry => new LogRegistry({ sink: () => undefined });

class TestPciDriver implements PciDriver {
  readonly calls: string[] = [];
  fail: Error | null = null;

  constructor(
    readonly name: string,
    readonly idTable: readonly PciIdMatch[],
    readonly needsMapping = false,
  ) {}

  probe(dev: PciDevice): Promise<void> {
    this.calls.push(`probe ${dev.name}`);
    return this.fail ? Promise.reject(this.fail) : Promise.resolve();
  }

  remove(dev: PciDevice): Promise<void> {
    this.calls.push(`remove ${dev.name}`);
    return Promise.resolve();
  }
}

let sysfs: FakeSysfs | undefined;
afterEach(async () => {
  await sysfs?.cleanup();
  sysfs = undefined;
});

async function setup(): Promise<{ registry: BusRegistry; pci: PciBus; virtio: TestPciDriver }> {
  sysfs = await makeFakeSysfs([
    { addr: '0000:00:03.0', device: '0x1041', driver: 'virtio-pci', net: ['eth0'] },
    { addr: '0000:00:04.0', device: '0x1041', driver: 'vfio-pci', iommuGroup: '4' },
    { addr: '0000:00:05.0', vendor: '0x8086', device: '0x10fb', class: '0x020000' },
  ]);
  const logs = quiet();
  const registry = new BusRegistry({ logger: logs.register('lib.eal') });
  const pci = new PciBus({ sysfsDir: sysfs.devicesDir, logger: logs.register('bus.pci') });
  registry.register(pci);
  const virtio = new TestPciDriver('net_virtio_test', [{ vendorId: 0x1af4, deviceId: 0x1041 }]);
  pci.registerDriver(virtio);
  return { registry, pci, virtio };
}

describe('PCI id tables (rte_pci_match)', () => {
  const id = { vendorId: 0x8086, deviceId: 0x10fb, subsystemVendorId: 0x8086, subsystemDeviceId: 0x000c, classId: 0x020000 };

  it('matches exact vendor and device', () => {
    expect(pciMatch([{ vendorId: 0x8086, deviceId: 0x10fb }], id)).toBe(true);
    expect(pciMatch([{ vendorId: 0x8086, deviceId: 0x10fc }], id)).toBe(false);
  });

  it('treats RTE_PCI_ANY_ID (0xffff) as a wildcard in every id field', () => {
    expect(pciMatch([{ vendorId: 0x8086, deviceId: RTE_PCI_ANY_ID }], id)).toBe(true);
    expect(pciMatch([{ vendorId: RTE_PCI_ANY_ID, deviceId: RTE_PCI_ANY_ID, subsystemDeviceId: 0x000c }], id)).toBe(true);
    expect(pciMatch([{ vendorId: RTE_PCI_ANY_ID, deviceId: RTE_PCI_ANY_ID, subsystemDeviceId: 0x000d }], id)).toBe(false);
  });

  it('matches on class when the table gives one', () => {
    expect(pciMatch([{ vendorId: RTE_PCI_ANY_ID, deviceId: RTE_PCI_ANY_ID, classId: 0x020000 }], id)).toBe(true);
    expect(pciMatch([{ vendorId: RTE_PCI_ANY_ID, deviceId: RTE_PCI_ANY_ID, classId: 0x010000 }], id)).toBe(false);
  });
});

describe('PciBus', () => {
  it('scans sysfs into devices sorted by address, with their ids and kernel driver', async () => {
    const { pci } = await setup();
    await pci.scan();
    expect(pci.devices().map((d) => [d.name, d.kernelDriver, d.iommuGroup])).toEqual([
      ['0000:00:03.0', 'virtio-pci', null],
      ['0000:00:04.0', 'vfio-pci', '4'],
      ['0000:00:05.0', null, null],
    ]);
  });

  it('claims PCI addresses and normalizes BB:DD.F to 0000:BB:DD.F', async () => {
    const { pci, registry } = await setup();
    expect(pci.parse('03:00.1')).toBe('0000:03:00.1');
    expect(pci.parse('net_null0')).toBeUndefined();
    expect(parseDevargs(registry, 'pci:00:03.0,x=1')).toMatchObject({ bus: 'pci', name: '0000:00:03.0', args: 'x=1' });
    expect(parseDevargs(registry, 'bus=pci,addr=00:04.0/class=eth')).toMatchObject({ name: '0000:00:04.0' });
  });

  it('probe plugs every matching device and skips those no driver matches', async () => {
    const { registry, pci, virtio } = await setup();
    await registry.scan();
    expect(await pci.probe()).toEqual({ attempted: 2, probed: 2, failed: 0 });
    expect(virtio.calls).toEqual(['probe 0000:00:03.0', 'probe 0000:00:04.0']);
  });

  it.each([
    ['block', 'blocked', '00:03.0'],
    ['allow', 'allowed', '0000:00:04.0,rxq=2'],
  ] as const)('probe honours the %s list', async (_list, policy, devargs) => {
    const { registry, virtio } = await setup();
    registry.addDevargs(policy, devargs);
    await registry.scan();
    await registry.probe();
    expect(virtio.calls).toEqual(['probe 0000:00:04.0']);
  });

  it('a driver needing mapping only takes devices bound to vfio-pci, igb_uio or uio_pci_generic', async () => {
    const { registry, pci } = await setup();
    const pmd = new TestPciDriver('net_mapped', [{ vendorId: 0x1af4, deviceId: RTE_PCI_ANY_ID }], true);
    pci.unregisterDriver(pci.drivers()[0]!);
    pci.registerDriver(pmd);
    const dev = await localDevProbe(registry, '0000:00:04.0');
    expect(dev.driver).toBe(pmd);
    const err: unknown = await localDevProbe(registry, '0000:00:03.0').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENOTSUP', errno: -95 });
    expect((err as Error).message).toContain("held by kernel driver 'virtio-pci'");
    expect((err as Error).message).toContain('vfio-pci, igb_uio, uio_pci_generic');
    expect(pmd.calls).toEqual(['probe 0000:00:04.0']);
  });

  it('hotplug: localDevProbe with a short address, EEXIST on the second attach, remove then attach again', async () => {
    const { registry, pci, virtio } = await setup();
    const dev = await localDevProbe(registry, '00:03.0,rxq=4');
    expect(dev.name).toBe('0000:00:03.0');
    expect(dev.devargs?.args).toBe('rxq=4');
    const again: unknown = await localDevProbe(registry, 'pci:0000:00:03.0,').catch((e: unknown) => e);
    expect(again).toBeInstanceOf(DeviceError);
    expect(again).toMatchObject({ code: 'EEXIST', errno: -17 });
    await localDevRemove(dev);
    expect(pci.findDeviceByName('0000:00:03.0')).toBeUndefined();
    await expect(localDevRemove(dev)).rejects.toMatchObject({ code: 'ENOENT' });
    const back = await localDevProbe(registry, '0000:00:03.0');
    expect(back.driver).toBe(virtio);
  });

  it('ENODEV for an address sysfs does not have', async () => {
    const { registry } = await setup();
    await expect(localDevProbe(registry, '0000:00:1f.0')).rejects.toMatchObject({ code: 'ENODEV', errno: -19 });
  });

  it("a driver's failure leaves the device unprobed", async () => {
    const { registry, pci, virtio } = await setup();
    virtio.fail = new Error('BAR 0 too small');
    await expect(localDevProbe(registry, '0000:00:03.0')).rejects.toThrow(/BAR 0 too small/);
    expect(pci.isProbed(pci.findDeviceByName('0000:00:03.0')!)).toBe(false);
  });

  it('iterates with an addr= filter, compared as an address', async () => {
    const { pci } = await setup();
    await pci.scan();
    expect([...pci.iterate(parseKvargs('addr=00:04.0'))].map((d) => d.name)).toEqual(['0000:00:04.0']);
  });

  it('refuses a driver with an empty id table', async () => {
    const { pci } = await setup();
    expect(() => pci.registerDriver(new TestPciDriver('empty', []))).toThrow(/empty id table/);
  });
});
