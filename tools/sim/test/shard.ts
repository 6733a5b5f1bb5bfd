// Which part of a sharded test file this run is: vitest.config.ts runs each
// of the simulator's long files as several projects at the same time (one
// worker each), and gives each its shard.
import { inject } from 'vitest';

declare module 'vitest' {
  interface ProvidedContext {
    /** This run's shard (0-based) and how many there are. */
    shard: number;
    shards: number;
  }
}

export function shard(): { index: number; of: number } {
  return { index: inject('shard'), of: inject('shards') };
}
