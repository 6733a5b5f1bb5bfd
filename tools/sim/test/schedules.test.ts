// The 10,000 seeded schedules CI runs, in shards that run at the same time
// (vitest.config.ts makes one project per shard of this file; this run does
// the part `shard()` names). `pnpm sim --schedules N --from S` runs any range.
import { expect, it } from 'vitest';
import { report, runSchedules, summary } from '../src/index.js';
import { shard } from './shard.js';

const SCHEDULES = 10_000;
const { index, of } = shard();
const count = SCHEDULES / of;
const first = 1 + index * count;

it(`${count} seeded schedules (seeds ${first}..${first + count - 1}) keep every live process in agreement`, { timeout: 180_000 }, async () => {
  const batch = await runSchedules(first, count);
  const failed = batch.failed[0];
  if (failed) expect.fail(`${summary(batch)}\n${await report(failed)}`);
  expect(batch.schedules).toBe(count);
  expect(batch.ops).toBeGreaterThan(4 * count);
});
