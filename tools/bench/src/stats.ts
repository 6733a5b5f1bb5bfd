export interface Summary {
  readonly iterations: number;
  readonly medianUs: number;
  readonly p90Us: number;
  readonly p99Us: number;
}

/** One side of the round-trip bench, kept open across rounds so rounds of the sides can interleave. */
export interface RoundSession {
  round(warmup: number, iterations: number): Promise<Summary>;
  close(): Promise<void>;
}

/**
 * Times `warmup` + `iterations` sequential calls of `once` (µs, hrtime),
 * keeping the last `iterations`: one round of a side of the round-trip bench.
 */
export async function timeRound(warmup: number, iterations: number, once: (i: number) => Promise<void>): Promise<Summary> {
  const samples: number[] = [];
  for (let i = -warmup; i < iterations; i++) {
    const start = process.hrtime.bigint();
    await once(i);
    if (i >= 0) samples.push(Number(process.hrtime.bigint() - start) / 1e3);
  }
  return summarize(samples);
}

/** Percentiles picked as the C reference picks them, so both sides compare alike. */
export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (fraction: number): number => sorted[Math.floor(sorted.length * fraction)] ?? NaN;
  return { iterations: sorted.length, medianUs: at(0.5), p90Us: at(0.9), p99Us: at(0.99) };
}

export interface Spread {
  readonly min: number;
  readonly p10: number;
  readonly median: number;
  readonly p90: number;
  readonly max: number;
}

/** min / p10 / median / p90 / max of a list (the spread of per-round figures). */
export function spread(values: readonly number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  const at = (fraction: number): number => s[Math.min(s.length - 1, Math.floor(s.length * fraction))] ?? NaN;
  return { min: s[0] ?? NaN, p10: at(0.1), median: at(0.5), p90: at(0.9), max: s[s.length - 1] ?? NaN };
}
