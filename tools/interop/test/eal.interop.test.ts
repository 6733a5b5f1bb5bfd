import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Eal } from '@eal-ts/eal';
import { netNull } from '@eal-ts/net-null';
import { Testpmd, testpmdAvailable, testpmdLabel } from '../src/index.js';

// eal-ts's whole rte_eal_init next to a real DPDK 22.11 primary: --proc-type=auto
// must find testpmd's config lock, and the secondary's vdev scan must bring in
// testpmd's --vdev devices.
describe.skipIf(!testpmdAvailable())(`EAL init interop with a real ${testpmdLabel()} primary`, () => {
  let testpmd: Testpmd;
  let eal: Eal | undefined;
  const lines: string[] = [];

  beforeAll(async () => {
    testpmd = await Testpmd.start({ vdevs: ['net_null0'] });
  });

  afterAll(async () => {
    await eal?.cleanup();
    await testpmd?.stop();
  });

  it('--proc-type=auto detects the DPDK primary through the config lock and its vdev scan brings in net_null0', async () => {
    eal = await Eal.init(['--proc-type=auto', `--file-prefix=${testpmd.filePrefix}`, '--no-pci', '--hotplug-timeout-ms=3000', '--log-level=bus.vdev:info'], {
      env: { RUNTIME_DIRECTORY: testpmd.runtimeBase },
      drivers: [netNull],
      logSink: (line) => void lines.push(line),
    });
    expect(eal.processType).toBe('secondary');
    expect(eal.runtimeDir).toBe(testpmd.runtimeDir);
    expect(lines).toContain('EAL: Auto-detected process type: SECONDARY');
    expect(lines).toContain('VDEV: Received 1 vdevs');
    expect(eal.vdev.devices().map((d) => d.name)).toEqual(['net_null0']);
    expect(eal.vdev.findDeviceByName('net_null0')?.driver?.name).toBe('net_null');
    // DPDK's port table lives in its hugepage memory: ours is local, its ids taken from testpmd's telemetry.
    expect(eal.portsShared).toBe(false);
    expect((await eal.ports.list()).map((p) => [p.portId, p.name])).toEqual([[0, 'net_null0']]);
    expect(lines.some((l) => l.includes('port ids are taken from its telemetry (1 port(s))'))).toBe(true);
    // This secondary serves telemetry too, as the second process of the prefix.
    expect(eal.telemetryServer?.path).toBe(`${testpmd.runtimeDir}/dpdk_telemetry.v2:1`);
    // testpmd is unharmed and still has its port.
    expect(await testpmd.ports()).toEqual(new Map([[0, 'net_null0']]));
  });
});
