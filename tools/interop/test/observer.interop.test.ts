// Issue 8, point 4 against real DPDK 22.11: an eal-ts observer (what
// `eal-mp listen` runs) joined to dpdk-testpmd's channel answers its hotplug
// broadcasts with IGN, so testpmd's attach and detach succeed at once.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeEalDevMpReq, EAL_DEV_MP_ACTION_REQUEST } from '@eal-ts/hotplug-mp';
import { MpParamDecoders, openMpObserver, UnixTransport, type MpChannel, type MpTrace } from '@eal-ts/mp-channel';
import { Testpmd, testpmdAvailable } from '../src/index.js';

describe.skipIf(!testpmdAvailable())('an observer on a real DPDK 22.11 primary (dpdk-testpmd)', () => {
  let testpmd: Testpmd | undefined;
  let observer: MpChannel | undefined;

  beforeEach(async () => {
    testpmd = await Testpmd.start({ vdevs: ['net_null0'] });
  });
  afterEach(async () => {
    await observer?.close();
    observer = undefined;
    await testpmd?.stop();
    testpmd = undefined;
  });

  it('`port attach` and `device detach` succeed while it listens; it sees and decodes both requests', async () => {
    const traces: MpTrace[] = [];
    const runtimeDir = join(testpmd!.runtimeBase, 'dpdk', testpmd!.filePrefix);
    observer = await openMpObserver({ transport: new UnixTransport(), runtimeDir, onTrace: (t) => traces.push(t) });
    const decoders = new MpParamDecoders().register(EAL_DEV_MP_ACTION_REQUEST, describeEalDevMpReq);

    const t0 = Date.now();
    const attached = await testpmd!.command('port attach net_null1', { until: /Port \d+ is attached|Failed|failed/ });
    expect(attached).toMatch(/Port \d+ is attached/);
    const id = [...(await testpmd!.ports())].find(([, name]) => name === 'net_null1')![0];
    await testpmd!.command(`port stop ${id}`);
    const detached = await testpmd!.command('device detach net_null1', { until: /Device net_null1 is detached|Failed|failed/ });
    expect(detached).toMatch(/Device net_null1 is detached/);
    // DPDK's hotplug waits 5 s for each silent secondary; IGN answers at once.
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect([...(await testpmd!.ports()).values()]).toEqual(['net_null0']);

    const seen = traces.map((t) => `${t.dir} ${t.type} ${t.name} ${decoders.describeTrace(t) ?? ''}`.trim());
    expect(seen).toEqual([
      'in REQ eal_dev_mp_request ATTACH "net_null1" result 0',
      'out IGN eal_dev_mp_request',
      'in REQ eal_dev_mp_request DETACH "vdev:net_null1," result 0',
      'out IGN eal_dev_mp_request',
    ]);
  });
});
