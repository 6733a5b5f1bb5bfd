import { defineConfig } from 'vitest/config';

// One run from the root covers every package, app and tool; a package's own
// `vitest run` uses this file too (see each package's test script).
export default defineConfig({
  test: {
    include: ['**/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    // Multi-process tests start real processes; a loaded 2-core machine needs room.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
