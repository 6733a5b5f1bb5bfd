import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSysfs, makeFakeSysfs } from '../../../packages/bus-pci/test/fake_sysfs.js';

const bin = fileURLToPath(new URL('../bin/eal-devbind.js', import.meta.url));
const run = promisify(execFile);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function devbind(args: string[], env: Record<string, string>): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const ROUTE_HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n';

let sysfs: FakeSysfs;
let env: Record<string, string>;
let pciIds: string;

beforeAll(async () => {
  sysfs = await makeFakeSysfs(
    [
      { addr: '0000:00:03.0', device: '0x1041', driver: 'virtio-pci', net: ['eth0'], netUnderVirtio: true, iommuGroup: '3' },
      { addr: '0000:00:04.0', device: '0x1041', driver: 'vfio-pci', iommuGroup: '4', numaNode: '1' },
      { addr: '0000:00:05.0', vendor: '0x8086', device: '0x10fb', numaNode: '-1' },
      { addr: '0000:00:06.0', vendor: '0x8086', device: '0x37c8', class: '0x0b4000', driver: 'qat' },
      { addr: '0000:00:07.0', vendor: '0x1af4', device: '0x1042', class: '0x010000', driver: 'virtio-pci' },
      { addr: '0000:00:08.0', vendor: 'oops' },
    ],
    ['vfio-pci', 'uio_pci_generic'],
  );
  pciIds = join(sysfs.root, 'pci.ids');
  await writeFile(pciIds, '# test\n1af4  Red Hat, Inc.\n\t1041  Virtio 1.0 network device\n8086  Intel Corporation\n\t10fb  82599ES 10-Gigabit SFI/SFP+ Network Connection\nC 00  Unclassified device\n');
  // No route through any of these interfaces unless a test says so.
  await writeFile(join(sysfs.root, 'route'), ROUTE_HEADER);
  env = { SYSFS_PCI_DEVICES: sysfs.devicesDir, PROC_NET_ROUTE: join(sysfs.root, 'route') };
});

afterAll(async () => {
  await sysfs.cleanup();
});

/** dpdk-devbind.py's status text: each group a blank line, its title underlined with '=', its device lines; a blank line at the end. */
function status(...groups: [title: string, ...devices: string[]][]): string {
  return [...groups.flatMap(([title, ...devices]) => ['', title, '='.repeat(title.length), ...devices]), ''].join('\n');
}

