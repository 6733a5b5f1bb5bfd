import { readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LogRegistry } from '@eal-ts/log';
import { Command, CommanderError, Option } from 'commander';
import {
  DEVBIND_GROUPS,
  type DevbindGroup,
  PCI_IDS_PATHS,
  PciIdsDb,
  type SysfsPciDevice,
  devbindGroupMatches,
  loadPciIds,
  pciSysfsPath,
  scanSysfsPci,
} from '@eal-ts/bus-pci';

export interface DevbindIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

/** One element of `--json` output. */
export interface DevbindJsonDevice {
  readonly address: string;
  readonly vendor: string;
  readonly device: string;
  readonly class: string;
  readonly driver: string | null;
  readonly numaNode: number;
  readonly iommuGroup: string | null;
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

export function toJsonDevice(dev: SysfsPciDevice): DevbindJsonDevice {
  return {
    address: dev.name,
    vendor: hex(dev.id.vendorId, 4),
    device: hex(dev.id.deviceId, 4),
    class: hex(dev.id.classId, 6),
    driver: dev.kernelDriver,
    numaNode: dev.numaNode,
    iommuGroup: dev.iommuGroup,
  };
}

/** dpdk_drivers of dpdk-devbind.py, in its order (the order of `unused=`). */
export const DEVBIND_DPDK_DRIVERS = ['igb_uio', 'vfio-pci', 'uio_pci_generic'] as const;

/** Linux's IPv4 routing table; $PROC_NET_ROUTE overrides it (tests point it at a file of their own). */
export const PROC_NET_ROUTE = '/proc/net/route';

/** DPDK-compatible kernel drivers present under the sysfs drivers directory next to the devices one. */
async function loadedDpdkDrivers(devicesDir: string): Promise<string[]> {
  try {
    const present = await readdir(join(dirname(devicesDir), 'drivers'));
    return DEVBIND_DPDK_DRIVERS.filter((d) => present.includes(d));
  } catch {
    return [];
  }
}

/**
 * Interfaces that carry a route, which dpdk-devbind.py marks `*Active*` (it
 * reads `ip -o route` and takes every `dev X`, skipping 169.254.0.0/16): here
 * the Iface column of /proc/net/route, whose Destination is little-endian hex.
 * No table (not Linux, no procfs): no interface is marked.
 */
export async function routedInterfaces(path: string): Promise<Set<string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return new Set();
  }
  const found = new Set<string>();
  for (const line of text.split('\n').slice(1)) {
    const [iface, destination] = line.trim().split(/\s+/);
    if (!iface || !destination || !/^[0-9A-Fa-f]{8}$/.test(destination)) continue;
    const value = Number.parseInt(destination, 16);
    const linkLocal = (value & 0xff) === 169 && ((value >> 8) & 0xff) === 254;
    if (!linkLocal) found.add(iface);
  }
  return found;
}

function section(title: string, lines: string[]): string {
  return `\n${title}\n${'='.repeat(title.length)}\n${[...lines].sort().join('\n')}\n`;
}

/** show_device_status of dpdk-devbind.py for one group. */
export function formatGroupStatus(
  group: DevbindGroup,
  devices: readonly SysfsPciDevice[],
  dpdkDrivers: readonly string[],
  db: PciIdsDb | undefined,
  active: ReadonlySet<string> = new Set(),
): string {
  const mine = devices.filter((d) => devbindGroupMatches(group, d.id));
  if (mine.length === 0) {
    const msg = `No '${group.title}' devices detected`;
    return `\n${msg}\n${'='.repeat(msg.length)}\n`;
  }
  const describe = (d: SysfsPciDevice): string => {
    // lspci -mm names an unknown device "Device [id]", which the script prints as 'Device <id>'.
    const name = db?.deviceName(d.id.vendorId, d.id.deviceId) ?? 'Device';
    return `${d.name} '${name} ${hex(d.id.deviceId, 4)}'`;
  };
  const unused = (d: SysfsPciDevice): string => `unused=${dpdkDrivers.filter((x) => x !== d.kernelDriver).join(',')}`;
  // Bound to a DPDK-compatible driver is DPDK-compatible, whatever the drivers directory lists;
  // only unused= depends on which drivers are there.
  const isDpdk = (driver: string): boolean => (DEVBIND_DPDK_DRIVERS as readonly string[]).includes(driver);
  const dpdk = mine.filter((d) => d.kernelDriver !== null && isDpdk(d.kernelDriver));
  const kernel = mine.filter((d) => d.kernelDriver !== null && !isDpdk(d.kernelDriver));
  // The script's Active field: "*Active*" on a network interface that carries a route, else empty,
  // after one space in either case.
  const marker = (d: SysfsPciDevice): string => (group.showInterfaces && d.interfaces.some((i) => active.has(i)) ? '*Active*' : '');
  const none = mine.filter((d) => d.kernelDriver === null);
  let out = '';
  if (dpdk.length > 0) {
    out += section(
      `${group.title} devices using DPDK-compatible driver`,
      dpdk.map((d) => `${describe(d)} drv=${d.kernelDriver} ${unused(d)}`),
    );
  }
  if (kernel.length > 0) {
    out += section(
      `${group.title} devices using kernel driver`,
      kernel.map((d) => {
        const ifText = group.showInterfaces ? `if=${d.interfaces.join(',')} ` : '';
        return `${describe(d)} ${ifText}drv=${d.kernelDriver} ${unused(d)} ${marker(d)}`;
      }),
    );
  }
  if (none.length > 0) out += section(`Other ${group.title} devices`, none.map((d) => `${describe(d)} ${unused(d)}`));
  return out;
}

