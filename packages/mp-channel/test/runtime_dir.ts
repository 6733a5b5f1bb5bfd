// The mp-channel suites over real sockets each want a fresh runtime
// directory per test (`<tmp>/<prefix>XXXXXX/dpdk/t`), with what the test
// opened closed before it is removed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { createRuntimeDir } from '../src/eal_filesystem.js';

export interface TempRuntime {
  /** The temporary base ($RUNTIME_DIRECTORY). */
  readonly base: string;
  /** `<base>/dpdk/t`. */
  readonly dir: string;
}

/** Registers the hooks; `release` runs after each test, before the directory goes. */
export function tempRuntimeDirs(prefix: string, release: () => Promise<void>): TempRuntime {
  const current = { base: '', dir: '' };
  beforeEach(async () => {
    current.base = await mkdtemp(join(tmpdir(), prefix));
    current.dir = await createRuntimeDir('t', { env: { RUNTIME_DIRECTORY: current.base } });
  });
  afterEach(async () => {
    try {
      await release();
    } finally {
      await rm(current.base, { recursive: true, force: true });
    }
  });
  return current;
}
