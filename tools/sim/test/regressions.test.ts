// Seeds that diverged before hotplug-mp's per-process device queue and its
// stale-reply check (see docs in tools/sim/README.md): each must now end
// with every live process agreeing, step after step.
import { describe, expect, it } from 'vitest';
import { report, simulate } from '../src/index.js';

const REGRESSIONS: Record<string, number> = {
  // A slow remove in S2: the DETACH_ROLLBACK was handled while the DETACH's
  // remove still ran, found nothing to probe, and S2 lost the device.
  'a DETACH_ROLLBACK handled while the DETACH is still removing': 18,
  // S2 stopped, then continued after the primary timed out and rolled back:
  // the ATTACH and its ATTACH_ROLLBACK ran at once and S2 kept the device.
  'a stopped secondary continued after the rollback (the issue 8 report)': 71,
  // S2's late ATTACH answer passed for its ATTACH_ROLLBACK answer, and its
  // late rollback answer for the next ATTACH, whose probe S2 had refused.
  'a late answer taken for the answer to the next request': 4096,
};

describe('simulator regressions', () => {
  for (const [what, seed] of Object.entries(REGRESSIONS)) {
    it(`seed ${seed}: ${what}`, async () => {
      const result = await simulate({ seed });
      if (!result.ok) expect.fail(await report(result));
      expect(result.steps).toBeGreaterThan(1);
    });
  }

  it('replays a seed exactly: the same trace twice, another seed another trace', async () => {
    const a = await simulate({ seed: 71, trace: true });
    const b = await simulate({ seed: 71, trace: true });
    const c = await simulate({ seed: 72, trace: true });
    expect(a.trace.length).toBeGreaterThan(20);
    expect(b.trace).toEqual(a.trace);
    expect(c.trace).not.toEqual(a.trace);
    // The trace shows the faults, the datagrams and every operation's outcome.
    expect(a.trace.some((l) => /fault: S\d stopped for \d+ ms/.test(l))).toBe(true);
    expect(a.trace.some((l) => / out REQ ATTACH net_null\d -> S\d/.test(l))).toBe(true);
    expect(a.trace.some((l) => /quiet after step \d+ .*every live process has/.test(l))).toBe(true);
  });

  it('a failing schedule is reported with its seed, what broke, the replay command and the trace', async () => {
    const result = await simulate({ seed: 18 });
    const text = await report({ ...result, ok: false, violations: ['step 4: S2 has [] but the primary has [net_null1@0]'] });
    const lines = text.split('\n');
    expect(lines[0]).toBe('seed 18 diverged: step 4: S2 has [] but the primary has [net_null1@0]');
    expect(lines[1]).toBe('replay: pnpm sim --seed 18 --trace');
    expect(lines.slice(2)).toEqual((await simulate({ seed: 18, trace: true })).trace);
  });
});
