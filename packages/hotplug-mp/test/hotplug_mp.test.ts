// DPDK's hotplug_mp test plan (attach/detach from the primary and from a
// secondary, again, rollbacks, one operation at a time) over the in-memory
// transport on virtual time. Refusals, malformed messages, observer and
// local-only modes: hotplug_mp_refusals.test.ts.
import { EalError, localDevProbe } from '@eal-ts/bus';
import { describe, expect, it, vi } from 'vitest';
import { EalDevReqType, decodeEalDevMpReq, encodeEalDevMpReq } from '../src/eal_dev_mp_req.js';
import { HotplugError } from '../src/errors.js';
import { everywhere, PRIMARY, rejection, worldPerTest } from './helpers.js';

const suite = worldPerTest();
describe('attach and detach (DPDK hotplug_mp test plan)', () => {
  it('attach from the primary: every process probes the device, and each fires attached', async () => {
    const procs = await suite.trio();
    const [primary, s1, s2] = procs;
    const result = await suite.w.run(primary.hotplug.probe('net_null0,size=64'));
    expect(result).toMatchObject({ devargs: 'net_null0,size=64', bus: 'vdev', name: 'net_null0' });
    expect(result.device).toBe(primary.vdev.findDeviceByName('net_null0'));
    expect(everywhere(procs)).toEqual([['net_null0'], ['net_null0'], ['net_null0']]);
    for (const p of procs) {
      expect(p.events).toEqual([{ kind: 'attached', name: 'net_null0', rollback: false, devargs: 'net_null0,size=64' }]);
    }
    // The devargs' arguments reached the secondaries too.
    expect(s1.vdev.findDeviceByName('net_null0')?.devargs?.args).toBe('size=64');
    expect(suite.w.wire).toEqual([
      `primary out REQ ATTACH net_null0,size=64 -> ${s1.channel.path.slice(-16)}`,
      `primary out REQ ATTACH net_null0,size=64 -> ${s2.channel.path.slice(-16)}`,
      `mp_socket_1000_a out REP ATTACH net_null0,size=64 = 0 -> mp_socket`,
      `mp_socket_1001_a out REP ATTACH net_null0,size=64 = 0 -> mp_socket`,
    ]);
  });

  it('detach from the primary: every process removes the device, and DETACH carries <bus>:<name>,', async () => {
    const procs = await suite.trio();
    const [primary] = procs;
    await suite.w.run(primary.hotplug.probe('net_null0'));
    suite.w.wire.length = 0;
    await suite.w.run(primary.hotplug.remove('net_null0'));
    expect(everywhere(procs)).toEqual([[], [], []]);
    expect(suite.w.wire.filter((l) => l.includes('out REQ'))).toEqual([
      'primary out REQ DETACH vdev:net_null0, -> mp_socket_1000_a',
      'primary out REQ DETACH vdev:net_null0, -> mp_socket_1001_a',
    ]);
    for (const p of procs) expect(p.events.at(-1)).toEqual({ kind: 'detached', name: 'net_null0', rollback: false, devargs: 'vdev:net_null0,' });
  });

  it('attach from a secondary: the primary runs the whole operation and the asker probes through the broadcast', async () => {
    const procs = await suite.trio();
    const [primary, s1, s2] = procs;
    const result = await suite.w.run(s1.hotplug.probe('net_null1'));
    expect(result.device).toBe(s1.vdev.findDeviceByName('net_null1'));
    expect(result.device?.driver).toBe(s1.driver);
    expect(everywhere(procs)).toEqual([['net_null1'], ['net_null1'], ['net_null1']]);
    // s1 asked, the primary broadcast (to s1 as well), then answered s1.
    expect(suite.w.wire).toEqual([
      'mp_socket_1000_a out REQ ATTACH net_null1 -> mp_socket',
      'primary out REQ ATTACH net_null1 -> mp_socket_1000_a',
      'primary out REQ ATTACH net_null1 -> mp_socket_1001_a',
      'mp_socket_1000_a out REP ATTACH net_null1 = 0 -> mp_socket',
      'mp_socket_1001_a out REP ATTACH net_null1 = 0 -> mp_socket',
      'primary out REP ATTACH net_null1 = 0 -> mp_socket_1000_a',
    ]);
    for (const p of [primary, s1, s2]) expect(p.events.map((e) => e.kind)).toEqual(['attached']);
  });

  it('detach from a secondary: every process removes the device', async () => {
    const procs = await suite.trio();
    const [primary, s1, s2] = procs;
    await suite.w.run(primary.hotplug.probe('net_null1'));
    await suite.w.run(s2.hotplug.remove(s2.vdev.findDeviceByName('net_null1')!));
    expect(everywhere(procs)).toEqual([[], [], []]);
    expect(suite.w.wire.at(-1)).toBe('primary out REP DETACH vdev:net_null1, = 0 -> mp_socket_1001_a');
    for (const p of [primary, s1, s2]) expect(p.events.map((e) => e.kind)).toEqual(['attached', 'detached']);
  });

  it('hotplugAdd/hotplugRemove build <bus>:<name>,<args> (rte_eal_hotplug_add/remove)', async () => {
    const procs = await suite.trio();
    const [primary, s1] = procs;
    const added = await suite.w.run(s1.hotplug.hotplugAdd('vdev', 'net_null7', 'size=8'));
    expect(added).toMatchObject({ devargs: 'vdev:net_null7,size=8', bus: 'vdev', name: 'net_null7' });
    expect(everywhere(procs)).toEqual([['net_null7'], ['net_null7'], ['net_null7']]);
    expect(primary.vdev.findDeviceByName('net_null7')?.devargs?.args).toBe('size=8');
    await suite.w.run(primary.hotplug.hotplugRemove('vdev', 'net_null7'));
    expect(everywhere(procs)).toEqual([[], [], []]);
    expect(await rejection(suite.w, primary.hotplug.hotplugRemove('pci', 'x'))).toMatchObject({ code: 'ENOENT' });
    expect(await rejection(suite.w, primary.hotplug.hotplugRemove('vdev', 'net_null7'))).toMatchObject({ code: 'EINVAL', errno: -22 });
  });
});

