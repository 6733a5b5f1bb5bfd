import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RoundSession, Summary } from './stats.js';

const run = promisify(execFile);

/** Compiles the C reference with the machine's cc (at run time, never shipped); each round runs it once. */
export async function openCPingPong(workDir: string): Promise<RoundSession> {
  const source = fileURLToPath(new URL('../native/pingpong.c', import.meta.url));
  const binary = join(workDir, 'pingpong');
  await run(process.env.CC ?? 'cc', ['-O2', '-o', binary, source]);
  return {
    async round(warmup: number, iterations: number): Promise<Summary> {
      const { stdout } = await run(binary, [workDir, String(warmup), String(iterations)]);
      return JSON.parse(stdout) as Summary;
    },
    close: () => Promise.resolve(),
  };
}
