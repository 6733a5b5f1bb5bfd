/** Many schedules in a row, and the report of a failing one. */
import { type SimResult, simulate } from './simulate.js';

export interface BatchResult {
  schedules: number;
  failed: SimResult[];
  /** Schedules stopped early, as designed, by a driver refusing a rollback step. */
  excused: number;
  ops: number;
  outcomes: Record<string, number>;
  faults: Record<string, number>;
  ms: number;
}

/** Runs seeds first..first+count-1. */
export async function runSchedules(first: number, count: number): Promise<BatchResult> {
  const started = performance.now();
  const batch: BatchResult = { schedules: 0, failed: [], excused: 0, ops: 0, outcomes: {}, faults: {}, ms: 0 };
  for (let seed = first; seed < first + count; seed++) {
    const result = await simulate({ seed });
    batch.schedules++;
    batch.ops += result.ops;
    for (const [k, v] of Object.entries(result.outcomes)) batch.outcomes[k] = (batch.outcomes[k] ?? 0) + v;
    for (const [k, v] of Object.entries(result.faults)) batch.faults[k] = (batch.faults[k] ?? 0) + v;
    if (!result.ok) batch.failed.push(result);
    if (result.excused !== undefined) batch.excused++;
  }
  batch.ms = performance.now() - started;
  return batch;
}

/** A failing seed as a reader needs it: the seed, what broke, the replay command, and the trace. */
export async function report(result: SimResult): Promise<string> {
  const traced = result.trace.length > 0 ? result : await simulate({ seed: result.seed, trace: true });
  return [
    `seed ${result.seed} diverged: ${result.violations.join('; ')}`,
    `replay: pnpm sim --seed ${result.seed} --trace`,
    ...traced.trace,
  ].join('\n');
}

export function summary(batch: BatchResult): string {
  const bag = (b: Record<string, number>) =>
    Object.entries(b)
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  return (
    `schedules: ${batch.schedules}, failed: ${batch.failed.length}` +
    (batch.failed.length > 0 ? ` (seeds ${batch.failed.slice(0, 20).map((r) => r.seed).join(' ')}${batch.failed.length > 20 ? ' …' : ''})` : '') +
    `, stopped early by a refused rollback: ${batch.excused}` +
    `, operations: ${batch.ops} (${bag(batch.outcomes)}), faults: ${bag(batch.faults)}, ${(batch.ms / 1000).toFixed(1)} s`
  );
}
