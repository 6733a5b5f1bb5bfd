import { readFile } from 'node:fs/promises';

/** Where distributions keep the PCI ID database, in the order lspci looks. */
export const PCI_IDS_PATHS = ['/usr/share/misc/pci.ids', '/usr/share/hwdata/pci.ids'] as const;

/** Vendor and device names from a pci.ids file. */
export class PciIdsDb {
  private readonly vendors = new Map<number, string>();
  private readonly devices = new Map<string, string>();

  /** Reads the pci.ids format: `vvvv  Name`, then tab-indented `dddd  Name` lines; the class section ends it. */
  static parse(text: string): PciIdsDb {
    const db = new PciIdsDb();
    let vendor: number | undefined;
    for (const line of text.split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      if (line.startsWith('C ')) break;
      let m = /^([0-9a-fA-F]{4}) {2}(.*)$/.exec(line);
      if (m) {
        vendor = Number.parseInt(m[1]!, 16);
        db.vendors.set(vendor, m[2]!);
        continue;
      }
      m = /^\t([0-9a-fA-F]{4}) {2}(.*)$/.exec(line);
      if (m && vendor !== undefined) db.devices.set(`${vendor}:${Number.parseInt(m[1]!, 16)}`, m[2]!);
    }
    return db;
  }

  vendorName(vendor: number): string | undefined {
    return this.vendors.get(vendor);
  }

  deviceName(vendor: number, device: number): string | undefined {
    return this.devices.get(`${vendor}:${device}`);
  }
}

/** The first readable database among `paths`; undefined when there is none. */
export async function loadPciIds(paths: readonly string[] = PCI_IDS_PATHS): Promise<PciIdsDb | undefined> {
  for (const path of paths) {
    try {
      return PciIdsDb.parse(await readFile(path, 'utf8'));
    } catch {
      // absent or unreadable: try the next location
    }
  }
  return undefined;
}
