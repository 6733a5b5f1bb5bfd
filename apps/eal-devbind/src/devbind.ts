import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LogRegistry } from '@eal-ts/log';
import { Command, CommanderError, Option } from 'commander';
import {
  DEVBIND_GROUPS,
  DPDK_KERNEL_DRIVERS,
  type DevbindGroup,
  PCI_IDS_PATHS,
  type PciIdsDb,
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

/** DPDK-compatible kernel drivers present under the sysfs drivers directory next to the devices one. */
async function loadedDpdkDrivers(devicesDir: string): Promise<string[]> {
  try {
    const present = await readdir(join(dirname(devicesDir), 'drivers'));
    return DPDK_KERNEL_DRIVERS.filter((d) => present.includes(d));
  } catch {
    return [];
  }
}

function section(title: string, lines: string[]): string {
  return `\n${title}\n${'='.repeat(title.length)}\n${[...lines].sort().join('\n')}\n`;
}

/** show_device_status of dpdk-devbind.py for one group. */
export function formatGroupStatus(group: DevbindGroup, devices: readonly SysfsPciDevice[], dpdkDrivers: readonly string[], db: PciIdsDb | undefined): string {
  const mine = devices.filter((d) => devbindGroupMatches(group, d.id));
  if (mine.length === 0) {
    const msg = `No '${group.title}' devices detected`;
    return `\n${msg}\n${'='.repeat(msg.length)}\n`;
  }
  const describe = (d: SysfsPciDevice): string => {
    const name = db?.deviceName(d.id.vendorId, d.id.deviceId) ?? `Device ${hex(d.id.deviceId, 4)}`;
    return `${d.name} '${name} ${hex(d.id.deviceId, 4)}'`;
  };
  const unused = (d: SysfsPciDevice): string => `unused=${dpdkDrivers.filter((x) => x !== d.kernelDriver).join(',')}`;
  const dpdk = mine.filter((d) => d.kernelDriver !== null && dpdkDrivers.includes(d.kernelDriver));
  const kernel = mine.filter((d) => d.kernelDriver !== null && !dpdkDrivers.includes(d.kernelDriver));
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
        return `${describe(d)} ${ifText}drv=${d.kernelDriver} ${unused(d)}`;
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
    .option('--json', 'print every PCI device as one JSON array of {address, vendor, device, class, driver, numaNode, iommuGroup}')
    .option('--pci-ids <file>', `PCI ID database for names (default: ${PCI_IDS_PATHS.join(' or ')})`)
    .addHelpText(
      'after',
      '\nDevices are read from $SYSFS_PCI_DEVICES, else /sys/bus/pci/devices.\n' +
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
  if (opts.json && (opts.status || opts.statusDev)) {
    io.stderr('error: --json cannot be combined with --status or --status-dev\n');
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
  if (opts.json) {
    io.stdout(`${JSON.stringify(devices.map(toJsonDevice), null, 2)}\n`);
    return 0;
  }
  const db = await loadPciIds(opts.pciIds !== undefined ? [opts.pciIds] : PCI_IDS_PATHS);
  const dpdkDrivers = await loadedDpdkDrivers(sysfsDir);
  const groups = opts.statusDev ? DEVBIND_GROUPS.filter((g) => g.key === opts.statusDev) : DEVBIND_GROUPS;
  io.stdout(groups.map((g) => formatGroupStatus(g, devices, dpdkDrivers, db)).join(''));
  return 0;
}
