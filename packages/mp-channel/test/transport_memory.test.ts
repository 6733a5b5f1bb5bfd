// The in-memory network's fault injection: a paused receiver (SIGSTOP) and
// what is still in flight, as the hotplug simulator drives them.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../src/clock.js';
import { MemoryNetwork } from '../src/transport_memory.js';
import type { ReceivedDatagram } from '../src/transport.js';

const DIR = '/run/test/dpdk/rte';

async function pair(delay?: (from: string, to: string) => number) {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock, ...(delay ? { delay } : {}) });
  const got: string[] = [];
  const receive = (d: ReceivedDatagram) => got.push(`${d.peer.slice(DIR.length + 1)}:${new TextDecoder().decode(d.data)}`);
  const a = await network.transport().bind(`${DIR}/mp_socket_a`, receive);
  const b = await network.transport().bind(`${DIR}/mp_socket_b`, receive);
  const c = await network.transport().bind(`${DIR}/mp_socket_c`, receive);
  return { clock, network, got, a, b, c };
}

const bytes = (s: string) => new TextEncoder().encode(s);

describe('MemoryNetwork pause and resume', () => {
  it('holds every datagram to a paused receiver, in order, and hands them over on resume', async () => {
    const { clock, network, got, a, b, c } = await pair();
    network.pause(c.path);
    expect(network.isPaused(c.path)).toBe(true);
    await a.send(c.path, bytes('1'), []);
    await b.send(c.path, bytes('2'), []);
    await a.send(c.path, bytes('3'), []);
    await a.send(b.path, bytes('to-b'), []);
    await clock.runAll();
    // b is not paused: its datagram arrived; c's wait.
    expect(got).toEqual(['mp_socket_a:to-b']);
    expect(network.inFlight).toBe(3);
    network.resume(c.path);
    expect(got).toEqual(['mp_socket_a:to-b', 'mp_socket_a:1', 'mp_socket_b:2', 'mp_socket_a:3']);
    expect(network.inFlight).toBe(0);
    expect(network.isPaused(c.path)).toBe(false);
  });

  it('resume of a receiver that was never paused changes nothing; a paused then killed receiver loses its queue', async () => {
    const { clock, network, got, a, c } = await pair();
    network.resume(c.path);
    network.pause(c.path);
    await a.send(c.path, bytes('lost'), []);
    await clock.runAll();
    network.kill(c.path);
    network.resume(c.path);
    expect(got).toEqual([]);
    expect(network.inFlight).toBe(0);
    // Sends to the killed process are refused, as to a dead process's socket.
    await expect(a.send(c.path, bytes('x'), [])).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('counts datagrams in transit under a delay, and reorders deliveries to different receivers', async () => {
    const { clock, network, got, a, b, c } = await pair((_from, to) => (to.endsWith('_b') ? 50 : 10));
    await a.send(b.path, bytes('first'), []);
    await a.send(c.path, bytes('second'), []);
    expect(network.inFlight).toBe(2);
    await clock.advance(20);
    expect(got).toEqual(['mp_socket_a:second']);
    await clock.advance(40);
    expect(got).toEqual(['mp_socket_a:second', 'mp_socket_a:first']);
    expect(network.inFlight).toBe(0);
  });
});
