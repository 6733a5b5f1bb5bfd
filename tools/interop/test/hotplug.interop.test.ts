// eal-ts processes taking part in a real DPDK application's hotplug (Debian's
// 22.11 testpmd, or any other with TESTPMD=path):
// apps/hotplug-mp as a secondary of dpdk-testpmd, each side attaching and
// detaching devices, driven through their prompts as a script would.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MpChannel, UnixTransport } from '@eal-ts/mp-channel';
import { eventually, tempDir } from '@eal-ts/test-kit';
import { AppProcess, tearDown, Testpmd, TESTPMD_PROMPT, testpmdAvailable, testpmdLabel, thenPrompt } from '../src/index.js';

describe.skipIf(!testpmdAvailable())(`hotplug-mp as a secondary of a real ${testpmdLabel()} primary`, () => {
  let testpmd: Testpmd | undefined;
  let app: AppProcess;

  beforeEach(async () => {
    testpmd = await Testpmd.start({ vdevs: ['net_null0'] });
    app = await AppProcess.join('hotplug-mp', testpmd, ['-l', '0', '-m', '128', '--no-pci', '--hotplug-timeout-ms=3000']);
  });

  afterEach(async () => {
    // Every process stopped by pid, whatever the test did.
    await tearDown(testpmd);
    testpmd = undefined;
  });

  /** testpmd's port names, sorted. */
  async function testpmdNames(): Promise<string[]> {
    return [...(await testpmd!.ports()).values()].sort();
  }

  /** Our port names, sorted (ids are local: see docs/interop.md). */
  async function ourNames(): Promise<string[]> {
    return (await app.list()).map((line) => line.split('\t')[1]!).sort();
  }

  /** Polls until `probe` holds (a broadcast's effect arrives a moment after testpmd's prompt). */
  function until(probe: () => Promise<boolean>, what: string): Promise<void> {
    return eventually(probe, { what, intervalMs: 50 });
  }

  it('--proc-type=auto detects the DPDK primary, becomes a secondary, and its vdev scan brings in net_null0', async () => {
    expect(app.stderrText).toContain('Auto-detected process type: SECONDARY');
    expect(await app.list()).toEqual(['0\tnet_null0']);
  });

  it('testpmd `port attach net_null1`: the secondary probes its own driver, replies, and lists it', async () => {
    const out = await testpmd!.command('port attach net_null1', { until: new RegExp(['Port \\d+ is attached', `${TESTPMD_PROMPT.source}[\\s\\S]*?${TESTPMD_PROMPT.source}`, 'Failed'].join('|')) });
    expect(out).not.toMatch(/Failed/);
    await until(async () => (await ourNames()).includes('net_null1'), 'net_null1 in our port list');
    expect(await ourNames()).toEqual(['net_null0', 'net_null1']);
    expect(await testpmdNames()).toEqual(['net_null0', 'net_null1']);
  });

  it('our `attach net_null2` and `detach net_null2`: testpmd follows both', async () => {
    expect(await app.command('attach net_null2')).toEqual(['attached device net_null2']);
    expect(await testpmdNames()).toEqual(['net_null0', 'net_null2']);
    expect(await ourNames()).toEqual(['net_null0', 'net_null2']);
    expect(await app.command('detach net_null2')).toEqual(['detaching...', 'detached device net_null2']);
    expect(await testpmdNames()).toEqual(['net_null0']);
    expect(await ourNames()).toEqual(['net_null0']);
  });

  it('testpmd `port stop` + `device detach net_null1`: it leaves our list', async () => {
    await testpmd!.command('port attach net_null1', { until: /Port \d+ is attached|Failed/ });
    await until(async () => (await ourNames()).includes('net_null1'), 'net_null1 in our port list');
    const id = [...(await testpmd!.ports())].find(([, name]) => name === 'net_null1')![0];
    await testpmd!.command(`port stop ${id}`);
    const out = await testpmd!.command('device detach net_null1', { until: thenPrompt('Device net_null1 is detached', 'Failed', 'failed') });
    expect(out).toMatch(/Device net_null1 is detached/);
    await until(async () => !(await ourNames()).includes('net_null1'), 'net_null1 gone from our port list');
    expect(await ourNames()).toEqual(['net_null0']);
    expect(await testpmdNames()).toEqual(['net_null0']);
  });

  // A device eal-ts has no driver for: our secondary answers the ATTACH with
  // the probe's failure, DPDK sends ATTACH_ROLLBACK (which we answer 0: not
  // probed here counts as success) and removes the device again; testpmd's
  // `port attach` reports the failure.
  it('testpmd `port attach net_ring0` (no eal-ts driver): refused by us, rolled back by DPDK, listed by neither', async () => {
    const out = await testpmd!.command('port attach net_ring0', { until: /Port \d+ is attached|Failed[^\n]*\n/ });
    expect(out).toMatch(/Failed/);
    expect(out).not.toMatch(/Port \d+ is attached/);
    expect(await testpmdNames()).toEqual(['net_null0']);
    expect(await ourNames()).toEqual(['net_null0']);
    expect(app.stderrText).toMatch(/Failed to probe net_ring0 \(ATTACH\)/);
    // Both still work afterwards.
    expect(await app.command('attach net_null3')).toEqual(['attached device net_null3']);
    expect(await testpmdNames()).toEqual(['net_null0', 'net_null3']);
  });

  it('testpmd detaching a net_ring0 it had before we joined: we answer -ENOENT (not ours), the detach goes through', async () => {
    // A testpmd that already has a device eal-ts cannot drive.
    await tearDown(testpmd);
    testpmd = await Testpmd.start({ vdevs: ['net_null0', 'net_ring0'] });
    app = await AppProcess.join('hotplug-mp', testpmd);
    expect(await app.list()).toEqual(['0\tnet_null0']);
    expect(await testpmdNames()).toEqual(['net_null0', 'net_ring0']);
    await testpmd.command('port stop 1');
    const out = await testpmd.command('device detach net_ring0', { until: thenPrompt('Device net_ring0 is detached', 'Failed', 'failed') });
    expect(out).toMatch(/Device net_ring0 is detached/);
    expect(await testpmdNames()).toEqual(['net_null0']);
    expect(await app.list()).toEqual(['0\tnet_null0']);
  });
});

