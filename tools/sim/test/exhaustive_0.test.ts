// The exhaustive pass over a small configuration (3 processes, net_null0
// attached first or not, 2 attach/detach operations from any process at the
// same time or apart, exactly one fault of every kind, target and moment,
// and every delay pattern of the first 4 datagrams under jitter): the
// subtree where the set-up choice is 0. `pnpm sim --exhaustive` runs both.
import { expect, it } from 'vitest';
import { runExhaustive } from '../src/index.js';

it('every path of the small configuration keeps every process in agreement (set-up choice 0)', { timeout: 180_000 }, async () => {
  const out = await runExhaustive([0]);
  const shown = out.failed.slice(0, 5).map((f) => `path ${f.path}: ${f.violations.join('; ')} (replay: pnpm sim --path ${f.path} --trace)`);
  expect(shown).toEqual([]);
  expect(out.runs).toBeGreaterThan(5000);
});
