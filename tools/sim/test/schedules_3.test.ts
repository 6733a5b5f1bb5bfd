// Seeds 5001..7500 of the 10,000 schedules CI runs (split in four files so that
// vitest runs them on both cores); `pnpm sim --schedules N --from S` runs any range.
import { expect, it } from 'vitest';
import { report, runSchedules, summary } from '../src/index.js';

it('2,500 seeded schedules keep every live process in agreement', { timeout: 180_000 }, async () => {
  const batch = await runSchedules(5001, 2500);
  const first = batch.failed[0];
  if (first) expect.fail(`${summary(batch)}\n${await report(first)}`);
  expect(batch.schedules).toBe(2500);
  expect(batch.ops).toBeGreaterThan(10_000);
});