describe('eal-devbind', () => {
  it('--status groups devices as dpdk-devbind.py --status does', async () => {
    const r = await devbind(['--status', '--pci-ids', pciIds], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      status(
        ['Network devices using DPDK-compatible driver', "0000:00:04.0 'Virtio 1.0 network device 1041' drv=vfio-pci unused=uio_pci_generic"],
        // dpdk-devbind.py ends a kernel-driver line with " %(Active)s": a space, then *Active* or nothing.
        ['Network devices using kernel driver', "0000:00:03.0 'Virtio 1.0 network device 1041' if=eth0 drv=virtio-pci unused=vfio-pci,uio_pci_generic "],
        ['Other Network devices', "0000:00:05.0 '82599ES 10-Gigabit SFI/SFP+ Network Connection 10fb' unused=vfio-pci,uio_pci_generic"],
        ["No 'Baseband' devices detected"],
        ['Crypto devices using kernel driver', "0000:00:06.0 'Device 37c8' drv=qat unused=vfio-pci,uio_pci_generic "],
        ["No 'DMA' devices detected"],
        ["No 'Eventdev' devices detected"],
        ["No 'Mempool' devices detected"],
        ["No 'Compress' devices detected"],
        // A virtio block device is listed under Misc, as the script's virtio_blk filter does.
        ['Misc (rawdev) devices using kernel driver', "0000:00:07.0 'Device 1042' drv=virtio-pci unused=vfio-pci,uio_pci_generic "],
        ["No 'Regex' devices detected"],
      ),
    );
    expect(r.stderr).toMatch(/skipping PCI device 0000:00:08\.0: bad content in .*vendor: "oops\\n"/);
  });

  it('--status-dev net prints only the network group', async () => {
    const r = await devbind(['--status-dev', 'net', '--pci-ids', pciIds], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Network devices using kernel driver');
    expect(r.stdout).not.toContain('Crypto');
  });

  it('--json prints one JSON array with lower-case hex ids, driver, NUMA node and IOMMU group', async () => {
    const r = await devbind(['--json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { address: '0000:00:03.0', vendor: '1af4', device: '1041', class: '020000', driver: 'virtio-pci', numaNode: 0, iommuGroup: '3' },
      { address: '0000:00:04.0', vendor: '1af4', device: '1041', class: '020000', driver: 'vfio-pci', numaNode: 1, iommuGroup: '4' },
      { address: '0000:00:05.0', vendor: '8086', device: '10fb', class: '020000', driver: null, numaNode: -1, iommuGroup: null },
      { address: '0000:00:06.0', vendor: '8086', device: '37c8', class: '0b4000', driver: 'qat', numaNode: 0, iommuGroup: null },
      { address: '0000:00:07.0', vendor: '1af4', device: '1042', class: '010000', driver: 'virtio-pci', numaNode: 0, iommuGroup: null },
    ]);
  });

  it('--status --json prints the --json array; --status-dev net --json only the network devices', async () => {
    const all = await devbind(['--json'], env);
    const status = await devbind(['--status', '--json'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toBe(all.stdout);
    const net = await devbind(['--status-dev', 'net', '--json'], env);
    expect(net.code).toBe(0);
    expect((JSON.parse(net.stdout) as { address: string }[]).map((d) => d.address)).toEqual(['0000:00:03.0', '0000:00:04.0', '0000:00:05.0']);
    const crypto = await devbind(['--status-dev', 'crypto', '--json'], env);
    expect((JSON.parse(crypto.stdout) as { address: string }[]).map((d) => d.address)).toEqual(['0000:00:06.0']);
  });

  it('a device bound to vfio-pci is DPDK-compatible even when the drivers directory does not list vfio-pci', async () => {
    const tree = await makeFakeSysfs([{ addr: '0000:00:04.0', device: '0x1041', driver: 'vfio-pci' }]);
    try {
      await rm(join(tree.root, 'bus/pci/drivers/vfio-pci'), { recursive: true });
      const r = await devbind(['--status-dev', 'net', '--pci-ids', pciIds], { ...env, SYSFS_PCI_DEVICES: tree.devicesDir });
      expect(r.code).toBe(0);
      // No DPDK driver is loaded, so none is unused.
      expect(r.stdout).toBe(status(['Network devices using DPDK-compatible driver', "0000:00:04.0 'Virtio 1.0 network device 1041' drv=vfio-pci unused="]));
    } finally {
      await tree.cleanup();
    }
  });

  it('marks *Active* the interface that carries a route, not one with only a 169.254/16 route', async () => {
    const tree = await makeFakeSysfs([
      { addr: '0000:00:03.0', device: '0x1041', driver: 'virtio-pci', net: ['eth0'], netUnderVirtio: true },
      { addr: '0000:00:09.0', device: '0x1041', driver: 'virtio-pci', net: ['eth1'] },
    ]);
    try {
      const routes = join(tree.root, 'route');
      // default via 10.0.2.2 dev eth0; 10.0.2.0/24 dev eth0; 169.254.0.0/16 dev eth1
      await writeFile(
        routes,
        ROUTE_HEADER +
          'eth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n' +
          'eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n' +
          'eth1\t0000FEA9\t00000000\t0001\t0\t0\t1000\t0000FFFF\t0\t0\t0\n',
      );
      const r = await devbind(['--status-dev', 'net', '--pci-ids', pciIds], { ...env, SYSFS_PCI_DEVICES: tree.devicesDir, PROC_NET_ROUTE: routes });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(
        status([
          'Network devices using kernel driver',
          "0000:00:03.0 'Virtio 1.0 network device 1041' if=eth0 drv=virtio-pci unused= *Active*",
          "0000:00:09.0 'Virtio 1.0 network device 1041' if=eth1 drv=virtio-pci unused= ",
        ]),
      );
    } finally {
      await tree.cleanup();
    }
  });

  it('--pci-ids with a missing file is an error naming the file', async () => {
    const r = await devbind(['--status', '--pci-ids', '/nonexistent/pci.ids'], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('--pci-ids');
    expect(r.stderr).toContain("ENOENT: no such file or directory, open '/nonexistent/pci.ids'");
  });

  it('a bad flag is a clear error with exit status 2', async () => {
    const r = await devbind(['--bind=vfio-pci', '0000:00:03.0'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--bind=vfio-pci'");
  });

  it('no action is an error with exit status 2', async () => {
    const r = await devbind([], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no action given');
  });

  it('--help says binding is out of scope, exit status 0', async () => {
    const r = await devbind(['--help'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Binding and unbinding .* not implemented/);
  });

  it('a missing sysfs directory is reported with exit status 1', async () => {
    const r = await devbind(['--json'], { SYSFS_PCI_DEVICES: join(sysfs.root, 'nope') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot open');
  });
});
