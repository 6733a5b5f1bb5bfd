import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { LogRegistry } from '@eal-ts/log';
import { afterEach, describe, expect, it } from 'vitest';
import { EalError } from '@eal-ts/bus';
import { SYSFS_PCI_DEVICES, pciSysfsPath, scanSysfsPci } from '../src/index.js';
import { type FakeSysfs, makeFakeSysfs } from './fake_sysfs.js';

let sysfs: FakeSysfs | undefined;
afterEach(async () => {
  await sysfs?.cleanup();
  sysfs = undefined;
});

function capture(): { logger: ReturnType<LogRegistry['register']>; lines: string[] } {
  const lines: string[] = [];
  return { logger: new LogRegistry({ sink: (l) => lines.push(l) }).register('bus.pci', { prefix: 'PCI' }), lines };
}

describe('sysfs PCI scan (linux/pci.c rte_pci_scan)', () => {
  it('reads ids, class, NUMA node, kernel driver, IOMMU group and interfaces; sorts by address', async () => {
    sysfs = await makeFakeSysfs([
      { addr: '0000:00:04.0', device: '0x1041', driver: 'vfio-pci', iommuGroup: '7', numaNode: '1' },
      { addr: '0000:00:03.0', device: '0x1041', class: '0x020000', driver: 'virtio-pci', net: ['eth0'], netUnderVirtio: true },
      { addr: '0000:00:05.0', vendor: '0x8086', device: '0x10fb', numaNode: null, net: ['ens5', 'ens5d1'] },
    ]);
    const { devices, problems } = await scanSysfsPci({ sysfsDir: sysfs.devicesDir });
    expect(problems).toEqual([]);
    expect(devices.map((d) => d.name)).toEqual(['0000:00:03.0', '0000:00:04.0', '0000:00:05.0']);
    const [virtio, vfio, unbound] = devices;
    expect(virtio).toMatchObject({
      id: { vendorId: 0x1af4, deviceId: 0x1041, subsystemVendorId: 0x1af4, subsystemDeviceId: 1, classId: 0x020000 },
      kernelDriver: 'virtio-pci',
      kdrv: 'unknown',
      iommuGroup: null,
      interfaces: ['eth0'],
      numaNode: 0,
    });
    expect(vfio).toMatchObject({ kernelDriver: 'vfio-pci', kdrv: 'vfio', iommuGroup: '7', numaNode: 1 });
    expect(unbound).toMatchObject({ kernelDriver: null, kdrv: 'none', numaNode: -1, interfaces: ['ens5', 'ens5d1'] });
  });

  it('takes numa_node -1 as unknown', async () => {
    sysfs = await makeFakeSysfs([{ addr: '0000:00:03.0', numaNode: '-1' }]);
    expect((await scanSysfsPci({ sysfsDir: sysfs.devicesDir })).devices[0]?.numaNode).toBe(-1);
  });

  it('skips a device with a non-hex id, naming the file and its content, and keeps the others', async () => {
    sysfs = await makeFakeSysfs([{ addr: '0000:00:03.0', vendor: 'banana' }, { addr: '0000:00:04.0' }]);
    const { logger, lines } = capture();
    const { devices, problems } = await scanSysfsPci({ sysfsDir: sysfs.devicesDir, logger });
    expect(devices.map((d) => d.name)).toEqual(['0000:00:04.0']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ device: '0000:00:03.0', skipped: true, content: 'banana\n' });
    expect(problems[0]?.file).toMatch(/0000:00:03\.0\/vendor$/);
    expect(lines.join('\n')).toMatch(/skipping PCI device 0000:00:03\.0: bad content in .*vendor: "banana\\n"/);
  });

  it('skips a device with a missing id file', async () => {
    sysfs = await makeFakeSysfs([{ addr: '0000:00:03.0', subsystemDevice: null }, { addr: '0000:00:04.0' }]);
    const { devices, problems } = await scanSysfsPci({ sysfsDir: sysfs.devicesDir });
    expect(devices.map((d) => d.name)).toEqual(['0000:00:04.0']);
    expect(problems[0]?.message).toMatch(/cannot read .*subsystem_device/);
  });

  it('skips an id above 16 bits', async () => {
    sysfs = await makeFakeSysfs([{ addr: '0000:00:03.0', device: '0x10000' }]);
    expect((await scanSysfsPci({ sysfsDir: sysfs.devicesDir })).devices).toEqual([]);
  });

  it('keeps a device whose numa_node is garbage, with -1 and a warning', async () => {
    sysfs = await makeFakeSysfs([{ addr: '0000:00:03.0', numaNode: 'lots' }]);
    const { devices, problems } = await scanSysfsPci({ sysfsDir: sysfs.devicesDir });
    expect(devices[0]?.numaNode).toBe(-1);
    expect(problems[0]).toMatchObject({ skipped: false, content: 'lots\n' });
  });

  it('ignores entries that are not PCI addresses', async () => {
    sysfs = await makeFakeSysfs([{ addr: '0000:00:03.0' }, { addr: 'not-a-device' }]);
    expect((await scanSysfsPci({ sysfsDir: sysfs.devicesDir })).devices.map((d) => d.name)).toEqual(['0000:00:03.0']);
  });

  it('honours SYSFS_PCI_DEVICES, as DPDK does', async () => {
    sysfs = await makeFakeSysfs([{ addr: '0000:00:07.0' }]);
    expect(pciSysfsPath({ SYSFS_PCI_DEVICES: sysfs.devicesDir })).toBe(sysfs.devicesDir);
    expect(pciSysfsPath({})).toBe(SYSFS_PCI_DEVICES);
    const { devices } = await scanSysfsPci({ env: { SYSFS_PCI_DEVICES: sysfs.devicesDir } });
    expect(devices.map((d) => d.name)).toEqual(['0000:00:07.0']);
  });

  it('fails with ENOENT naming the directory when it does not exist', async () => {
    const err: unknown = await scanSysfsPci({ sysfsDir: '/nonexistent/pci/devices' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EalError);
    expect(err).toMatchObject({ code: 'ENOENT', errno: -2 });
    expect((err as Error).message).toContain('/nonexistent/pci/devices');
  });
});

