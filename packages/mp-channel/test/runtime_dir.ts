// The mp-channel suites over real sockets each want a fresh runtime
// directory per test (`<tmp>/<prefix>XXXXXX/dpdk/t`), with what the test
// opened closed before it is removed: the kit's temporary base, plus the
// runtime directory DPDK's naming puts in it.
import { useTempBase } from '@eal-ts/test-kit';
import { beforeEach } from 'vitest';
import { createRuntimeDir } from '../src/eal_filesystem.js';

export interface TempRuntime {
  /** The temporary base ($RUNTIME_DIRECTORY). */
  readonly base: string;
  /** `<base>/dpdk/t`. */
  readonly dir: string;
}

/** Registers the hooks; `release` runs after each test, before the directory goes. */
export function tempRuntimeDirs(prefix: string, release: () => Promise<void>): TempRuntime {
  const base = useTempBase(prefix.replace(/-$/, ''), { cleanup: release });
  let dir = '';
  beforeEach(async () => {
    dir = await createRuntimeDir('t', { env: { RUNTIME_DIRECTORY: base.path } });
  });
  return {
    get base() {
      return base.path;
    },
    get dir() {
      return dir;
    },
  };
}
