import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dirs = new Set<string>();

/** A fresh RUNTIME_DIRECTORY base with `dpdk/<prefix>` created; removed by removeTempDirs(). */
export async function runtimeFixture(prefix = `tel${process.pid}x${Date.now().toString(16)}`): Promise<{
  base: string;
  prefix: string;
  dir: string;
  env: Record<string, string | undefined>;
}> {
  const base = await mkdtemp(join(tmpdir(), 'eal-tel-'));
  dirs.add(base);
  const dir = join(base, 'dpdk', prefix);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return { base, prefix, dir, env: { ...process.env, RUNTIME_DIRECTORY: base } };
}

export async function removeTempDirs(): Promise<void> {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  dirs.clear();
}

export async function eventually(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
