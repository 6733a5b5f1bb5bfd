import { describe, expect, it } from 'vitest';
import { systemClock, VirtualClock } from '../src/clock.js';
import { RwLock } from '../src/rwlock.js';

describe('VirtualClock', () => {
  it('only moves on advance, firing timers in time order and FIFO among equal times', async () => {
    const clock = new VirtualClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b@20'), 20);
    clock.setTimeout(() => fired.push('a@10'), 10);
    clock.setTimeout(() => fired.push('c@20'), 20);
    const cancelled = clock.setTimeout(() => fired.push('never'), 5);
    clock.clearTimeout(cancelled);
    expect(clock.now()).toBe(1000);
    await clock.advance(15);
    expect(fired).toEqual(['a@10']);
    expect(clock.now()).toBe(1015);
    await clock.advance(5);
    expect(fired).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.pending).toBe(0);
  });

  it('lets promise continuations run between timers, so awaiting code makes progress', async () => {
    const clock = new VirtualClock();
    const sleep = (ms: number) => new Promise<void>((r) => clock.setTimeout(r, ms));
    const steps: number[] = [];
    void (async () => {
      for (let i = 0; i < 3; i++) {
        await sleep(10);
        await Promise.resolve();
        steps.push(clock.now());
      }
    })();
    await clock.advance(30);
    expect(steps).toEqual([10, 20, 30]);
  });

  it('runAll fires everything, including timers scheduled by timers', async () => {
    const clock = new VirtualClock();
    let n = 0;
    const tick = (): void => {
      if (++n < 5) clock.setTimeout(tick, 100);
    };
    clock.setTimeout(tick, 100);
    await clock.runAll();
    expect(n).toBe(5);
    expect(clock.now()).toBe(500);
  });

  it('runAll stops a timer that re-arms forever', async () => {
    const clock = new VirtualClock();
    const forever = (): void => void clock.setTimeout(forever, 1);
    forever();
    await expect(clock.runAll(50)).rejects.toThrow(/re-arming/);
  });

  it('systemClock uses real timers', async () => {
    const start = systemClock.now();
    await new Promise<void>((r) => systemClock.setTimeout(r, 5));
    expect(systemClock.now()).toBeGreaterThan(start);
    const h = systemClock.setTimeout(() => expect.fail('cleared'), 1);
    systemClock.clearTimeout(h);
  });
});

describe('RwLock', () => {
  it('admits readers together, writers alone, in arrival order', async () => {
    const lock = new RwLock();
    const log: string[] = [];
    const r1 = await lock.acquire('shared');
    const r2 = await lock.acquire('shared');
    const w = lock.acquire('exclusive').then((release) => (log.push('w'), release));
    const r3 = lock.acquire('shared').then((release) => (log.push('r3'), release));
    await Promise.resolve();
    expect(log).toEqual([]);
    r1();
    r2();
    (await w)();
    (await r3)();
    expect(log).toEqual(['w', 'r3']);
    expect(lock.idle).toBe(true);
  });
});
