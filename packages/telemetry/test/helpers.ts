import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually as poll, type TempDir, tempDir, uniquePrefix } from '@eal-ts/test-kit';

const dirs = new Set<TempDir>();

/** A fresh RUNTIME_DIRECTORY base with `dpdk/<prefix>` created; removed by removeTempDirs(). */
export async function runtimeFixture(prefix = uniquePrefix('tel')): Promise<{
  base: string;
  prefix: string;
  dir: string;
  env: Record<string, string | undefined>;
}> {
  const temp = await tempDir('tel');
  dirs.add(temp);
  const dir = join(temp.path, 'dpdk', prefix);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return { base: temp.path, prefix, dir, env: { ...process.env, RUNTIME_DIRECTORY: temp.path } };
}

export async function removeTempDirs(): Promise<void> {
  for (const dir of dirs) await dir.remove();
  dirs.clear();
}

export function eventually(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  return poll(condition, { what, timeoutMs, intervalMs: 5 });
}
