export {
  PCI_DOMAIN_MAX,
  PCI_FIELD_MAX,
  type PciAddr,
  PciAddrError,
  comparePciAddr,
  formatPciAddr,
  parsePciAddr,
  tryParsePciAddr,
} from './pci_addr.js';
export {
  type PciId,
  type PciKernelDriverKind,
  type PciScanOptions,
  type PciScanProblem,
  type PciScanResult,
  SYSFS_PCI_DEVICES,
  type SysfsPciDevice,
  kernelDriverKind,
  pciSysfsPath,
  scanSysfsPci,
} from './linux/pci.js';
export {
  DPDK_KERNEL_DRIVERS,
  PciBus,
  type PciBusOptions,
  PciDevice,
  type PciDriver,
  type PciIdMatch,
  RTE_CLASS_ANY_ID,
  RTE_PCI_ANY_ID,
  pciMatch,
} from './pci_bus.js';
export { PCI_IDS_PATHS, PciIdsDb, loadPciIds } from './pci_ids.js';
export { DEVBIND_GROUPS, type DevbindGroup, type DevbindMatch, devbindGroupMatches } from './devbind_classes.js';
