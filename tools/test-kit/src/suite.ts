// Vitest hooks every multi-process suite needs, written once: a fresh
// temporary base per test; after it, every child still running stopped by
// pid, the suite's own clean-up, and the base removed — whatever happened.
import { existsSync } from 'node:fs';
import { afterEach, beforeAll, beforeEach } from 'vitest';
import { stopAll } from './child.js';
import { type TempDir, tempDir } from './temp_dir.js';

export interface TempBaseOptions {
  /** A built file the suite's fixtures import (e.g. the package's dist/index.js): fails early, saying to build, if missing. */
  built?: string;
  /** Runs after each test, once its children are stopped (close channels and servers opened here, …). */
  cleanup?: () => Promise<unknown>;
}

/** Registers the hooks; `path` is the current test's base. */
export function useTempBase(name: string, options: TempBaseOptions = {}): { readonly path: string } {
  let current: TempDir | undefined;
  if (options.built !== undefined) {
    const built = options.built;
    beforeAll(() => {
      if (!existsSync(built)) throw new Error(`${built} is missing: run \`pnpm run build\` before these tests`);
    });
  }
  beforeEach(async () => {
    current = await tempDir(name);
  });
  afterEach(async () => {
    try {
      await stopAll();
      await options.cleanup?.();
    } finally {
      await current?.remove();
    }
  });
  return {
    get path(): string {
      if (!current) throw new Error('useTempBase: no test is running');
      return current.path;
    },
  };
}
