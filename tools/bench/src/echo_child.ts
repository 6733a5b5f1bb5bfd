import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** Starts one of this package's echo scripts and waits for its "ready". The caller kills it. */
export async function startEcho(script: string, ...args: string[]): Promise<ChildProcessByStdio<Writable, Readable, null>> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const child = spawn(process.execPath, [path, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const [first] = (await once(child.stdout.setEncoding('utf8'), 'data')) as [string];
    if (!first.startsWith('ready')) throw new Error(`${script} said: ${first}`);
    return child;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}
