// The exhaustive pass over a small configuration (3 processes, net_null0
// attached first or not, 2 attach/detach operations from any process at the
// same time or apart, exactly one fault of every kind, target and moment,
// and every delay pattern of the first 4 datagrams under jitter), one shard
// per set-up choice (vitest.config.ts runs them at the same time; this run
// takes the subtree `shard()` names). `pnpm sim --exhaustive` runs both.
import { expect, it } from 'vitest';
import { runExhaustive } from '../src/index.js';
import { shard } from './shard.js';

const choice = shard().index;

it(`every path of the small configuration keeps every process in agreement (set-up choice ${choice})`, { timeout: 180_000 }, async () => {
  const out = await runExhaustive([choice]);
  const shown = out.failed.slice(0, 5).map((f) => `path ${f.path}: ${f.violations.join('; ')} (replay: pnpm sim --path ${f.path} --trace)`);
  expect(shown).toEqual([]);
  expect(out.runs).toBeGreaterThan(5000);
});
