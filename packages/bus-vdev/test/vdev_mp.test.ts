import { MemoryNetwork, MpChannel, type MpMessage, VirtualClock } from '@eal-ts/mp-channel';
import { VirtualWorld } from '@eal-ts/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  VDEV_MP_KEY,
  VDEV_SCAN_ONE,
  VDEV_SCAN_REP,
  VDEV_SCAN_REQ,
  VdevBus,
  decodeVdevParam,
  encodeVdevParam,
  vdevDevargs,
} from '../src/index.js';
import { RecordingDriver, quietLogger } from './helpers.js';

const DIR = '/run/test/dpdk/vdev';

interface Proc {
  channel: MpChannel;
  bus: VdevBus;
  lines: string[];
}

/** One runtime directory in memory on virtual time: the primary and secondaries of one test. */
function world() {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock });
  const { logger: mpLogger, lines: mpLines } = quietLogger('lib.eal', 'EAL');
  const base = new VirtualWorld<VirtualClock, MpChannel>(clock, DIR, { first: 4000, tag: 'beef' });
  const open = (role: 'primary' | 'secondary'): Promise<MpChannel> =>
    base.track(MpChannel.open({ ...base.channelOptions(role), transport: network.transport(), logger: mpLogger }));
  const run = base.run;

  /** An eal-ts process: its channel and a vdev bus with the net_null driver, scanned as EAL init does. */
  const proc = async (role: 'primary' | 'secondary', vdevs: string[] = []): Promise<Proc> => {
    const channel = await open(role);
    const { logger, lines } = quietLogger();
    const bus = new VdevBus({ mp: channel, processType: role, logger });
    bus.registerDriver(new RecordingDriver('net_null'));
    for (const v of vdevs) bus.addVdevArg(v);
    await run(bus.scan());
    channel.initComplete();
    return { channel, bus, lines };
  };

  return { clock, network, mpLines, open, run, proc, closeAll: base.closeAll };
}

const names = (bus: VdevBus): string[] => bus.devices().map((d) => d.name);
const vdevMsg = (param: Uint8Array): MpMessage => ({ name: VDEV_MP_KEY, param, fds: [] });

let w: ReturnType<typeof world>;
afterEach(async () => {
  await w?.closeAll();
});