// --hotplug-observer: an eal-ts secondary that runs no driver, answers every
// hotplug request 0 and mirrors the primary's devices, one JSON line per event.
describe.skipIf(!testpmdAvailable())(`hotplug-mp --hotplug-observer next to ${testpmdLabel()}`, () => {
  let testpmd: Testpmd | undefined;

  afterEach(async () => {
    await tearDown(testpmd);
    testpmd = undefined;
  });

  /** The JSON events the observer printed so far. */
  function events(app: AppProcess): Record<string, unknown>[] {
    return [...app.stdout.matchAll(/\{"event".*\}$/gm)].map((m) => JSON.parse(m[0]) as Record<string, unknown>);
  }

  it('testpmd attaching and detaching net_ring0 (no eal-ts driver): answered 0, so DPDK keeps it; the mirror follows', async () => {
    testpmd = await Testpmd.start({ vdevs: ['net_null0'] });
    const app = await AppProcess.join('observer', testpmd, ['--no-pci', '--hotplug-observer', '--', '--json']);
    expect(events(app)).toEqual([{ event: 'devices', devices: ['net_null0'] }]);
    // No driver ran: no ports here.
    expect(await app.list()).toEqual([]);

    const out = await testpmd.command('port attach net_ring0', { until: /Port \d+ is attached|Failed[^\n]*\n/ });
    expect(out).toMatch(/Port 1 is attached/);
    expect(await testpmd.ports()).toEqual(new Map([[0, 'net_null0'], [1, 'net_ring0']]));
    await testpmd.command('port stop 1');
    const detached = await testpmd.command('device detach net_ring0', { until: thenPrompt('Device net_ring0 is detached', 'Failed', 'failed') });
    expect(detached).toMatch(/Device net_ring0 is detached/);
    expect(await testpmd.ports()).toEqual(new Map([[0, 'net_null0']]));

    await eventually(() => events(app).length === 3, { what: 'the observer to print both events' });
    expect(events(app).slice(1)).toEqual([
      { event: 'observed', type: 'ATTACH', op: 'attach', rollback: false, devargs: 'net_ring0', name: 'net_ring0', devices: ['net_null0', 'net_ring0'] },
      { event: 'observed', type: 'DETACH', op: 'detach', rollback: false, devargs: 'vdev:net_ring0,', name: 'net_ring0', devices: ['net_null0'] },
    ]);
    expect(await app.list()).toEqual([]);
  });

  it('--hotplug-observer in a primary is refused', async () => {
    const base = await tempDir('observer');
    try {
      const app = AppProcess.spawn('observer primary', ['--file-prefix=observerprimary', '--no-pci', '--hotplug-observer'], {
        ...process.env,
        RUNTIME_DIRECTORY: base.path,
      });
      expect(await app.exit).toBe(1);
      expect(app.stderrText).toMatch(/--hotplug-observer needs a secondary process/);
    } finally {
      await base.remove();
    }
  });
});