describe('the same operation again', () => {
  it('attach of a device every process has: success, state unchanged (EEXIST tolerated everywhere)', async () => {
    const procs = await suite.trio();
    const [primary, s1] = procs;
    await suite.w.run(primary.hotplug.probe('net_null0'));
    const calls = procs.map((p) => p.driver.calls.length);
    await expect(suite.w.run(primary.hotplug.probe('net_null0'))).resolves.toMatchObject({ name: 'net_null0' });
    await expect(suite.w.run(s1.hotplug.probe('net_null0'))).resolves.toMatchObject({ name: 'net_null0' });
    expect(everywhere(procs)).toEqual([['net_null0'], ['net_null0'], ['net_null0']]);
    expect(procs.map((p) => p.driver.calls.length)).toEqual(calls);
    // The secondaries answered EEXIST, which the primary tolerates.
    expect(suite.w.wire.filter((l) => l.includes('out REP ATTACH net_null0 = -17'))).toHaveLength(4);
    for (const p of procs) expect(p.events.map((e) => e.kind)).toEqual(['attached']);
  });

  it('attach of a device only the primary has brings the secondaries in sync (DPDK syncs on EEXIST)', async () => {
    const procs = await suite.trio();
    const [primary] = procs;
    // Probed in the primary alone, as at start-up before the secondaries came.
    await localDevProbe(primary.buses, 'net_null3');
    expect(everywhere(procs)).toEqual([['net_null3'], [], []]);
    await suite.w.run(primary.hotplug.probe('net_null3'));
    expect(everywhere(procs)).toEqual([['net_null3'], ['net_null3'], ['net_null3']]);
  });

  it('detach of a device already gone: ENOENT in the asking process, nothing sent, state unchanged', async () => {
    const procs = await suite.trio();
    const [primary, s1] = procs;
    await suite.w.run(primary.hotplug.probe('net_null0'));
    await suite.w.run(primary.hotplug.remove('net_null0'));
    suite.w.wire.length = 0;
    for (const p of [primary, s1]) {
      const error = await rejection(suite.w, p.hotplug.remove('vdev:net_null0,'));
      expect(error).toBeInstanceOf(HotplugError);
      expect(error).toMatchObject({ code: 'ENOENT', errno: -2, stage: 'local' });
    }
    expect(suite.w.wire).toEqual([]);
    expect(everywhere(procs)).toEqual([[], [], []]);
  });

  it("a secondary's DETACH of a device the primary does not have: -ENOENT after the broadcast went out (as DPDK 22.11)", async () => {
    const procs = await suite.trio();
    const raw = procs[1].channel; // asks as a bare channel: no local check
    const res = await suite.rawRequest(raw, encodeEalDevMpReq({ t: EalDevReqType.DETACH, devargs: 'vdev:net_null9,', result: 0 }));
    expect(decodeEalDevMpReq(res.replies[0]!.param)).toEqual({ t: EalDevReqType.DETACH, devargs: 'vdev:net_null9,', result: -2 });
    expect(suite.w.wire.filter((l) => l.startsWith('primary out REQ DETACH'))).toHaveLength(2);
    expect(suite.w.wire.some((l) => l.includes('ROLLBACK'))).toBe(false);
  });

  it("a secondary's ATTACH of a device every process has answers 0 (as DPDK 22.11)", async () => {
    const procs = await suite.trio();
    await suite.w.run(procs[0].hotplug.probe('net_null0'));
    const res = await suite.rawRequest(procs[2].channel, encodeEalDevMpReq({ t: EalDevReqType.ATTACH, devargs: 'net_null0', result: 0 }));
    expect(decodeEalDevMpReq(res.replies[0]!.param).result).toBe(0);
  });
});

