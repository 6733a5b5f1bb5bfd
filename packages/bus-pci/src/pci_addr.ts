import { EalError } from '@eal-ts/bus';

/** struct rte_pci_addr. */
export interface PciAddr {
  readonly domain: number;
  readonly bus: number;
  readonly devid: number;
  readonly function: number;
}

/** Largest values rte_pci_addr_parse accepts: domain is 32 bits, the rest 8 bits each. */
export const PCI_DOMAIN_MAX = 0xffffffff;
export const PCI_FIELD_MAX = 0xff;

/** An address rte_pci_addr_parse refuses (EINVAL); `text` is the address as given. */
export class PciAddrError extends EalError {
  constructor(readonly text: string, message: string) {
    super('EINVAL', message);
  }
}

const HEX = /^[0-9a-fA-F]+$/;

function field(text: string, what: string, value: string, max: number): number {
  if (!HEX.test(value)) {
    throw new PciAddrError(text, `invalid PCI address '${text}': ${what} '${value}' is not hexadecimal`);
  }
  const n = Number.parseInt(value, 16);
  if (n > max) {
    throw new PciAddrError(text, `invalid PCI address '${text}': ${what} 0x${value} is above 0x${max.toString(16)}`);
  }
  return n;
}

const PCI_ADDR_SHAPE = /^(?:([^:]*):)?([^:]*):([^:.]*)\.([^:.]*)$/;

/**
 * rte_pci_addr_parse: `DDDD:BB:DD.F` or `BB:DD.F` (domain 0), each field
 * hexadecimal of any length within DPDK's ranges (domain ≤ 0xffffffff,
 * bus, device and function ≤ 0xff — DPDK does not narrow device to 5 bits
 * nor function to 3). Unlike strtoul we take no `0x`, sign or blanks.
 */
export function parsePciAddr(text: string): PciAddr {
  const parts = PCI_ADDR_SHAPE.exec(text);
  if (!parts) {
    throw new PciAddrError(text, `invalid PCI address '${text}': expected DDDD:BB:DD.F or BB:DD.F (hexadecimal)`);
  }
  const [, domain, bus, devid, fn] = parts;
  return {
    domain: domain === undefined ? 0 : field(text, 'domain', domain, PCI_DOMAIN_MAX),
    bus: field(text, 'bus', bus!, PCI_FIELD_MAX),
    devid: field(text, 'device', devid!, PCI_FIELD_MAX),
    function: field(text, 'function', fn!, PCI_FIELD_MAX),
  };
}

/** parsePciAddr without the error: undefined for anything it refuses. */
export function tryParsePciAddr(text: string): PciAddr | undefined {
  // Every bus is asked about every devargs (net_null0 …): most are not even
  // shaped like an address, and are refused without building an error.
  if (!PCI_ADDR_SHAPE.test(text)) return undefined;
  try {
    return parsePciAddr(text);
  } catch {
    return undefined;
  }
}

/** PCI_PRI_FMT: `%04x:%02x:%02x.%x`, DPDK's canonical device name. */
export function formatPciAddr(addr: PciAddr): string {
  const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
  return `${hex(addr.domain, 4)}:${hex(addr.bus, 2)}:${hex(addr.devid, 2)}.${addr.function.toString(16)}`;
}

/** rte_pci_addr_cmp: -1, 0 or 1 in domain, bus, device, function order. */
export function comparePciAddr(a: PciAddr, b: PciAddr): number {
  const ka = [a.domain, a.bus, a.devid, a.function];
  const kb = [b.domain, b.bus, b.devid, b.function];
  for (let i = 0; i < 4; i++) {
    if (ka[i]! < kb[i]!) return -1;
    if (ka[i]! > kb[i]!) return 1;
  }
  return 0;
}
