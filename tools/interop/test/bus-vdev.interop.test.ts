import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MpChannel, UnixTransport } from '@eal-ts/mp-channel';
import { VdevBus, type VdevDevice } from '@eal-ts/bus-vdev';
import { LogLevel, LogRegistry } from '@eal-ts/log';
import { Testpmd, testpmdAvailable, testpmdLabel } from '../src/index.js';

// Our VdevBus as a secondary of a real DPDK 22.11 primary: its start-up scan
// (REQ SCAN_REQ on bus_vdev_mp) must learn testpmd's --vdev devices.
describe.skipIf(!testpmdAvailable())(`vdev bus interop with a real ${testpmdLabel()} primary`, () => {
  let testpmd: Testpmd;
  let channel: MpChannel;
  let bus: VdevBus;
  const lines: string[] = [];
  const probed: string[] = [];
  let stderr: { mockRestore(): void } | undefined;

  beforeAll(async () => {
    // The bus logs `VDEV: …` lines to stderr, at info here (DPDK's default for bus.vdev is NOTICE, which hides them).
    const write = process.stderr.write.bind(process.stderr);
    stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter((l) => l !== ''));
      return write(chunk);
    });
    testpmd = await Testpmd.start({ vdevs: ['net_null0'] });
    channel = await MpChannel.open({ transport: new UnixTransport(), role: 'secondary', runtimeDir: testpmd.runtimeDir });
    // No initComplete(): this process has no hotplug handler, so testpmd's own
    // attach broadcast is answered IGN (not counted) instead of timing out.
    const logger = new LogRegistry().register('bus.vdev', { prefix: 'VDEV', level: LogLevel.INFO });
    bus = new VdevBus({ mp: channel, processType: 'secondary', logger });
    bus.registerDriver({
      name: 'net_null',
      probe: (dev: VdevDevice) => Promise.resolve(void probed.push(dev.name)),
      remove: () => Promise.resolve(),
    });
  });

  afterAll(async () => {
    bus?.close();
    await channel?.close();
    await testpmd?.stop();
    stderr?.mockRestore();
  });

  it('a secondary scan finds net_null0 from the primary and logs "Received 1 vdevs"', async () => {
    await bus.scan();
    expect(bus.devices().map((d) => d.name)).toEqual(['net_null0']);
    expect(lines).toContain('VDEV: Received 1 vdevs');
    expect(lines.some((l) => l.startsWith('VDEV: Failed'))).toBe(false);
    await bus.probe();
    expect(probed).toEqual(['net_null0']);
  });

});
