// eal-devbind --status against Debian's own dpdk-devbind.py (DPDK 22.11) on
// the same fake sysfs tree, line for line. The script reads fixed paths
// (lspci's /sys/bus/pci, /sys/module, `ip -o route`), so it runs in a private
// mount namespace with the fake tree bound over /sys/bus/pci and /sys/module,
// and a stand-in `ip` first in PATH. Needs root, unshare, lspci (pciutils)
// and dpdk-devbind.py (Debian's dpdk): CI has them.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakePciDevice, type FakeSysfs, makeFakeSysfs } from '../../../packages/bus-pci/test/fake_sysfs.js';

const SCRIPT = '/usr/bin/dpdk-devbind.py';
const bin = fileURLToPath(new URL('../bin/eal-devbind.js', import.meta.url));
const run = promisify(execFile);

function missing(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  if (!existsSync(SCRIPT)) return `no ${SCRIPT} (Debian's dpdk package)`;
  if (spawnSync('sh', ['-c', 'command -v lspci'], { stdio: 'ignore' }).status !== 0) return 'no lspci (pciutils)';
  if (spawnSync('unshare', ['-m', 'true'], { stdio: 'ignore' }).status !== 0) return 'cannot unshare a mount namespace';
  return null;
}
const why = missing();

const DEVICES: FakePciDevice[] = [
  { addr: '0000:00:03.0', device: '0x1041', driver: 'virtio-pci', net: ['eth0'], netUnderVirtio: true },
  { addr: '0000:00:04.0', device: '0x1041', driver: 'vfio-pci' },
  { addr: '0000:00:05.0', vendor: '0x8086', device: '0x10fb' },
  { addr: '0000:00:06.0', vendor: '0x8086', device: '0x37c8', class: '0x0b4000', driver: 'qat' },
  { addr: '0000:00:07.0', device: '0x1042', class: '0x010000', driver: 'virtio-pci' },
  { addr: '0000:00:09.0', device: '0x1041', driver: 'virtio-pci', net: ['eth1'] },
  { addr: '0000:00:0a.0', device: '0x10ff' },
  { addr: '0000:01:00.0', vendor: '0x177d', device: '0xa0f9', class: '0x080000', driver: 'vfio-pci' },
];

/** The first 64 bytes of configuration space, which lspci reads beside the sysfs id files. */
function config(dev: FakePciDevice): Buffer {
  const buf = Buffer.alloc(64);
  const vendor = Number(dev.vendor ?? '0x1af4');
  buf.writeUInt16LE(vendor, 0);
  buf.writeUInt16LE(Number(dev.device ?? '0x1000'), 2);
  const cls = Number(dev.class ?? '0x020000');
  buf.writeUIntLE(cls, 9, 3);
  buf.writeUInt16LE(vendor, 0x2c);
  buf.writeUInt16LE(1, 0x2e);
  return buf;
}

let sysfs: FakeSysfs;

beforeAll(async () => {
  if (why) return;
  sysfs = await makeFakeSysfs(DEVICES, ['vfio-pci', 'uio_pci_generic']);
  for (const dev of DEVICES) await writeFile(join(sysfs.devicesDir, dev.addr, 'config'), config(dev));
  for (const mod of ['vfio_pci', 'uio_pci_generic']) await mkdir(join(sysfs.root, 'module', mod), { recursive: true });
  // The same routes twice: as `ip -o route` prints them for the script, as /proc/net/route for us.
  await mkdir(join(sysfs.root, 'bin'));
  await writeFile(
    join(sysfs.root, 'bin/ip'),
    '#!/bin/sh\nprintf "default via 10.0.2.2 dev eth0 proto dhcp\\n10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15\\n169.254.0.0/16 dev eth1 scope link metric 1000\\n"\n',
  );
  await chmod(join(sysfs.root, 'bin/ip'), 0o755);
  await writeFile(
    join(sysfs.root, 'route'),
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' +
      'eth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n' +
      'eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n' +
      'eth1\t0000FEA9\t00000000\t0001\t0\t0\t1000\t0000FFFF\t0\t0\t0\n',
  );
});

afterAll(async () => {
  if (!why) await sysfs.cleanup();
});

describe.skipIf(why !== null)(`eal-devbind --status against ${SCRIPT}${why ? ` (skipped: ${why})` : ''}`, () => {
  it('prints the same lines on the same fake tree', async () => {
    const root = sysfs.root;
    const shell =
      `mount --bind ${root}/bus/pci /sys/bus/pci && mount --bind ${root}/module /sys/module && ` +
      `PATH=${root}/bin:$PATH exec python3 ${SCRIPT} --status`;
    const script = await run('unshare', ['-m', 'sh', '-c', shell], { timeout: 60_000 });
    const ours = await run(process.execPath, [bin, '--status'], {
      env: { ...process.env, SYSFS_PCI_DEVICES: sysfs.devicesDir, PROC_NET_ROUTE: join(root, 'route') },
      timeout: 60_000,
    });
    // Both name devices from the system's pci.ids; the script warns on stdout when it cannot read
    // /lib/modules/<release>/modules.builtin (absent in containers): not a line of the status.
    const scriptLines = script.stdout.split('\n').filter((l) => !l.startsWith('Warning: cannot read list of built-in kernel modules'));
    expect(ours.stdout.split('\n')).toEqual(scriptLines);
    expect(ours.stdout).toContain('*Active*');
  });
});