const hasLspci = (() => {
  try {
    execFileSync('lspci', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const hasSysfs = existsSync(SYSFS_PCI_DEVICES);

describe('the real machine', () => {
  it.skipIf(!hasLspci || !hasSysfs)(
    hasLspci && hasSysfs
      ? 'a scan of /sys/bus/pci/devices finds what lspci -Dn lists (address, class, vendor, device)'
      : `a scan of /sys/bus/pci/devices finds what lspci -Dn lists — skipped: ${hasLspci ? '' : 'no lspci '}${hasSysfs ? '' : 'no /sys/bus/pci/devices'}`,
    async () => {
      const lspci = execFileSync('lspci', ['-Dn'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => {
          const m = /^(\S+) ([0-9a-f]{4}): ([0-9a-f]{4}):([0-9a-f]{4})/.exec(l);
          if (!m) throw new Error(`unexpected lspci line: ${l}`);
          return `${m[1]} ${m[2]} ${m[3]}:${m[4]}`;
        });
      const { devices, problems } = await scanSysfsPci({ sysfsDir: SYSFS_PCI_DEVICES });
      expect(problems.filter((p) => p.skipped)).toEqual([]);
      const ours = devices.map(
        (d) => `${d.name} ${(d.id.classId >> 8).toString(16).padStart(4, '0')} ${d.id.vendorId.toString(16).padStart(4, '0')}:${d.id.deviceId.toString(16).padStart(4, '0')}`,
      );
      // An empty list on both sides (a machine without PCI) is a valid answer too.
      expect(ours).toEqual(lspci);
    },
  );
});
