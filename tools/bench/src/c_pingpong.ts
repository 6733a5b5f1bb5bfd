import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Summary } from './stats.js';

const run = promisify(execFile);

/** Compiles the C reference with the machine's cc (at run time, never shipped) and runs it. */
export async function measureCPingPong(workDir: string, warmup: number, iterations: number): Promise<Summary> {
  const source = fileURLToPath(new URL('../native/pingpong.c', import.meta.url));
  const binary = join(workDir, 'pingpong');
  await run(process.env.CC ?? 'cc', ['-O2', '-o', binary, source]);
  const { stdout } = await run(binary, [workDir, String(warmup), String(iterations)]);
  return JSON.parse(stdout) as Summary;
}
