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

/** Percentiles picked as the C reference picks them, so both sides compare alike. */
export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (fraction: number): number => sorted[Math.floor(sorted.length * fraction)] ?? NaN;
  return { iterations: sorted.length, medianUs: at(0.5), p90Us: at(0.9), p99Us: at(0.99) };
}

/** min / median / max of a list (the spread of per-round figures). */
export function spread(values: readonly number[]): { min: number; median: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  return { min: s[0] ?? NaN, median: s[Math.floor(s.length / 2)] ?? NaN, max: s[s.length - 1] ?? NaN };
}
