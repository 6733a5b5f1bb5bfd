// For the suites that need the primary's config lock held by another process
// (POSIX record locks never conflict within one process): fresh runtime
// directories and the lock-holding child, both cleaned up after each test of
// the file that imports this (children stopped by pid, directories removed).
import { fileURLToPath } from 'node:url';
import { Child, stopAll, type TempDir, tempDir } from '@eal-ts/test-kit';
import { afterEach } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/hold-primary-lock.mjs', import.meta.url));
const dirs: TempDir[] = [];

afterEach(async () => {
  await stopAll();
  for (const dir of dirs.splice(0)) await dir.remove();
});

/** A new empty runtime directory. */
export async function runtimeDir(name: string): Promise<string> {
  const dir = await tempDir(name);
  dirs.push(dir);
  return dir.path;
}

/**
 * A child that took the primary lock of `dir` (it said 'locked'). With
 * 'drop' it then lets go of its PrimaryLock object and collects garbage until
 * nothing more goes, and says 'collected'.
 */
export async function lockHolder(dir: string, mode: 'hold' | 'drop' = 'hold'): Promise<Child> {
  const child = mode === 'drop' ? Child.node(FIXTURE, [dir, 'drop'], { nodeArgs: ['--expose-gc'] }) : Child.node(FIXTURE, [dir]);
  await child.waitFor(/^locked$/m, { stream: 'stdout' });
  return child;
}
