import type { EthDev } from '@eal-ts/ethdev';
import { describe, expect, it } from 'vitest';

import { NULL_MAX_QUEUES, NullPortOps, parseNullArgs } from '../src/index.js';
import { inMemoryWorld } from './helpers.js';

async function port(args = ''): Promise<EthDev> {
  const w = inMemoryWorld();
  await w.bus.add('net_null0', args);
  return (await w.ports.find('net_null0'))!;
}

const zero = { imissed: 0, ierrors: 0, oerrors: 0 };

describe('net_null rx/tx bursts and stats', () => {
  it('rx returns as many packets as asked, each `size` zeroed bytes (default 64)', async () => {
    const p = await port();
    const packets = await p.rxBurst(0, 32);
    expect(packets).toHaveLength(32);
    for (const packet of packets) {
      expect(packet).toBeInstanceOf(Uint8Array);
      expect(packet.byteLength).toBe(64);
      expect(packet.every((b) => b === 0)).toBe(true);
    }
    expect(new Set(packets.map((x) => x.buffer)).size).toBe(32);
    expect(await p.stats()).toEqual({ ipackets: 32, ibytes: 32 * 64, opackets: 0, obytes: 0, ...zero });
  });

  it('rx packets have the configured size (size=128, size=0)', async () => {
    expect((await (await port('size=128')).rxBurst(0, 4)).map((x) => x.byteLength)).toEqual([128, 128, 128, 128]);
    expect((await (await port('size=0')).rxBurst(0, 2)).map((x) => x.byteLength)).toEqual([0, 0]);
  });

  it('tx takes every packet, drops it, and counts packets and their bytes', async () => {
    const p = await port();
    const sent = [new Uint8Array(60), new Uint8Array(1500), new Uint8Array(9000)];
    expect(await p.txBurst(0, sent)).toBe(3);
    expect(await p.txBurst(0, [new Uint8Array(64)])).toBe(1);
    expect(await p.rxBurst(0, 1)).toHaveLength(1); // nothing loops back: rx is independent of tx
    expect(await p.stats()).toEqual({ ipackets: 1, ibytes: 64, opackets: 4, obytes: 60 + 1500 + 9000 + 64, ...zero });
  });

  it('counts across queues and sums them in the port stats', async () => {
    const p = await port('size=100');
    await p.rxBurst(0, 2);
    await p.rxBurst(3, 5);
    await p.txBurst(1, [new Uint8Array(10)]);
    await p.txBurst(7, [new Uint8Array(20), new Uint8Array(30)]);
    expect(await p.stats()).toEqual({ ipackets: 7, ibytes: 700, opackets: 3, obytes: 60, ...zero });
  });

  it('a queue id past RTE_MAX_QUEUES_PER_PORT moves nothing (DPDK: no such queue)', async () => {
    const p = await port();
    expect(await p.rxBurst(NULL_MAX_QUEUES, 8)).toEqual([]);
    expect(await p.txBurst(NULL_MAX_QUEUES, [new Uint8Array(1)])).toBe(0);
    expect(await p.stats()).toEqual({ ipackets: 0, ibytes: 0, opackets: 0, obytes: 0, ...zero });
  });

  it('copy=1: rx packets are independent copies of the queue dummy packet; tx still drops and counts', async () => {
    const p = await port('copy=1,size=16');
    const first = await p.rxBurst(0, 2);
    expect(first.map((x) => x.byteLength)).toEqual([16, 16]);
    first[0]!.fill(0xff);
    expect(first[1]!.every((b) => b === 0)).toBe(true);
    // tx copies into the tx queue's dummy, which rx never reads (as in DPDK).
    expect(await p.txBurst(0, [new Uint8Array(32).fill(7), new Uint8Array(4).fill(9)])).toBe(2);
    const second = await p.rxBurst(0, 1);
    expect(second[0]!.every((b) => b === 0)).toBe(true);
    expect(await p.stats()).toEqual({ ipackets: 3, ibytes: 48, opackets: 2, obytes: 36, ...zero });
  });

  it('no-rx=1: rx returns nothing and counts nothing; tx works as usual', async () => {
    const p = await port('no-rx=1');
    expect(await p.rxBurst(0, 32)).toEqual([]);
    expect(await p.txBurst(0, [new Uint8Array(64), new Uint8Array(64)])).toBe(2);
    expect(await p.stats()).toEqual({ ipackets: 0, ibytes: 0, opackets: 2, obytes: 128, ...zero });
  });

  it('resetStats clears every queue counter; counting starts again from zero', async () => {
    const p = await port();
    await p.rxBurst(0, 10);
    await p.rxBurst(2, 1);
    await p.txBurst(1, [new Uint8Array(100)]);
    await p.resetStats();
    expect(await p.stats()).toEqual({ ipackets: 0, ibytes: 0, opackets: 0, obytes: 0, ...zero });
    await p.rxBurst(0, 1);
    expect(await p.stats()).toMatchObject({ ipackets: 1, ibytes: 64 });
  });

  it('stats are per port', async () => {
    const w = inMemoryWorld();
    await w.bus.add('net_null0');
    await w.bus.add('net_null1', 'size=256');
    const [a, b] = await w.ports.list();
    await a!.rxBurst(0, 3);
    await b!.txBurst(0, [new Uint8Array(5)]);
    expect(await a!.stats()).toMatchObject({ ipackets: 3, ibytes: 192, opackets: 0 });
    expect(await b!.stats()).toMatchObject({ ipackets: 0, opackets: 1, obytes: 5 });
  });

  it('NullPortOps works on its own (the burst functions without a port)', () => {
    const ops = new NullPortOps(parseNullArgs('size=10'));
    expect(ops.rxBurst(0, 3).map((x) => x.byteLength)).toEqual([10, 10, 10]);
    expect(ops.txBurst(0, [new Uint8Array(1)])).toBe(1);
    expect(ops.statsGet()).toMatchObject({ ipackets: 3, ibytes: 30, opackets: 1, obytes: 1 });
    ops.statsReset();
    expect(ops.statsGet()).toMatchObject({ ipackets: 0, opackets: 0 });
  });
});
