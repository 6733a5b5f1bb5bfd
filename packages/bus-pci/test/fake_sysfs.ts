import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakePciDevice {
  readonly addr: string;
  readonly vendor?: string | null;
  readonly device?: string | null;
  readonly subsystemVendor?: string | null;
  readonly subsystemDevice?: string | null;
  readonly class?: string | null;
  /** numa_node content; null: no file. */
  readonly numaNode?: string | null;
  readonly driver?: string | null;
  readonly iommuGroup?: string | null;
  readonly net?: readonly string[];
  /** Put net/ under virtio0/, as a virtio NIC has it. */
  readonly netUnderVirtio?: boolean;
}

export interface FakeSysfs {
  readonly root: string;
  readonly devicesDir: string;
  cleanup(): Promise<void>;
}

/**
 * A sysfs tree in a temp dir: <root>/bus/pci/devices/<addr>/{vendor,…},
 * `driver` linking to <root>/bus/pci/drivers/<name>, `iommu_group` to
 * <root>/kernel/iommu_groups/<n> — relative links, as the kernel makes them.
 */
export async function makeFakeSysfs(devices: readonly FakePciDevice[], drivers: readonly string[] = []): Promise<FakeSysfs> {
  const root = await mkdtemp(join(tmpdir(), 'eal-ts-sysfs-'));
  const devicesDir = join(root, 'bus/pci/devices');
  const driversDir = join(root, 'bus/pci/drivers');
  await mkdir(devicesDir, { recursive: true });
  await mkdir(driversDir, { recursive: true });
  for (const d of drivers) await mkdir(join(driversDir, d), { recursive: true });
  for (const dev of devices) {
    const dir = join(devicesDir, dev.addr);
    await mkdir(dir);
    const files: [string, string | null | undefined, string][] = [
      ['vendor', dev.vendor, '0x1af4'],
      ['device', dev.device, '0x1000'],
      ['subsystem_vendor', dev.subsystemVendor, '0x1af4'],
      ['subsystem_device', dev.subsystemDevice, '0x0001'],
      ['class', dev.class, '0x020000'],
      ['numa_node', dev.numaNode, '0'],
    ];
    for (const [file, value, fallback] of files) {
      if (value === null) continue;
      await writeFile(join(dir, file), `${value ?? fallback}\n`);
    }
    if (dev.driver) {
      await mkdir(join(driversDir, dev.driver), { recursive: true });
      await symlink(`../../drivers/${dev.driver}`, join(dir, 'driver'));
    }
    if (dev.iommuGroup) {
      await mkdir(join(root, 'kernel/iommu_groups', dev.iommuGroup), { recursive: true });
      await symlink(`../../../../kernel/iommu_groups/${dev.iommuGroup}`, join(dir, 'iommu_group'));
    }
    if (dev.net && dev.net.length > 0) {
      const netDir = dev.netUnderVirtio ? join(dir, 'virtio0', 'net') : join(dir, 'net');
      for (const ifname of dev.net) await mkdir(join(netDir, ifname), { recursive: true });
    }
  }
  return { root, devicesDir, cleanup: () => rm(root, { recursive: true, force: true }) };
}
