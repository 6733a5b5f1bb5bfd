/** Many schedules in a row, and the report of a failing one. */
import { Enumerator } from './choices.js';
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

export interface ExhaustiveResult {
  runs: number;
  /** Failing runs, by their choice path (replay: `pnpm sim --path a,b,c --trace`). */
  failed: { path: string; violations: string[] }[];
  excused: number;
  ops: number;
  ms: number;
}

/**
 * Every path of the small configuration's choice tree, one run each; only
 * the subtree under `root` (a prefix of choices) when given, so that the
 * pass can be split between test files.
 */
export async function runExhaustive(root: readonly number[] = []): Promise<ExhaustiveResult> {
  const started = performance.now();
  const out: ExhaustiveResult = { runs: 0, failed: [], excused: 0, ops: 0, ms: 0 };
  const under = (p: readonly number[]) => root.every((v, i) => p[i] === v);
  let prefix: number[] | undefined = [...root];
  while (prefix && under(prefix)) {
    const choices: Enumerator = new Enumerator(prefix);
    const result = await simulate({ seed: 0, small: true, choices });
    out.runs++;
    out.ops += result.ops;
    if (result.excused !== undefined) out.excused++;
    if (!result.ok) out.failed.push({ path: choices.path.join(','), violations: result.violations });
    prefix = choices.next();
  }
  out.ms = performance.now() - started;
  return out;
}

/** Replays one path of the small configuration. */
export function replayPath(path: string, trace: boolean): Promise<SimResult> {
  if (!/^\d+(,\d+)*$/.test(path)) throw new Error(`invalid --path '${path}': expected comma-separated choice indices, e.g. 0,1,0,2`);
  return simulate({ seed: 0, small: true, trace, choices: new Enumerator(path.split(',').map(Number)) });
}
