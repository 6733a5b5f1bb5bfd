// DPDK's hotplug_mp test plan, continued (hotplug_mp.test.ts has the
// operations): what every process refuses and how it answers malformed or
// unexpected requests, observer and local-only modes; over the in-memory
// transport on virtual time.
import { BusRegistry, EalError } from '@eal-ts/bus';
import { LogRegistry } from '@eal-ts/log';
import { describe, expect, it } from 'vitest';
import { EAL_DEV_MP_ACTION_REQUEST, EalDevReqType, decodeEalDevMpReq, encodeEalDevMpReq } from '../src/eal_dev_mp_req.js';
import { Hotplug } from '../src/eal_common_dev.js';
import { everywhere, TestDriver, TestVdevBus, rejection, worldPerTest } from './helpers.js';

const suite = worldPerTest();

describe('refusals and malformed messages', () => {
  const long = `net_null0,${'x'.repeat(120)}`;

  it('devargs over 127 bytes are refused with E2BIG before anything is sent, in any process', async () => {
    const procs = await suite.trio();
    for (const p of procs) {
      const error = await rejection(suite.w, p.hotplug.probe(long));
      expect(error).toMatchObject({ code: 'E2BIG', errno: -7, stage: 'local' });
      expect(error.message).toContain('at most 127');
    }
    expect(suite.w.wire).toEqual([]);
    expect(() => encodeEalDevMpReq({ t: EalDevReqType.ATTACH, devargs: long, result: 0 })).toThrow(/at most 127/);
  });

  it('unknown devargs: -EFAULT from the primary (no bus claims them), nothing broadcast', async () => {
    const procs = await suite.trio();
    const [primary, s1] = procs;
    expect(await rejection(suite.w, primary.hotplug.probe('net_bogus0'))).toMatchObject({ code: 'EFAULT', errno: -14, stage: 'local' });
    expect(await rejection(suite.w, s1.hotplug.probe('net_bogus0'))).toMatchObject({ code: 'EFAULT', errno: -14, stage: 'primary' });
    expect(suite.w.wire.filter((l) => l.startsWith('primary out REQ'))).toEqual([]);
  });

  it('malformed params are answered -EINVAL and logged; rollback types from a secondary -ENOTSUP', async () => {
    const procs = await suite.trio();
    const [primary, s1] = procs;
    const ask = async (param: Uint8Array) => decodeEalDevMpReq((await suite.rawRequest(s1.channel, param)).replies[0]!.param);

    const short = await suite.rawRequest(s1.channel, Uint8Array.from([1, 0, 0, 0, 0x41]));
    expect(decodeEalDevMpReq(short.replies[0]!.param)).toMatchObject({ t: EalDevReqType.DETACH, result: -22 });
    expect(primary.lines.some((l) => l.includes('Malformed eal_dev_mp_request') && l.includes('param is 5 bytes, expected 136'))).toBe(true);

    const badType = encodeEalDevMpReq({ t: EalDevReqType.ATTACH, devargs: 'net_null0', result: 0 });
    new DataView(badType.buffer).setInt32(0, 9, true);
    const badTypeReply = await suite.rawRequest(s1.channel, badType);
    expect(new DataView(badTypeReply.replies[0]!.param.buffer).getInt32(132, true)).toBe(-22);
    expect(primary.lines.some((l) => l.includes('unknown request type 9'))).toBe(true);

    const unterminated = encodeEalDevMpReq({ t: EalDevReqType.ATTACH, devargs: '', result: 0 });
    unterminated.fill(0x61, 4, 132);
    const unterminatedReply = await suite.rawRequest(s1.channel, unterminated);
    expect(new DataView(unterminatedReply.replies[0]!.param.buffer).getInt32(132, true)).toBe(-22);
    expect(primary.lines.some((l) => l.includes('not NUL-terminated'))).toBe(true);

    expect(await ask(encodeEalDevMpReq({ t: EalDevReqType.ATTACH_ROLLBACK, devargs: 'net_null0', result: 0 }))).toMatchObject({ result: -95 });
    expect(everywhere(procs)).toEqual([[], [], []]);

    // The other way: the primary's channel sends a malformed request to every secondary.
    const res = await suite.w.run(primary.channel.request({ name: EAL_DEV_MP_ACTION_REQUEST, param: Uint8Array.from([0, 0]), fds: [] }, { timeoutMs: 5000 }));
    expect(res.nbReceived).toBe(2);
    for (const r of res.replies) expect(new DataView(r.param.buffer).getInt32(132, true)).toBe(-22);
    for (const s of procs.slice(1)) expect(s.lines.some((l) => l.includes('Malformed eal_dev_mp_request from primary'))).toBe(true);
  });

  it('a DETACH of a device listed but not probed in a secondary answers -ENODEV (DPDK), ATTACH_ROLLBACK of it 0', async () => {
    const procs = await suite.trio();
    const [primary, , s2] = procs;
    const send = (t: EalDevReqType) =>
      suite.w.run(primary.channel.request({ name: EAL_DEV_MP_ACTION_REQUEST, param: encodeEalDevMpReq({ t, devargs: 'vdev:net_null0,', result: 0 }), fds: [] }, { timeoutMs: 5000 }));
    s2.driver.failProbe = new EalError('EIO', 'no');
    await suite.w.run(s2.hotplug.probe('net_null0')).catch(() => undefined); // leaves net_null0 listed, unprobed in s2
    s2.driver.failProbe = null;
    expect(s2.vdev.devices().map((d) => d.name)).toEqual(['net_null0']);
    const detach = await send(EalDevReqType.DETACH);
    const results = Object.fromEntries(detach.replies.map((r) => [r.peer, decodeEalDevMpReq(r.param).result]));
    expect(results[s2.channel.path]).toBe(-19);
    const rollback = await send(EalDevReqType.ATTACH_ROLLBACK);
    expect(rollback.replies.map((r) => decodeEalDevMpReq(r.param).result)).toEqual([0, 0]);
  });

  it("a DETACH / ATTACH_ROLLBACK of a device no bus here recognises (a DPDK-only driver): -ENOENT / 0, so the DPDK primary's detach goes on", async () => {
    const procs = await suite.trio();
    const [primary] = procs;
    const send = (t: EalDevReqType) =>
      suite.w.run(primary.channel.request({ name: EAL_DEV_MP_ACTION_REQUEST, param: encodeEalDevMpReq({ t, devargs: 'vdev:net_ring0,', result: 0 }), fds: [] }, { timeoutMs: 5000 }));
    const detach = await send(EalDevReqType.DETACH);
    expect(detach.replies.map((r) => decodeEalDevMpReq(r.param).result)).toEqual([-2, -2]);
    const rollback = await send(EalDevReqType.ATTACH_ROLLBACK);
    expect(rollback.replies.map((r) => decodeEalDevMpReq(r.param).result)).toEqual([0, 0]);
  });

  it('observer mode: every request answered 0 without a driver, the mirror follows the primary, one event each', async () => {
    suite.fresh();
    const primary = await suite.w.open('primary');
    const observer = await suite.w.open('secondary', { observer: true });
    const seen: unknown[] = [];
    observer.hotplug.on('observed', (e) => void seen.push(e));
    observer.hotplug.seedMirror(['net_null0']);
    const send = (t: EalDevReqType, devargs: string) =>
      suite.w.run(primary.channel.request({ name: EAL_DEV_MP_ACTION_REQUEST, param: encodeEalDevMpReq({ t, devargs, result: 0 }), fds: [] }, { timeoutMs: 5000 }));
    for (const [t, devargs] of [
      [EalDevReqType.ATTACH, 'net_ring0'],
      [EalDevReqType.ATTACH, 'vdev:net_bogus1,x=1'],
      [EalDevReqType.ATTACH_ROLLBACK, 'net_bogus1,x=1'],
      [EalDevReqType.DETACH, 'vdev:net_ring0,'],
      [EalDevReqType.DETACH_ROLLBACK, 'vdev:net_ring0,'],
    ] as const) {
      const res = await send(t, devargs);
      expect(res.replies.map((r) => decodeEalDevMpReq(r.param).result)).toEqual([0]);
    }
    expect(observer.hotplug.mirror).toEqual(['net_null0', 'net_ring0']);
    expect(seen.map((e) => (e as { type: string; name: string }).type + ' ' + (e as { name: string }).name)).toEqual([
      'ATTACH net_ring0',
      'ATTACH net_bogus1',
      'ATTACH_ROLLBACK net_bogus1',
      'DETACH net_ring0',
      'DETACH_ROLLBACK net_ring0',
    ]);
    expect(seen[3]).toMatchObject({ op: 'detach', rollback: false, devargs: 'vdev:net_ring0,', devices: ['net_null0'] });
    expect(observer.probed()).toEqual([]); // no driver ran
    expect(() => new Hotplug({ role: 'primary', buses: primary.buses, observer: true })).toThrow(/observer mode is for a secondary/);
  });

  it('start() twice on one channel: EEXIST', async () => {
    const procs = await suite.trio();
    const other = new Hotplug({ role: 'primary', buses: procs[0].buses, channel: procs[0].channel, logger: procs[0].channel.logger });
    await expect(other.start()).rejects.toMatchObject({ code: 'EEXIST', name: 'HotplugError' });
    expect(() => new Hotplug({ role: 'secondary', buses: procs[0].buses, channel: procs[0].channel })).toThrow(/does not match/);
  });
});

describe('local-only mode (no channel: --in-memory / --no-shconf)', () => {
  it('attach and detach act in this process only, with events', async () => {
    suite.fresh();
    const logger = new LogRegistry({ sink: () => undefined }).register('lib.eal');
    const buses = new BusRegistry({ logger });
    const vdev = new TestVdevBus(logger);
    buses.register(vdev);
    vdev.registerDriver(new TestDriver('net_null'));
    const hotplug = new Hotplug({ role: 'primary', buses, logger });
    await hotplug.start();
    const kinds: string[] = [];
    hotplug.on('attached', (e) => kinds.push(`attached ${e.name}`));
    hotplug.on('detached', (e) => kinds.push(`detached ${e.name}`));
    const { device } = await hotplug.probe('net_null0');
    expect(device?.driver).not.toBeNull();
    await expect(hotplug.probe('net_null0')).resolves.toMatchObject({ name: 'net_null0' }); // EEXIST is success, as DPDK
    await hotplug.remove(device!);
    await expect(hotplug.remove('net_null0')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(kinds).toEqual(['attached net_null0', 'detached net_null0']);
    await hotplug.stop();
  });
});
