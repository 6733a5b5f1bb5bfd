import type { PciId } from './linux/pci.js';

/** One device-type filter of dpdk-devbind.py: a base class plus optional vendor and device ids. */
export interface DevbindMatch {
  readonly baseClass: number;
  readonly vendor?: number;
  readonly devices?: readonly number[];
}

export interface DevbindGroup {
  /** `--status-dev` name. */
  readonly key: string;
  /** Title word, as the script prints it ("Network devices using …"). */
  readonly title: string;
  readonly matches: readonly DevbindMatch[];
  /** Only network devices show `if=`. */
  readonly showInterfaces: boolean;
}

const INTEL = 0x8086;
const CAVIUM = 0x177d;

/** The groups `dpdk-devbind.py --status` (22.11) lists, in its order, with its filters. */
export const DEVBIND_GROUPS: readonly DevbindGroup[] = [
  {
    key: 'net',
    title: 'Network',
    showInterfaces: true,
    matches: [
      { baseClass: 0x02 },
      { baseClass: 0x08, vendor: CAVIUM, devices: [0xa0dd, 0xa049] },
      { baseClass: 0x05, vendor: 0x1af4, devices: [0x1110] },
      { baseClass: 0x12, vendor: INTEL, devices: [0x0b30] },
    ],
  },
  { key: 'baseband', title: 'Baseband', showInterfaces: false, matches: [{ baseClass: 0x12 }] },
  {
    key: 'crypto',
    title: 'Crypto',
    showInterfaces: false,
    matches: [{ baseClass: 0x10 }, { baseClass: 0x0b, vendor: INTEL }],
  },
  {
    key: 'dma',
    title: 'DMA',
    showInterfaces: false,
    matches: [
      { baseClass: 0x08, vendor: INTEL, devices: [0x6f20, 0x6f21, 0x6f22, 0x6f23, 0x6f24, 0x6f25, 0x6f26, 0x6f27, 0x6f2e, 0x6f2f] },
      { baseClass: 0x08, vendor: INTEL, devices: [0x2021, 0x0b00, 0x0b25] },
      { baseClass: 0x08, vendor: CAVIUM, devices: [0xa081] },
      { baseClass: 0x08, vendor: 0x19e5, devices: [0xa122] },
    ],
  },
  {
    key: 'event',
    title: 'Eventdev',
    showInterfaces: false,
    matches: [
      { baseClass: 0x08, vendor: CAVIUM, devices: [0xa04b, 0xa04d, 0xa051, 0xa0f9, 0xa0fa] },
      { baseClass: 0x0b, vendor: INTEL, devices: [0x270b, 0x2710, 0x2714] },
    ],
  },
  { key: 'mempool', title: 'Mempool', showInterfaces: false, matches: [{ baseClass: 0x08, vendor: CAVIUM, devices: [0xa053, 0xa0fb, 0xa0fc] }] },
  { key: 'compress', title: 'Compress', showInterfaces: false, matches: [{ baseClass: 0x12, vendor: CAVIUM, devices: [0xa037] }] },
  {
    key: 'misc',
    title: 'Misc (rawdev)',
    showInterfaces: false,
    matches: [
      { baseClass: 0x08, vendor: CAVIUM, devices: [0xa089] },
      { baseClass: 0x08, vendor: CAVIUM, devices: [0xa059, 0xa060] },
      { baseClass: 0x08, vendor: CAVIUM, devices: [0xa0f0, 0xa0f1] },
      { baseClass: 0x06, vendor: INTEL, devices: [0x201c, 0x347e] },
      { baseClass: 0x01, vendor: 0x1af4, devices: [0x1001, 0x1042] },
    ],
  },
  { key: 'regex', title: 'Regex', showInterfaces: false, matches: [{ baseClass: 0x08, vendor: CAVIUM, devices: [0xa0f4] }] },
];

/** device_type_match: the base class (top byte of the 24-bit class) and, where given, vendor and device. */
export function devbindGroupMatches(group: DevbindGroup, id: PciId): boolean {
  const base = (id.classId >> 16) & 0xff;
  return group.matches.some(
    (m) => m.baseClass === base && (m.vendor === undefined || m.vendor === id.vendorId) && (m.devices === undefined || m.devices.includes(id.deviceId)),
  );
}
