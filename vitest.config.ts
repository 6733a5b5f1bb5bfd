import { defineConfig } from 'vitest/config';
import type { Reporter, TestModule } from 'vitest/node';
// The shard each project provides (its type).
import type {} from './tools/sim/test/shard.js';

/** Adds the plain closing line CI reads in any language: "N passed, N failed, N skipped". */
const plainSummary: Reporter = {
  onTestRunEnd(testModules: readonly TestModule[]) {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed' || state === 'failed' || state === 'skipped') counts[state]++;
      }
    }
    process.stdout.write(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  },
};

/**
 * Test files that run as several shards at the same time, one worker each
 * (vitest runs files, not tests, in parallel): each shard is a project of
 * its own that includes the same file, and the file reads its part with
 * `shard()` (tools/sim/test/shard.ts). By file name; both are the simulator's (tools/sim).
 */
const SHARDED: Record<string, number> = {
  'schedules.test.ts': 4,
  'exhaustive.test.ts': 2,
};
const sharded = Object.keys(SHARDED).map((name) => `**/test/${name}`);

// One run from the root covers every package, app and tool; a package's own
// `vitest run` uses this file too (see each package's test script).
export default defineConfig({
  test: {
    // Each project below adds its include (arrays merge into the projects).
    exclude: ['**/node_modules/**', '**/dist/**'],
    reporters: ['default', plainSummary],
    // Multi-process tests start real processes; a loaded 2-core machine needs room.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'suites', include: ['**/test/**/*.test.ts'], exclude: sharded } },
      ...Object.entries(SHARDED).flatMap(([name, shards]) =>
        Array.from({ length: shards }, (_, shard) => ({
          extends: true as const,
          test: { name: `${name} ${shard + 1}/${shards}`, include: [`**/test/${name}`], provide: { shard, shards } },
        })),
      ),
    ],
  },
});