describe('rollback', () => {
  it('a secondary failing an attach: rolled back in every process; the error names the secondary', async () => {
    const procs = await suite.trio();
    const [primary, s1, s2] = procs;
    s2.driver.failProbe = new EalError('ENOMEM', 'no memory for the queues');
    const error = await rejection(suite.w, primary.hotplug.probe('net_null0'));
    expect(error).toBeInstanceOf(HotplugError);
    expect(error).toMatchObject({ code: 'ENOMEM', errno: -12, op: 'attach', stage: 'secondary', peer: s2.channel.path, rolledBack: true });
    expect(error.message).toContain(`secondary ${s2.channel.path} answered ATTACH net_null0 with ENOMEM (-12)`);
    expect(everywhere(procs)).toEqual([[], [], []]);
    expect(suite.w.wire.filter((l) => l.includes('ATTACH_ROLLBACK') && l.includes('out REQ'))).toHaveLength(2);
    // Every process heard of it.
    for (const p of procs) expect(p.events.filter((e) => e.kind === 'rolled-back')).toMatchObject([{ op: 'attach', name: 'net_null0', code: 'ENOMEM', errno: -12 }]);
    expect(primary.events.find((e) => e.kind === 'rolled-back')).toMatchObject({ peer: s2.channel.path });
    expect(primary.events.map((e) => e.kind)).toEqual(['attached', 'detached', 'rolled-back']);
    expect(s1.events.map((e) => e.kind)).toEqual(['attached', 'detached', 'rolled-back']);
    expect(s1.events[1]).toMatchObject({ rollback: true });
    expect(s2.events.map((e) => e.kind)).toEqual(['rolled-back']);
  });

  it('a secondary failing an attach asked by another secondary: the asker gets the errno, nobody keeps the device', async () => {
    const procs = await suite.trio();
    const [, s1, s2] = procs;
    s2.driver.failProbe = new EalError('EBUSY', 'busy');
    const error = await rejection(suite.w, s1.hotplug.probe('net_null0'));
    expect(error).toMatchObject({ code: 'EBUSY', errno: -16, stage: 'primary', peer: PRIMARY });
    expect(everywhere(procs)).toEqual([[], [], []]);
    // DPDK's answer after a rollback carries the rollback type.
    expect(suite.w.wire.at(-1)).toBe('primary out REP ATTACH_ROLLBACK net_null0 = -16 -> mp_socket_1000_a');
  });

  it('a failed sync of a device the primary already had removes it from the primary too (DPDK rollback rule)', async () => {
    const procs = await suite.trio();
    const [primary, , s2] = procs;
    await localDevProbe(primary.buses, 'net_null3'); // probed before the secondaries were told
    s2.driver.failProbe = new EalError('ENOMEM', 'no memory');
    const error = await rejection(suite.w, primary.hotplug.probe('net_null3'));
    expect(error).toMatchObject({ code: 'ENOMEM', rolledBack: true });
    expect(everywhere(procs)).toEqual([[], [], []]);
  });

  it('a primary alone attaches and detaches without a request on the channel; with a secondary, it asks again', async () => {
    const w = suite.fresh();
    const primary = await w.open('primary');
    const request = vi.spyOn(primary.channel, 'request');
    await w.run(primary.hotplug.probe('net_null0'));
    await w.run(primary.hotplug.remove('net_null0'));
    expect(request).not.toHaveBeenCalled();
    expect(primary.events.map((e) => e.kind)).toEqual(['attached', 'detached']);
    const s1 = await w.open('secondary');
    await w.run(primary.hotplug.probe('net_null0'));
    expect(request).toHaveBeenCalledTimes(1);
    expect(everywhere([primary, s1])).toEqual([['net_null0'], ['net_null0']]);
  });

  it('the primary failing its own probe: nothing broadcast, the error returned', async () => {
    const procs = await suite.trio();
    procs[0].driver.failProbe = new EalError('EIO', 'hardware on fire');
    const error = await rejection(suite.w, procs[0].hotplug.probe('net_null0'));
    expect(error).toMatchObject({ code: 'EIO', stage: 'local', rolledBack: false });
    expect(suite.w.wire).toEqual([]);
  });

  it('a secondary never answering: the attach times out (virtual 5 s) and is rolled back everywhere', async () => {
    const procs = await suite.trio();
    const [primary, s1, s2] = procs;
    suite.w.network.drop = (from) => from === s2.channel.path; // s2 works but its answers are lost
    const error = await rejection(suite.w, primary.hotplug.probe('net_null0'));
    expect(suite.w.clock.now()).toBeGreaterThanOrEqual(5000);
    expect(error).toMatchObject({ code: 'ENOMSG', errno: -42, stage: 'ipc', rolledBack: true });
    expect(error.message).toContain('1 of 2 secondaries did not answer ATTACH net_null0 within 5000 ms');
    expect(everywhere(procs)).toEqual([[], [], []]);
    expect(s2.driver.calls).toEqual(['probe net_null0', 'remove net_null0']);
    expect(s1.events.map((e) => e.kind)).toEqual(['attached', 'detached', 'rolled-back']);
  });

  it('a secondary asking and the primary never answering: ETIMEDOUT', async () => {
    const procs = await suite.trio({ timeoutMs: 200 });
    const [primary, s1] = procs;
    await primary.hotplug.stop(); // nobody handles the request any more
    const error = await rejection(suite.w, s1.hotplug.probe('net_null0'));
    expect(error).toMatchObject({ code: 'ETIMEDOUT', errno: -110, stage: 'ipc', peer: PRIMARY });
    expect(suite.w.clock.now()).toBe(200);
  });

  it('a secondary that stops waiting (AbortSignal): ECANCELED', async () => {
    const procs = await suite.trio();
    const [primary, s1] = procs;
    await primary.hotplug.stop();
    const controller = new AbortController();
    const pending = s1.hotplug.probe('net_null0', { signal: controller.signal });
    pending.catch(() => undefined);
    await suite.w.clock.advance(100);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ECANCELED', errno: -125, stage: 'ipc' });
    expect(suite.w.clock.now()).toBe(100);
  });

  it('a secondary refusing DETACH: the others probe it again, the primary keeps it', async () => {
    const procs = await suite.trio();
    const [primary, s1, s2] = procs;
    await suite.w.run(primary.hotplug.probe('net_null0,size=64'));
    s2.driver.failRemove = new EalError('EBUSY', 'port still started');
    const error = await rejection(suite.w, primary.hotplug.remove('net_null0'));
    expect(error).toMatchObject({ code: 'EBUSY', errno: -16, op: 'detach', peer: s2.channel.path, rolledBack: true });
    expect(error.message).toContain(`secondary ${s2.channel.path} answered DETACH vdev:net_null0, with EBUSY (-16)`);
    expect(everywhere(procs)).toEqual([['net_null0'], ['net_null0'], ['net_null0']]);
    expect(s1.driver.calls).toEqual(['probe net_null0', 'remove net_null0', 'probe net_null0']);
    expect(primary.driver.calls).toEqual(['probe net_null0']);
    expect(s1.events.map((e) => `${e.kind}${'rollback' in e && e.rollback ? ' (rollback)' : ''}`)).toEqual([
      'attached',
      'detached',
      'attached (rollback)',
      'rolled-back',
    ]);
    expect(primary.events.at(-1)).toMatchObject({ kind: 'rolled-back', op: 'detach', peer: s2.channel.path, code: 'EBUSY' });
  });

  it('the primary failing its own remove: the secondaries probe the device again', async () => {
    const procs = await suite.trio();
    const [primary, s1] = procs;
    await suite.w.run(primary.hotplug.probe('net_null0'));
    primary.driver.failRemove = new EalError('EBUSY', 'in use');
    const error = await rejection(suite.w, s1.hotplug.remove('net_null0'));
    expect(error).toMatchObject({ code: 'EBUSY', stage: 'primary' });
    expect(everywhere(procs)).toEqual([['net_null0'], ['net_null0'], ['net_null0']]);
    expect(suite.w.wire.filter((l) => l.startsWith('primary out REQ DETACH_ROLLBACK'))).toHaveLength(2);
  });
});

