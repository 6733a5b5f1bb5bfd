import { readFile, readdir, readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { EalError, SOCKET_ID_ANY } from '@eal-ts/bus';
import { errnoNameOf } from '@eal-ts/errno';
import type { Logger } from '@eal-ts/log';
import { type PciAddr, comparePciAddr, formatPciAddr, tryParsePciAddr } from '../pci_addr.js';

/** DPDK's default, overridden by the SYSFS_PCI_DEVICES environment variable. */
export const SYSFS_PCI_DEVICES = '/sys/bus/pci/devices';

/** rte_pci_get_sysfs_path: `$SYSFS_PCI_DEVICES`, else /sys/bus/pci/devices. */
export function pciSysfsPath(env: NodeJS.ProcessEnv = process.env): string {
  const path = env['SYSFS_PCI_DEVICES'];
  return path !== undefined && path !== '' ? path : SYSFS_PCI_DEVICES;
}

/** struct rte_pci_id. */
export interface PciId {
  readonly vendorId: number;
  readonly deviceId: number;
  readonly subsystemVendorId: number;
  readonly subsystemDeviceId: number;
  /** 24-bit class code (base class, subclass, prog-if). */
  readonly classId: number;
}

/** enum rte_pci_kernel_driver, from the name of the bound kernel driver. */
export type PciKernelDriverKind = 'vfio' | 'igb_uio' | 'uio_generic' | 'nic_uio' | 'unknown' | 'none';

export function kernelDriverKind(driver: string | null): PciKernelDriverKind {
  switch (driver) {
    case null:
      return 'none';
    case 'vfio-pci':
      return 'vfio';
    case 'igb_uio':
      return 'igb_uio';
    case 'uio_pci_generic':
      return 'uio_generic';
    case 'nic_uio':
      return 'nic_uio';
    default:
      return 'unknown';
  }
}

/** What a sysfs scan learns about one PCI function. */
export interface SysfsPciDevice {
  readonly addr: PciAddr;
  /** Canonical name, `DDDD:BB:DD.F`. */
  readonly name: string;
  readonly id: PciId;
  /** -1 (SOCKET_ID_ANY) when sysfs has no numa_node or says -1. */
  readonly numaNode: number;
  /** Basename of the `driver` link; null when no kernel driver is bound. */
  readonly kernelDriver: string | null;
  readonly kdrv: PciKernelDriverKind;
  /** Basename of the `iommu_group` link; null without one. */
  readonly iommuGroup: string | null;
  /** Network interfaces under `net/`, sorted. */
  readonly interfaces: readonly string[];
  readonly sysfsPath: string;
}

/** A device the scan had to skip (or a value it had to guess), and why. */
export interface PciScanProblem {
  readonly device: string;
  readonly file: string;
  readonly content: string | null;
  readonly message: string;
  readonly skipped: boolean;
}

export interface PciScanResult {
  readonly devices: SysfsPciDevice[];
  readonly problems: PciScanProblem[];
}

export interface PciScanOptions {
  /** The devices directory; defaults to pciSysfsPath(env). */
  readonly sysfsDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly logger?: Logger;
}

/** A device whose sysfs files cannot be used: skipped, and its problem reported. */
class SkipDevice extends EalError {
  constructor(readonly problem: PciScanProblem) {
    super('EIO', problem.message);
  }
}

function isMissing(err: unknown): boolean {
  const code = errnoNameOf(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function readHexFile(dir: string, device: string, file: string, max: number): Promise<number> {
  const path = join(dir, file);
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (err) {
    throw new SkipDevice({
      device,
      file: path,
      content: null,
      message: `cannot read ${path}: ${(err as Error).message}`,
      skipped: true,
    });
  }
  const text = content.trim();
  const value = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text.slice(2), 16) : Number.NaN;
  if (!(value <= max)) {
    throw new SkipDevice({
      device,
      file: path,
      content,
      message: `bad content in ${path}: ${JSON.stringify(content)} is not a hexadecimal id 0x0..0x${max.toString(16)}`,
      skipped: true,
    });
  }
  return value;
}

async function readLinkBase(path: string): Promise<string | null> {
  try {
    return basename(await readlink(path));
  } catch (err) {
    if (isMissing(err) || errnoNameOf(err) === 'EINVAL') return null;
    throw err;
  }
}

/**
 * Network interface names: the first `net/` directory under the device,
 * searched breadth-first through real directories only, since a virtio NIC
 * keeps it one level down (`virtio2/net/eth0`); dpdk-devbind.py walks the
 * tree the same way.
 */
async function findInterfaces(path: string, depth = 3): Promise<string[]> {
  let level = [path];
  for (let d = 0; d < depth && level.length > 0; d++) {
    const next: string[] = [];
    for (const dir of level) {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (isMissing(err)) continue;
        throw err;
      }
      const net = entries.find((e) => e.name === 'net' && e.isDirectory());
      if (net) return (await readdir(join(dir, 'net'))).sort();
      for (const e of entries) if (e.isDirectory()) next.push(join(dir, e.name));
    }
    level = next;
  }
  return [];
}

async function scanOne(dir: string, name: string, addr: PciAddr, problems: PciScanProblem[]): Promise<SysfsPciDevice> {
  const path = join(dir, name);
  const canonical = formatPciAddr(addr);
  const id: PciId = {
    vendorId: await readHexFile(path, canonical, 'vendor', 0xffff),
    deviceId: await readHexFile(path, canonical, 'device', 0xffff),
    subsystemVendorId: await readHexFile(path, canonical, 'subsystem_vendor', 0xffff),
    subsystemDeviceId: await readHexFile(path, canonical, 'subsystem_device', 0xffff),
    // DPDK keeps the low 24 bits (RTE_CLASS_ANY_ID mask) of the class file.
    classId: (await readHexFile(path, canonical, 'class', 0xffffffff)) & 0xffffff,
  };
  let numaNode = SOCKET_ID_ANY;
  const numaPath = join(path, 'numa_node');
  try {
    const content = await readFile(numaPath, 'utf8');
    if (/^-?\d+$/.test(content.trim())) numaNode = Math.max(Number(content.trim()), SOCKET_ID_ANY);
    else {
      problems.push({
        device: canonical,
        file: numaPath,
        content,
        message: `bad content in ${numaPath}: ${JSON.stringify(content)} is not a NUMA node; using -1`,
        skipped: false,
      });
    }
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  const kernelDriver = await readLinkBase(join(path, 'driver'));
  const interfaces = await findInterfaces(path);
  return {
    addr,
    name: canonical,
    id,
    numaNode,
    kernelDriver,
    kdrv: kernelDriverKind(kernelDriver),
    iommuGroup: await readLinkBase(join(path, 'iommu_group')),
    interfaces,
    sysfsPath: path,
  };
}

/**
 * rte_pci_scan on Linux: one entry per directory under the sysfs devices
 * directory whose name is a PCI address, sorted by address. A device whose
 * sysfs files are missing or malformed is skipped with a warning naming the
 * file and its content; the others are still returned. Only a missing or
 * unreadable devices directory fails the scan (ENOENT …).
 */
export async function scanSysfsPci(options: PciScanOptions = {}): Promise<PciScanResult> {
  const dir = options.sysfsDir ?? pciSysfsPath(options.env);
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    throw EalError.from(err, 'EIO', `PCI scanning: cannot open ${dir}`);
  }
  const devices: SysfsPciDevice[] = [];
  const problems: PciScanProblem[] = [];
  for (const entry of entries) {
    // DPDK reads only DDDD:BB:DD.F names here (parse_pci_addr_format).
    if (!/^[0-9a-f]+:[0-9a-f]+:[0-9a-f]+\.[0-9a-f]+$/i.test(entry)) continue;
    const addr = tryParsePciAddr(entry);
    if (!addr) continue;
    try {
      devices.push(await scanOne(dir, entry, addr, problems));
    } catch (err) {
      const problem =
        err instanceof SkipDevice
          ? err.problem
          : { device: entry, file: join(dir, entry), content: null, message: `cannot scan ${join(dir, entry)}: ${(err as Error).message}`, skipped: true };
      problems.push(problem);
    }
  }
  for (const p of problems) options.logger?.warning(p.skipped ? `skipping PCI device ${p.device}: ${p.message}` : `PCI device ${p.device}: ${p.message}`);
  devices.sort((a, b) => comparePciAddr(a.addr, b.addr));
  return { devices, problems };
}
