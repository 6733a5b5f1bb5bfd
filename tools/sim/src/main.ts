#!/usr/bin/env node
/**
 * eal-sim: `--seed N [--trace]` replays one schedule; `--schedules N
 * [--from S]` runs N schedules from seed S (default 1). Exit status 1 when
 * any schedule broke an invariant.
 */
import { parseArgs } from 'node:util';
import { simulate } from './simulate.js';
import { replayPath, report, runExhaustive, runSchedules, summary } from './run.js';

const USAGE = 'usage: eal-sim --seed N [--trace] | eal-sim --schedules N [--from S] | eal-sim --exhaustive | eal-sim --path a,b,c [--trace]';

function integer(value: string | undefined, what: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) > 0xffffffff) {
    throw new Error(`invalid ${what} '${value}': expected an integer 0..4294967295\n${USAGE}`);
  }
  return Number(value);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      trace: { type: 'boolean', default: false },
      schedules: { type: 'string' },
      from: { type: 'string' },
      exhaustive: { type: 'boolean', default: false },
      path: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.path !== undefined) {
    const result = await replayPath(values.path, values.trace);
    if (values.trace) process.stdout.write(`${result.trace.join('\n')}\n`);
    process.stdout.write(`path ${values.path}: ${result.ok ? 'ok' : `FAILED: ${result.violations.join('; ')}`}\n`);
    return result.ok ? 0 : 1;
  }
  if (values.exhaustive) {
    const out = await runExhaustive();
    process.stdout.write(
      `exhaustive (3 processes, 2 operations on net_null0, one fault): ${out.runs} runs, failed: ${out.failed.length}, ` +
        `stopped early by a refused rollback: ${out.excused}, operations: ${out.ops}, ${(out.ms / 1000).toFixed(1)} s\n`,
    );
    for (const f of out.failed.slice(0, 10)) process.stdout.write(`  path ${f.path}: ${f.violations.join('; ')} (replay: pnpm sim --path ${f.path} --trace)\n`);
    return out.failed.length > 0 ? 1 : 0;
  }
  if (values.seed !== undefined) {
    const seed = integer(values.seed, '--seed', 0);
    const result = await simulate({ seed, trace: values.trace });
    if (values.trace) process.stdout.write(`${result.trace.join('\n')}\n`);
    if (!result.ok) {
      process.stdout.write(`${values.trace ? '' : `${await report(result)}\n`}seed ${seed}: FAILED: ${result.violations.join('; ')}\n`);
      return 1;
    }
    process.stdout.write(
      `seed ${seed}: ok — ${result.processes} processes, ${result.steps} steps, ${result.ops} operations, faults: ${JSON.stringify(result.faults)}\n`,
    );
    return 0;
  }
  const count = integer(values.schedules, '--schedules', 1000);
  const batch = await runSchedules(integer(values.from, '--from', 1), count);
  process.stdout.write(`${summary(batch)}\n`);
  const first = batch.failed[0];
  if (first) process.stdout.write(`\nfirst failure:\n${await report(first)}\n`);
  return batch.failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`eal-sim: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
