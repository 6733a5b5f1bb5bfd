// Runtime directories of a test: a fresh directory under the system's
// temporary one and a file prefix unique to this process, removed after.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  /** The directory (e.g. to pass as RUNTIME_DIRECTORY). */
  readonly path: string;
  /** Removes it and everything in it. */
  remove(): Promise<void>;
}

let count = 0;

/** A new empty directory `<tmp>/eal-ts-<name>-XXXXXX`. */
export async function tempDir(name: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `eal-ts-${name}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** A DPDK file prefix no other test process uses at the same time: `<name><pid>x<n>`. */
export function uniquePrefix(name: string): string {
  return `${name}${process.pid}x${(count++).toString(36)}`;
}