describe('one operation at a time', () => {
  it('the primary serialises its own call and two secondaries asking at once, in arrival order', async () => {
    const procs = await suite.trio();
    const [primary, s1, s2] = procs;
    // Every datagram takes 10 ms, so an interleaving would show.
    suite.w.network.delay = () => 10;
    const ops = [s2.hotplug.probe('net_null2'), s1.hotplug.probe('net_null1'), primary.hotplug.probe('net_null0')];
    expect(primary.hotplug.queued).toBe(1);
    for (const op of ops) op.catch(() => undefined);
    await suite.w.clock.runAll();
    await Promise.all(ops);
    const primaryOut = suite.w.wire.filter((l) => l.startsWith('primary out'));
    // The primary's own call came first; then s2's request (sent first), then s1's.
    expect(primaryOut.map((l) => l.replace(/ -> .*/, ''))).toEqual([
      'primary out REQ ATTACH net_null0',
      'primary out REQ ATTACH net_null0',
      'primary out REQ ATTACH net_null2',
      'primary out REQ ATTACH net_null2',
      'primary out REP ATTACH net_null2 = 0',
      'primary out REQ ATTACH net_null1',
      'primary out REQ ATTACH net_null1',
      'primary out REP ATTACH net_null1 = 0',
    ]);
    // No broadcast starts before every answer to the previous one came in.
    const broadcastsAndAnswers = primary.traffic
      .filter((l) => /^(out REQ|in REP)/.test(l))
      .map((l) => l.split(' ').slice(0, 4).join(' '));
    expect(broadcastsAndAnswers).toEqual([
      'out REQ ATTACH net_null0',
      'out REQ ATTACH net_null0',
      'in REP ATTACH net_null0',
      'in REP ATTACH net_null0',
      'out REQ ATTACH net_null2',
      'out REQ ATTACH net_null2',
      'in REP ATTACH net_null2',
      'in REP ATTACH net_null2',
      'out REQ ATTACH net_null1',
      'out REQ ATTACH net_null1',
      'in REP ATTACH net_null1',
      'in REP ATTACH net_null1',
    ]);
    expect(everywhere(procs)).toEqual(procs.map(() => ['net_null0', 'net_null1', 'net_null2']));
  });

  it('an operation aborted while queued leaves the queue without running', async () => {
    const procs = await suite.trio();
    const [primary] = procs;
    const first = primary.hotplug.probe('net_null0');
    const controller = new AbortController();
    const second = primary.hotplug.probe('net_null1', { signal: controller.signal });
    const third = primary.hotplug.probe('net_null2');
    controller.abort();
    await expect(suite.w.run(second)).rejects.toMatchObject({ code: 'ECANCELED', devargs: 'net_null1' });
    await suite.w.run(first);
    await suite.w.run(third);
    expect(everywhere(procs)).toEqual(procs.map(() => ['net_null0', 'net_null2']));
  });
});