describe('bus_vdev_mp over the in-memory transport', () => {
  it('a secondary starting after the primary has net_null0 and net_null1 sees both, before its own --vdev devices', async () => {
    w = world();
    const primary = await w.proc('primary', ['net_null0', 'net_null1,size=64']);
    const secondary = await w.proc('secondary', ['net_null5']);
    expect(names(secondary.bus)).toEqual(['net_null0', 'net_null1', 'net_null5']);
    expect(secondary.lines).toContain('VDEV: Received 2 vdevs');
    expect(secondary.lines).toContain('VDEV: receive vdev, net_null0');
    expect(primary.lines).toEqual(expect.arrayContaining(['VDEV: send vdev, net_null0', 'VDEV: send vdev, net_null1']));
    // Announced devices carry empty arguments (DPDK's insert_vdev with NULL args) and can be probed.
    expect(secondary.bus.findDeviceByName('net_null1')?.args).toBe('');
    expect(await secondary.bus.probe()).toEqual({ attempted: 3, probed: 3, failed: 0 });
    // The primary keeps only its own.
    expect(names(primary.bus)).toEqual(['net_null0', 'net_null1']);
  });

  it('the other secondary also receives the SCAN_ONE broadcast and adds the devices it lacked', async () => {
    w = world();
    const primary = await w.proc('primary', ['net_null0', 'net_null1']);
    const early = await w.proc('secondary');
    expect(names(early.bus)).toEqual(['net_null0', 'net_null1']);
    await primary.bus.add('net_null2');
    expect(names(early.bus)).toEqual(['net_null0', 'net_null1']);

    const late = await w.proc('secondary');
    expect(names(late.bus)).toEqual(['net_null0', 'net_null1', 'net_null2']);
    // The broadcast reached the early secondary too: the new device is added, the known ones ignored.
    expect(names(early.bus)).toEqual(['net_null0', 'net_null1', 'net_null2']);
    expect(early.lines).toEqual(
      expect.arrayContaining(['VDEV: device already exist, net_null0', 'VDEV: device already exist, net_null1', 'VDEV: receive vdev, net_null2']),
    );
    // Added, not probed: a hotplug attach from the primary probes it later.
    expect(early.bus.findDeviceByName('net_null2')?.driver).toBeNull();
  });

  it('the primary answers SCAN_REQ with one SCAN_ONE per vdev, then SCAN_REP num = how many it sent', async () => {
    w = world();
    await w.proc('primary', ['net_null0', 'net_null1']);
    const raw = await w.open('secondary');
    const seen: ReturnType<typeof decodeVdevParam>[] = [];
    raw.register(VDEV_MP_KEY, (msg) => void seen.push(decodeVdevParam(msg.param)));
    const response = await w.run(raw.request(vdevMsg(encodeVdevParam({ type: VDEV_SCAN_REQ, num: 0, name: '' })), { timeoutMs: 5_000 }));
    expect(seen).toEqual([
      { type: VDEV_SCAN_ONE, num: 1, name: 'net_null0' },
      { type: VDEV_SCAN_ONE, num: 1, name: 'net_null1' },
    ]);
    expect(response.nbReceived).toBe(1);
    expect(response.replies[0]!.param).toHaveLength(72);
    // DPDK reuses the buffer: the reply's name still holds the last name sent.
    expect(decodeVdevParam(response.replies[0]!.param)).toEqual({ type: VDEV_SCAN_REP, num: 2, name: 'net_null1' });
  });

  it('a primary with no vdevs answers SCAN_REP num 0 and broadcasts nothing', async () => {
    w = world();
    await w.proc('primary');
    const raw = await w.open('secondary');
    const seen: MpMessage[] = [];
    raw.register(VDEV_MP_KEY, (msg) => void seen.push(msg));
    const response = await w.run(raw.request(vdevMsg(encodeVdevParam({ type: VDEV_SCAN_REQ, num: 0, name: '' })), { timeoutMs: 5_000 }));
    expect(decodeVdevParam(response.replies[0]!.param)).toEqual({ type: VDEV_SCAN_REP, num: 0, name: '' });
    expect(seen).toEqual([]);
    const secondary = await w.proc('secondary', ['net_null3']);
    expect(secondary.lines).toContain('VDEV: Received 0 vdevs');
    expect(names(secondary.bus)).toEqual(['net_null3']);
  });

  it('a name followed by garbage after its NUL (as DPDK sends it) is read up to the NUL', async () => {
    w = world();
    const rawPrimary = await w.open('primary');
    const secondary = await w.proc('secondary');
    const garbage = Uint8Array.from({ length: 60 }, (_, i) => 0x41 + (i % 26));
    const param = encodeVdevParam({ type: VDEV_SCAN_ONE, num: 1, name: 'net_null7' }, garbage);
    expect(param[8 + 'net_null7'.length]).toBe(0);
    expect(param[8 + 'net_null7'.length + 1]).toBe(0x41);
    await w.run(rawPrimary.send(vdevMsg(param)));
    expect(names(secondary.bus)).toEqual(['net_null7']);
  });

  it('malformed params (wrong length, unknown type, no NUL, bad UTF-8) are logged with what was wrong and ignored', async () => {
    w = world();
    const rawPrimary = await w.open('primary');
    const secondary = await w.proc('secondary');
    const unknownType = encodeVdevParam({ type: VDEV_SCAN_ONE, num: 1, name: 'net_null1' });
    new DataView(unknownType.buffer, unknownType.byteOffset).setInt32(0, 9, true);
    const noNul = encodeVdevParam({ type: VDEV_SCAN_ONE, num: 1, name: '' });
    noNul.fill(0x61, 8);
    const badUtf8 = encodeVdevParam({ type: VDEV_SCAN_ONE, num: 1, name: 'net_null' });
    badUtf8[16] = 0xff;
    const short = encodeVdevParam({ type: VDEV_SCAN_ONE, num: 1, name: 'net_null2' }).subarray(0, 40);
    for (const param of [short, unknownType, noNul, badUtf8, new Uint8Array(0)]) await w.run(rawPrimary.send(vdevMsg(param)));
    expect(names(secondary.bus)).toEqual([]);
    const complaints = secondary.lines.filter((l) => l.includes('vdev cannot recognize this message'));
    expect(complaints).toHaveLength(5);
    expect(complaints[0]).toMatch(/param is 40 bytes, expected 72/);
    expect(complaints[1]).toMatch(/unknown type 9/);
    expect(complaints[2]).toMatch(/no terminating NUL/);
    expect(complaints[3]).toMatch(/not valid UTF-8/);
    expect(complaints[4]).toMatch(/param is 0 bytes/);
    expect(complaints.every((l) => l.includes('ignored'))).toBe(true);
  });

  it('a malformed request to the primary is logged and not answered; the primary keeps serving', async () => {
    w = world();
    const primary = await w.proc('primary', ['net_null0']);
    const raw = await w.open('secondary');
    const bad = await w.run(raw.request(vdevMsg(new Uint8Array(8)), { timeoutMs: 1_000 }));
    expect(bad).toMatchObject({ nbSent: 1, nbReceived: 0 });
    expect(primary.lines.some((l) => /vdev cannot recognize this message from .*param is 8 bytes/.test(l))).toBe(true);
    const secondary = await w.proc('secondary');
    expect(names(secondary.bus)).toEqual(['net_null0']);
  });

  it('SCAN_ONE sent to the primary and SCAN_REQ sent to a secondary are ignored with a log line', async () => {
    w = world();
    const primary = await w.proc('primary');
    const rawSecondary = await w.open('secondary');
    await w.run(rawSecondary.send(vdevMsg(encodeVdevParam({ type: VDEV_SCAN_ONE, num: 1, name: 'net_null9' }))));
    expect(names(primary.bus)).toEqual([]);
    expect(primary.lines.some((l) => l.includes('SCAN_ONE is for secondaries'))).toBe(true);
    const secondary = await w.proc('secondary');
    await w.run(primary.channel.send(vdevMsg(encodeVdevParam({ type: VDEV_SCAN_REQ, num: 0, name: '' }))));
    expect(secondary.lines.some((l) => l.includes('SCAN_REQ is for the primary'))).toBe(true);
  });

  it('a secondary whose primary does not answer logs the failure after 5 s and keeps its own --vdev devices', async () => {
    w = world();
    const rawPrimary = await w.open('primary');
    rawPrimary.register(VDEV_MP_KEY, () => undefined);
    const start = w.clock.now();
    const secondary = await w.proc('secondary', ['net_null4']);
    expect(w.clock.now() - start).toBe(5_000);
    expect(secondary.lines.some((l) => l.startsWith('VDEV: Failed to request vdev from primary'))).toBe(true);
    expect(names(secondary.bus)).toEqual(['net_null4']);
  });

  it('a secondary without a primary at all logs the failure and keeps its own devices', async () => {
    w = world();
    const secondary = await w.proc('secondary', ['net_null4']);
    expect(secondary.lines.some((l) => l.startsWith('VDEV: Failed to request vdev from primary'))).toBe(true);
    expect(names(secondary.bus)).toEqual(['net_null4']);
  });

  it('the action is registered once per process: a rescan or a second bus on the channel tolerates EEXIST', async () => {
    w = world();
    const primary = await w.proc('primary', ['net_null0']);
    expect(primary.bus.mpRegistered).toBe(true);
    await w.run(primary.bus.scan());
    const other = new VdevBus({ mp: primary.channel, logger: quietLogger().logger });
    await expect(w.run(other.scan())).resolves.toBeUndefined();
    expect(other.mpRegistered).toBe(false);
    expect(() => primary.channel.register(VDEV_MP_KEY, () => undefined)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    primary.bus.close();
    expect(primary.bus.mpRegistered).toBe(false);
    expect(() => primary.channel.register(VDEV_MP_KEY, () => undefined)).not.toThrow();
  });

  it('only the start-up scan of a secondary asks the primary; later scans (inside hotplug handlers) do not', async () => {
    w = world();
    const primary = await w.proc('primary', ['net_null0']);
    const secondary = await w.proc('secondary');
    await primary.bus.add('net_null1');
    await w.run(secondary.bus.scan());
    // net_null1 reaches a secondary through the hotplug broadcast, not a rescan:
    // asking again would wait on the very operation being handled.
    expect(names(secondary.bus)).toEqual(['net_null0']);
    expect(secondary.lines.filter((l) => l.startsWith('VDEV: Received'))).toEqual(['VDEV: Received 1 vdevs']);
  });

  it('the primary answers a scan request only when its scan gate lets it (between hotplug operations)', async () => {
    w = world();
    const primary = await w.proc('primary', ['net_null0']);
    let open!: () => void;
    const gateOpen = new Promise<void>((resolve) => (open = resolve));
    primary.bus.setScanGate(async (answer) => {
      await gateOpen;
      return answer();
    });
    const bus = new VdevBus({ mp: await w.open('secondary'), logger: quietLogger().logger });
    bus.registerDriver(new RecordingDriver('net_null'));
    const scanning = bus.scan();
    await w.clock.advance(10);
    expect(names(bus)).toEqual([]);
    open();
    await w.run(scanning);
    expect(names(bus)).toEqual(['net_null0']);
  });

  it('in a secondary with an allow list, devices learned from the primary are probed only if listed', async () => {
    w = world();
    await w.proc('primary', ['net_null0', 'net_null1']);
    const channel = await w.open('secondary');
    const bus = new VdevBus({ mp: channel, logger: quietLogger().logger });
    const drv = new RecordingDriver('net_null');
    bus.registerDriver(drv);
    bus.devargs.add(vdevDevargs('net_null1'), 'allowed'); // -a net_null1
    await w.run(bus.scan());
    expect(names(bus)).toEqual(['net_null0', 'net_null1']);
    expect(await bus.probe()).toEqual({ attempted: 1, probed: 1, failed: 0 });
    expect(drv.calls).toEqual(['probe net_null1']);
  });

  it('refuses a process type that contradicts the channel role (EINVAL)', async () => {
    w = world();
    const channel = await w.open('primary');
    expect(() => new VdevBus({ mp: channel, processType: 'secondary' })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(new VdevBus({ mp: channel, logger: quietLogger().logger }).processType).toBe('primary');
  });
});
