import { expect, it } from 'vitest';
import { VirtualClock } from '../src/clock.js';
import { MpChannel } from '../src/eal_common_proc.js';
import type { MpTrace } from '../src/mp_types.js';
import { MpParamDecoders, openMpObserver } from '../src/mp_observer.js';
import { MemoryNetwork } from '../src/transport_memory.js';

const DIR = '/run/test/dpdk/rte';

it('an observer answers every REQ with IGN, so the requester counts only the real peers', async () => {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock });
  const primary = await MpChannel.open({ transport: network.transport(), role: 'primary', runtimeDir: DIR, clock });
  const real = await MpChannel.open({ transport: network.transport(), role: 'secondary', runtimeDir: DIR, clock, socketPath: `${DIR}/mp_socket_1_a` });
  real.register('op', (m, peer) => real.reply({ name: 'op', param: Uint8Array.from([1]), fds: [] }, peer).then(() => undefined));
  const traces: MpTrace[] = [];
  const observer = await openMpObserver({ transport: network.transport(), runtimeDir: DIR, socketPath: `${DIR}/mp_socket_2_b`, onTrace: (t) => traces.push(t) });
  const asked = primary.request({ name: 'op', param: Uint8Array.from([5]), fds: [] }, { timeoutMs: 1000 });
  await clock.runAll();
  const response = await asked;
  expect(response.nbSent).toBe(1);
  expect(response.nbReceived).toBe(1);
  expect(response.replies.map((r) => r.peer)).toEqual([real.path]);
  // Nothing waited for the timeout.
  expect(clock.now()).toBeLessThan(1000);
  expect(traces.map((t) => `${t.dir} ${t.type} ${t.name}`)).toEqual(['in REQ op', 'out IGN op']);
  // A MSG is only watched; an unknown action's REQ after init is still answered IGN.
  observer.initComplete();
  await primary.send({ name: 'note', param: new Uint8Array(), fds: [] });
  const other = primary.request({ name: 'nobody-has-this', param: new Uint8Array(), fds: [] }, { timeoutMs: 1000 });
  await clock.runAll();
  expect(await other).toEqual({ nbSent: 0, nbReceived: 0, replies: [] });
  expect(traces.slice(2).map((t) => `${t.dir} ${t.type} ${t.name}`)).toEqual(['in MSG note', 'in REQ nobody-has-this', 'out IGN nobody-has-this']);
  await Promise.all([primary.close(), real.close(), observer.close()]);
});

it('param decoders: registered by action, a refusal shows why, IGN and unknown actions are not decoded', () => {
  const decoders = new MpParamDecoders().register('op', (p) => {
    if (p.length !== 1) throw new Error(`param is ${p.length} bytes, expected 1`);
    return `value ${p[0]}`;
  });
  expect(decoders.has('op')).toBe(true);
  expect(decoders.describe('op', Uint8Array.from([3]))).toBe('value 3');
  expect(decoders.describe('op', new Uint8Array(2))).toBe('undecodable: param is 2 bytes, expected 1');
  expect(decoders.describe('other', new Uint8Array(1))).toBeUndefined();
  expect(decoders.describeTrace({ type: 'IGN', name: 'op', param: new Uint8Array() })).toBeUndefined();
  expect(decoders.describeTrace({ type: 'REP', name: 'op', param: Uint8Array.from([4]) })).toBe('value 4');
  expect(() => decoders.register('x', 'nope' as never)).toThrow(TypeError);
});
