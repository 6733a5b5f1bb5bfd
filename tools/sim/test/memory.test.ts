// Issue 8: a primary's RSS grew over thousands of attach/detach pairs. This
// guards the part eal-ts controls: nothing is retained per operation in the
// JS heap (heapUsed after a full GC stays flat), here over the real
// hotplug-mp, vdev bus, ethdev and net_null stack on the in-memory network.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MemoryPortTable } from '@eal-ts/ethdev';
import { MemoryNetwork, VirtualClock } from '@eal-ts/mp-channel';
import { expect, it } from 'vitest';
import { SimProcess } from '../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

it('3,000 attach/detach pairs from the primary with one secondary leave the heap after GC where it was', { timeout: 120_000 }, async () => {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock });
  const table = new MemoryPortTable({ maxPorts: 32 });
  const drive = async <T>(p: Promise<T>): Promise<T> => {
    p.catch(() => undefined);
    await clock.runAll();
    return p;
  };
  const opts = (name: string, role: 'primary' | 'secondary') => ({ name, role, network, clock, table, timeoutMs: 1000 });
  const primary = await drive(SimProcess.start(opts('P', 'primary')));
  const secondary = await drive(SimProcess.start(opts('S1', 'secondary')));
  const pairs = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      await drive(primary.hotplug.probe('net_null3'));
      await drive(primary.hotplug.remove('net_null3'));
    }
  };
  const heapUsed = (): number => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  await pairs(500); // warm-up: code compiled, caches sized
  const before = heapUsed();
  await pairs(3000);
  const after = heapUsed();
  // A leak of 350 bytes per pair would show as 1 MiB.
  expect(after - before).toBeLessThan(1024 * 1024);
  expect(await secondary.devices()).toEqual([]);
  expect(primary.hotplug.queued + secondary.hotplug.queued).toBe(0);
});
