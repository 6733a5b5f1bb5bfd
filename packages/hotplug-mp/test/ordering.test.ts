// One order of device operations per process: a secondary applies the
// primary's requests one after the other, in arrival order, and a late
// answer to an earlier request never passes for the answer to a later one.
// Both were found by the simulator (tools/sim): seeds 18 and 4096.
import { later } from '@eal-ts/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { rejection, world, type Proc, type World } from './helpers.js';

let w: World;
afterEach(async () => {
  await w?.closeAll();
});

async function trio(timeoutMs: number): Promise<[Proc, Proc, Proc]> {
  w = world({ timeoutMs });
  return [await w.open('primary'), await w.open('secondary'), await w.open('secondary')];
}

const everywhere = (procs: Proc[]) => procs.map((p) => p.probed());

/** Three processes, the first secondary stopped (its socket paused), and an ATTACH of net_null0 from the primary under way. */
async function attachWhileStopped() {
  const procs = await trio(1000);
  const [primary, s1] = procs;
  w.network.pause(s1.channel.path);
  return { procs, primary, s1, attach: later(primary.hotplug.probe('net_null0')) };
}

describe('a secondary applies the primary requests in arrival order', () => {
  it('an ATTACH_ROLLBACK that arrives while the ATTACH is still probing undoes it once the probe is done', async () => {
    const procs = await trio(1000);
    const [primary, s1] = procs;
    // s1's probe outlasts the primary's timeout: the ATTACH_ROLLBACK arrives while it runs.
    s1.driver.slow = { clock: w.clock, ms: 1500 };
    const error = await rejection(w, primary.hotplug.probe('net_null0'));
    expect(error).toMatchObject({ code: 'ENOMSG', rolledBack: true });
    expect(s1.driver.calls).toEqual(['probe net_null0', 'remove net_null0']);
    expect(everywhere(procs)).toEqual([[], [], []]);
    expect(procs.map((p) => p.hotplug.queued)).toEqual([0, 0, 0]);
  });

  it('a DETACH_ROLLBACK that arrives while the DETACH is still removing probes the device again afterwards', async () => {
    const procs = await trio(1000);
    const [primary, s1] = procs;
    await w.run(primary.hotplug.probe('net_null0'));
    s1.driver.slow = { clock: w.clock, ms: 1500 };
    const error = await rejection(w, primary.hotplug.remove('net_null0'));
    expect(error).toMatchObject({ code: 'ENOMSG', rolledBack: true });
    expect(s1.driver.calls).toEqual(['probe net_null0', 'remove net_null0', 'probe net_null0']);
    expect(everywhere(procs)).toEqual([['net_null0'], ['net_null0'], ['net_null0']]);
  });

  it('a stopped secondary handles the ATTACH and its ATTACH_ROLLBACK one after the other when it resumes', async () => {
    const { procs, s1, attach } = await attachWhileStopped();
    // Both the ATTACH and the ATTACH_ROLLBACK time out while s1 is stopped.
    await w.clock.advance(2500);
    await expect(attach).rejects.toMatchObject({ code: 'ENOMSG', rolledBack: true });
    w.network.resume(s1.channel.path);
    await w.clock.runAll();
    expect(everywhere(procs)).toEqual([[], [], []]);
  });

  it("the start-up probe through local() and a primary's request never interleave", async () => {
    const procs = await trio(1000);
    const [primary, s1] = procs;
    const order: string[] = [];
    let release!: () => void;
    const startup = s1.hotplug.local(async () => {
      order.push('start-up probe begins');
      await new Promise<void>((resolve) => (release = resolve));
      order.push('start-up probe ends');
    });
    s1.hotplug.on('attached', () => order.push('ATTACH applied'));
    const attach = later(primary.hotplug.probe('net_null0'));
    await w.clock.advance(100);
    expect(order).toEqual(['start-up probe begins']);
    release();
    await w.run(attach);
    await startup;
    expect(order).toEqual(['start-up probe begins', 'start-up probe ends', 'ATTACH applied']);
    expect(everywhere(procs)).toEqual([['net_null0'], ['net_null0'], ['net_null0']]);
  });

  it("a secondary's own attach does not hold its device queue while the primary broadcasts that attach back to it", async () => {
    const procs = await trio(1000);
    const [, s1, s2] = procs;
    const [a, b] = await w.run(Promise.all([s1.hotplug.probe('net_null0'), s2.hotplug.probe('net_null1')]));
    expect(a.device?.name).toBe('net_null0');
    expect(b.device?.name).toBe('net_null1');
    expect(everywhere(procs)).toEqual(procs.map(() => ['net_null0', 'net_null1']));
  });
});

describe('a late answer to an earlier request is not taken for the answer to this one', () => {
  it("a secondary's late ATTACH answer does not pass for its ATTACH_ROLLBACK answer, nor its late rollback answer for the next ATTACH", async () => {
    const { procs, primary, s1, attach: first } = await attachWhileStopped();
    // The ATTACH timed out, the ATTACH_ROLLBACK is pending when s1 continues.
    await w.clock.advance(1500);
    s1.driver.failProbe = new Error('the driver refuses');
    w.network.resume(s1.channel.path);
    await w.clock.advance(0);
    // s1 answered ATTACH (EEXIST) and ATTACH_ROLLBACK late; a new ATTACH goes out meanwhile.
    const second = later(primary.hotplug.probe('net_null0'));
    await w.clock.runAll();
    await expect(first).rejects.toMatchObject({ code: 'ENOMSG', rolledBack: true });
    expect(primary.lines.some((l) => l.includes('stale hotplug reply'))).toBe(true);
    // Whatever the second attach's outcome, every process agrees.
    await second.then(
      () => undefined,
      (error: unknown) => expect(error).toMatchObject({ rolledBack: true }),
    );
    const lists = everywhere(procs);
    expect(lists[1]).toEqual(lists[0]);
    expect(lists[2]).toEqual(lists[0]);
  });

  it("the primary's late answer to a secondary's earlier request does not pass for the answer to its next one", async () => {
    const procs = await trio(1000);
    const [primary, s1] = procs;
    // The primary's probe outlasts s1's wait: s1 gives up on its first request.
    primary.driver.slow = { clock: w.clock, ms: 1500 };
    const first = later(s1.hotplug.probe('net_null0'));
    await w.clock.advance(1000);
    await expect(first).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    // A second request right away, while the primary still runs the first.
    primary.driver.slow = null;
    const run = later(s1.hotplug.probe('net_null1'));
    await w.clock.runAll();
    const second = await run.then(
      () => undefined,
      (error: unknown) => error as Error & Record<string, unknown>,
    );
    // The primary's answer to ATTACH net_null0 came while s1 waited for ATTACH net_null1: not taken for it.
    expect(second).toMatchObject({ code: 'ENOMSG', stage: 'ipc' });
    expect(second?.message).toMatch(/answered an earlier request instead/);
    expect(s1.lines.some((l) => l.includes('stale hotplug reply from the primary'))).toBe(true);
    // Both operations still ran in the primary, and every process agrees.
    expect(everywhere(procs)).toEqual(procs.map(() => ['net_null0', 'net_null1']));
  });
});
