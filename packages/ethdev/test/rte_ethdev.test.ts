import { describe, expect, it } from 'vitest';

import { EthDev, type EthDevOps, type EthStats, type Packet } from '../src/index.js';
import { code } from './helpers/suite.js';

const port = { portId: 3, name: 'net_null3', generation: 1, ownerPid: 1 };


/** A loopback driver: what is sent on a queue is received on it. */
function loopback(): EthDevOps & { queues: Map<number, Packet[]> } {
  const queues = new Map<number, Packet[]>();
  return {
    queues,
    rxBurst: (queue, max) => (queues.get(queue) ?? []).splice(0, max),
    txBurst: async (queue, packets) => {
      await Promise.resolve();
      const q = queues.get(queue) ?? [];
      queues.set(queue, q);
      const taken = Math.min(packets.length, 4 - q.length);
      q.push(...packets.slice(0, taken));
      return taken;
    },
  };
}

describe('EthDev', () => {
  it('carries the port id, name, device and driver names', () => {
    const dev = new EthDev({ port, deviceName: 'net_null3,size=64', driverName: 'net_null' });
    expect([dev.portId, dev.name, dev.deviceName, dev.driverName, dev.generation, dev.state]).toEqual([
      3,
      'net_null3',
      'net_null3,size=64',
      'net_null',
      1,
      'attached',
    ]);
    expect(new EthDev({ port }).deviceName).toBe('net_null3');
  });

  it('without driver ops, bursts move nothing (rte_eth_pkt_burst_dummy)', async () => {
    const dev = new EthDev({ port });
    expect(await dev.rxBurst(0, 32)).toEqual([]);
    expect(await dev.txBurst(0, [new Uint8Array(60)])).toBe(0);
    expect(await dev.stats()).toEqual({ ipackets: 0, opackets: 0, ibytes: 0, obytes: 0, imissed: 0, ierrors: 0, oerrors: 0 });
  });

  it('delegates rx and tx bursts to the driver and counts packets and bytes', async () => {
    const ops = loopback();
    const dev = new EthDev({ port, ops });
    const packets = [1, 2, 3, 4, 5, 6].map((n) => new Uint8Array(n * 10));
    // The driver takes a prefix: the rest stays the caller's.
    expect(await dev.txBurst(1, packets)).toBe(4);
    expect(await dev.rxBurst(1, 3)).toEqual(packets.slice(0, 3));
    expect(await dev.rxBurst(1, 32)).toEqual(packets.slice(3, 4));
    expect(await dev.rxBurst(0, 32)).toEqual([]);
    expect(await dev.stats()).toEqual({
      ipackets: 4,
      opackets: 4,
      ibytes: 100,
      obytes: 100,
      imissed: 0,
      ierrors: 0,
      oerrors: 0,
    });
    await dev.resetStats();
    expect((await dev.stats()).opackets).toBe(0);
  });

  it('uses the driver stats when it has them', async () => {
    let stats: EthStats = { ipackets: 9, opackets: 8, ibytes: 7, obytes: 6, imissed: 5, ierrors: 4, oerrors: 3 };
    const dev = new EthDev({
      port,
      ops: {
        rxBurst: () => [],
        txBurst: () => 0,
        statsGet: () => stats,
        statsReset: () => {
          stats = { ipackets: 0, opackets: 0, ibytes: 0, obytes: 0, imissed: 0, ierrors: 0, oerrors: 0 };
        },
      },
    });
    expect(await dev.stats()).toEqual(stats);
    await dev.resetStats();
    expect((await dev.stats()).imissed).toBe(0);
  });

  it('setOps installs the driver after the port exists', async () => {
    const dev = new EthDev({ port });
    dev.setOps(loopback());
    expect(await dev.txBurst(0, [new Uint8Array(1)])).toBe(1);
  });

  it('refuses bad queue ids and burst sizes with EINVAL', async () => {
    const dev = new EthDev({ port, ops: loopback() });
    expect(await code(dev.rxBurst(-1, 1))).toBe('EINVAL');
    expect(await code(dev.rxBurst(65536, 1))).toBe('EINVAL');
    expect(await code(dev.rxBurst(0, 1.5))).toBe('EINVAL');
    expect(await code(dev.rxBurst(0, 65536))).toBe('EINVAL');
    expect(await code(dev.txBurst(0, ['x' as unknown as Packet]))).toBe('EINVAL');
    expect(await dev.rxBurst(0, 0)).toEqual([]);
  });

  it('reports a driver that breaks the burst contract as EIO', async () => {
    const dev = new EthDev({
      port,
      ops: { rxBurst: () => [new Uint8Array(1), new Uint8Array(1)], txBurst: () => 5 },
    });
    expect(await code(dev.rxBurst(0, 1))).toBe('EIO');
    expect(await code(dev.txBurst(0, [new Uint8Array(1)]))).toBe('EIO');
  });
});
