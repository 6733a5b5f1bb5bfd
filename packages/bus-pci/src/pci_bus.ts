import { Bus, type BusOptions, Device, type Driver, EalError, type Kvargs } from '@eal-ts/bus';
import { LogRegistry } from '@eal-ts/log';
import { type PciId, type PciKernelDriverKind, type SysfsPciDevice, scanSysfsPci } from './linux/pci.js';
import { type PciAddr, comparePciAddr, formatPciAddr, parsePciAddr, tryParsePciAddr } from './pci_addr.js';

/** RTE_PCI_ANY_ID: an id-table field that matches any value. */
export const RTE_PCI_ANY_ID = 0xffff;
/** RTE_CLASS_ANY_ID: a class that matches any class. */
export const RTE_CLASS_ANY_ID = 0xffffff;

/** Kernel drivers that let user space drive a device (the ones dpdk-devbind binds to). */
export const DPDK_KERNEL_DRIVERS = ['vfio-pci', 'igb_uio', 'uio_pci_generic'] as const;

/** One entry of a driver's id table (struct rte_pci_id); omitted fields match anything. */
export interface PciIdMatch {
  readonly vendorId: number;
  readonly deviceId: number;
  readonly subsystemVendorId?: number;
  readonly subsystemDeviceId?: number;
  readonly classId?: number;
}

/** struct rte_pci_driver: a driver with its id table and flags. */
export interface PciDriver extends Driver<PciDevice> {
  readonly idTable: readonly PciIdMatch[];
  /**
   * RTE_PCI_DRV_NEED_MAPPING: the driver needs the device's BARs, so the
   * device must be bound to vfio-pci, igb_uio or uio_pci_generic.
   */
  readonly needsMapping?: boolean;
}

/** struct rte_pci_device: a PCI function found in sysfs. */
export class PciDevice extends Device {
  readonly addr: PciAddr;
  readonly id: PciId;
  readonly kernelDriver: string | null;
  readonly kdrv: PciKernelDriverKind;
  readonly iommuGroup: string | null;
  readonly interfaces: readonly string[];
  readonly sysfsPath: string;

  constructor(bus: PciBus, info: SysfsPciDevice) {
    super({ name: info.name, bus, numaNode: info.numaNode });
    this.addr = info.addr;
    this.id = info.id;
    this.kernelDriver = info.kernelDriver;
    this.kdrv = info.kdrv;
    this.iommuGroup = info.iommuGroup;
    this.interfaces = info.interfaces;
    this.sysfsPath = info.sysfsPath;
  }
}

/** rte_pci_match: the device's ids against the driver's table, RTE_PCI_ANY_ID / RTE_CLASS_ANY_ID as wildcards. */
export function pciMatch(idTable: readonly PciIdMatch[], id: PciId): boolean {
  const same = (want: number | undefined, have: number, any: number): boolean => want === undefined || want === any || want === have;
  return idTable.some(
    (m) =>
      same(m.vendorId, id.vendorId, RTE_PCI_ANY_ID) &&
      same(m.deviceId, id.deviceId, RTE_PCI_ANY_ID) &&
      same(m.subsystemVendorId, id.subsystemVendorId, RTE_PCI_ANY_ID) &&
      same(m.subsystemDeviceId, id.subsystemDeviceId, RTE_PCI_ANY_ID) &&
      same(m.classId, id.classId, RTE_CLASS_ANY_ID),
  );
}

export interface PciBusOptions extends BusOptions {
  /** The sysfs devices directory; defaults to $SYSFS_PCI_DEVICES, else /sys/bus/pci/devices. */
  readonly sysfsDir?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * DPDK's PCI bus (drivers/bus/pci): sysfs scan, id-table matching, probe
 * under the allow/block lists, plug/unplug, and the `pci:` name syntax.
 * BARs are not mapped: a driver that needs mapping is only checked to get
 * a device bound to a user-space kernel driver.
 */
export class PciBus extends Bus<PciDevice, PciDriver> {
  private readonly sysfsDir: string | undefined;
  private readonly env: NodeJS.ProcessEnv | undefined;

  constructor(options: PciBusOptions = {}) {
    super('pci', { logger: options.logger ?? new LogRegistry().register('bus.pci', { prefix: 'PCI' }) });
    this.sysfsDir = options.sysfsDir;
    this.env = options.env;
  }

  /**
   * rte_pci_scan: adds devices found in sysfs, in address order, and
   * refreshes those not probed; probed devices keep what they had. Devices
   * with unreadable sysfs data are skipped (and logged), never fatal.
   */
  async scan(): Promise<void> {
    const { devices } = await scanSysfsPci({ sysfsDir: this.sysfsDir, env: this.env, logger: this.log });
    for (const info of devices) this.addDevice(new PciDevice(this, info));
  }

  /** pci_parse: claims PCI addresses, naming them in the canonical DDDD:BB:DD.F form. */
  parse(name: string): string | undefined {
    const addr = tryParsePciAddr(name);
    return addr === undefined ? undefined : formatPciAddr(addr);
  }

  /** rte_pci_devargs_parse: the layered form names the device with `addr=`. */
  override layeredName(busArgs: Kvargs): string | undefined {
    const addr = busArgs.get('addr');
    return addr === undefined ? undefined : formatPciAddr(parsePciAddr(addr));
  }

  /** rte_pci_dev_iterate: `addr=` is the only filter, compared as an address. */
  override iterateFilter(dev: PciDevice, busArgs: Kvargs): boolean {
    busArgs.checkKeys(['addr']);
    const addr = busArgs.get('addr');
    return addr === undefined || comparePciAddr(parsePciAddr(addr), dev.addr) === 0;
  }

  protected match(driver: PciDriver, dev: PciDevice): boolean {
    return pciMatch(driver.idTable, dev.id);
  }

  /**
   * What rte_pci_map_device refuses for a device not held by a user-space
   * kernel driver ("Not managed by a supported kernel driver").
   */
  protected override declineReason(driver: PciDriver, dev: PciDevice): string | undefined {
    if (!driver.needsMapping) return undefined;
    if (dev.kernelDriver !== null && (DPDK_KERNEL_DRIVERS as readonly string[]).includes(dev.kernelDriver)) return undefined;
    const holder = dev.kernelDriver === null ? 'no kernel driver' : `kernel driver '${dev.kernelDriver}'`;
    return `driver ${driver.name} needs device ${dev.name} bound to one of ${DPDK_KERNEL_DRIVERS.join(', ')}, but it is held by ${holder}`;
  }

  protected override compareDevices(a: PciDevice, b: PciDevice): number {
    return comparePciAddr(a.addr, b.addr);
  }

  override registerDriver(driver: PciDriver): void {
    if (driver.idTable.length === 0) throw new EalError('EINVAL', `PCI driver ${driver.name} has an empty id table`);
    super.registerDriver(driver);
  }
}