function buildProgram(io: DevbindIo): Command {
  return new Command('eal-devbind')
    .description('Show PCI devices and the kernel drivers that hold them, as dpdk-devbind.py --status does.')
    .option('-s, --status', 'print all known network, baseband, crypto, dma, event, mempool, compress, misc and regex devices')
    .addOption(new Option('--status-dev <group>', 'print the status of one device group').choices(DEVBIND_GROUPS.map((g) => g.key)))
    .option(
      '--json',
      'print every PCI device as one JSON array of {address, vendor, device, class, driver, numaNode, iommuGroup}; ' +
        'with --status-dev, the devices of that group',
    )
    .option('--pci-ids <file>', `PCI ID database for names (default: ${PCI_IDS_PATHS.join(' or ')})`)
    .addHelpText(
      'after',
      '\nDevices are read from $SYSFS_PCI_DEVICES, else /sys/bus/pci/devices; routes (for *Active*) from\n' +
        '$PROC_NET_ROUTE, else /proc/net/route.\n' +
        'Binding and unbinding devices (dpdk-devbind.py -b/--bind, -u/--unbind) are not implemented: out of scope for now.\n',
    )
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .allowExcessArguments(false);
}

/** The whole CLI: returns the exit status (0 ok, 1 scan failure, 2 usage error). */
export async function runDevbind(argv: readonly string[], io: DevbindIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  const opts = program.opts<{ status?: boolean; statusDev?: string; json?: boolean; pciIds?: string }>();
  if (!opts.status && !opts.statusDev && !opts.json) {
    io.stderr("error: no action given: use --status, --status-dev <group> or --json (see --help)\n");
    return 2;
  }
  const logger = new LogRegistry({ sink: (line) => io.stderr(`${line}\n`) }).register('bus.pci', { prefix: 'eal-devbind' });
  const sysfsDir = pciSysfsPath(io.env);
  let devices: SysfsPciDevice[];
  try {
    devices = (await scanSysfsPci({ sysfsDir, logger })).devices;
  } catch (err) {
    io.stderr(`error: ${(err as Error).message}\n`);
    return 1;
  }
  const groups = opts.statusDev ? DEVBIND_GROUPS.filter((g) => g.key === opts.statusDev) : DEVBIND_GROUPS;
  if (opts.json) {
    // --json, --status --json: every device; --status-dev G --json: the devices of group G.
    const shown = opts.statusDev ? devices.filter((d) => groups.some((g) => devbindGroupMatches(g, d.id))) : devices;
    io.stdout(`${JSON.stringify(shown.map(toJsonDevice), null, 2)}\n`);
    return 0;
  }
  let db: PciIdsDb | undefined;
  if (opts.pciIds !== undefined) {
    try {
      db = PciIdsDb.parse(await readFile(opts.pciIds, 'utf8'));
    } catch (err) {
      io.stderr(`error: cannot read the PCI ID database given with --pci-ids: ${(err as Error).message}\n`);
      return 1;
    }
  } else {
    db = await loadPciIds(PCI_IDS_PATHS);
  }
  const dpdkDrivers = await loadedDpdkDrivers(sysfsDir);
  const active = await routedInterfaces(io.env['PROC_NET_ROUTE'] || PROC_NET_ROUTE);
  io.stdout(groups.map((g) => formatGroupStatus(g, devices, dpdkDrivers, db, active)).join(''));
  return 0;
}
