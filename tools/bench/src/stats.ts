export interface Summary {
  readonly iterations: number;
  readonly medianUs: number;
  readonly p90Us: number;
  readonly p99Us: number;
}

/** Percentiles picked as the C reference picks them, so both sides compare alike. */
export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (fraction: number): number => sorted[Math.floor(sorted.length * fraction)] ?? NaN;
  return { iterations: sorted.length, medianUs: at(0.5), p90Us: at(0.9), p99Us: at(0.99) };
}