// Joining and leaving around a running testpmd: what changed across DPDK
// versions (25.11's layout; the stop request of 25.11, 22.11.11+, 23.11.6+, 24.11.4+) shows here.
describe.skipIf(!testpmdAvailable())(`an eal-ts secondary joining and leaving ${testpmdLabel()}`, () => {
  let testpmd: Testpmd | undefined;
  let slow: MpChannel | undefined;

  afterEach(async () => {
    await tearDown(slow, testpmd);
    slow = testpmd = undefined;
  });

  function join(label: string, t: Testpmd): Promise<AppProcess> {
    return AppProcess.join(label, t);
  }

  it('a secondary started while testpmd waits on a slow secondary joins after the attach and lists its devices', async () => {
    const t = (testpmd = await Testpmd.start({ vdevs: ['net_null0'] }));
    // A secondary that answers the ATTACH a second late: testpmd's broadcast,
    // and its shared lock on the runtime directory, last that long.
    const channel = (slow = await MpChannel.open({ transport: new UnixTransport(), role: 'secondary', runtimeDir: t.runtimeDir }));
    let asked!: () => void;
    const wasAsked = new Promise<void>((resolve) => (asked = resolve));
    channel.register('eal_dev_mp_request', async (msg, from) => {
      asked();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await channel.reply({ name: msg.name, param: msg.param, fds: [] }, from);
    });
    channel.initComplete();
    const attaching = t.command('port attach net_null5', { until: /Port \d+ is attached|Failed[^\n]*\n/, timeoutMs: 20_000 });
    await wasAsked;
    const app = await join('joining', t);
    expect(await attaching).toMatch(/Port \d+ is attached/);
    expect((await app.list()).map((l) => l.split('\t')[1]).sort()).toEqual(['net_null0', 'net_null5']);
    expect([...(await t.ports()).values()].sort()).toEqual(['net_null0', 'net_null5']);
  });

  it('testpmd quits without waiting for us (we answer its mp_testpmd stop request where it sends one)', async () => {
    const t = (testpmd = await Testpmd.start({ vdevs: ['net_null0'] }));
    const app = await join('hotplug-mp', t);
    expect(await app.list()).toEqual(['0\tnet_null0']);
    testpmd = undefined;
    const quitMs = await t.stop();
    // A secondary that does not answer holds testpmd's exit for its 5 s timeout.
    expect(quitMs).toBeLessThan(3_000);
    if (t.log.includes("Sending 'stop_req'")) {
      await eventually(() => app.stderrText.includes('The primary (testpmd) is exiting'), { what: 'the secondary to hear testpmd exiting', timeoutMs: 5_000 });
    }
  });
});
