import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A temporary runtime base directory (what $RUNTIME_DIRECTORY names); remove it with removeBase. */
export async function makeBase(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'eal-'));
}

export async function removeBase(base: string): Promise<void> {
  await rm(base, { recursive: true, force: true });
}

export type Json = Record<string, unknown>;

/** A child process speaking one JSON line per message on stdout. */
export interface JsonChild {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stderr: () => string;
  /** The next JSON line (rejects when the process exits first or after `timeoutMs`). */
  next(timeoutMs?: number): Promise<Json>;
  send(line: string): void;
  /** Resolves with the exit code once the process is gone. */
  exited: Promise<number | null>;
}

const children = new Set<ChildProcessWithoutNullStreams>();

/** Starts `node <fixture> ...args` with `env` added to the environment. */
export function startFixture(fixture: string, args: readonly string[], env: Record<string, string> = {}): JsonChild {
  const child = spawn(process.execPath, [join(FIXTURES, fixture), ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const lines: Json[] = [];
  const waiters: ((line: Json | null) => void)[] = [];
  let ended = false;
  const rl = createInterface({ input: child.stdout });
  rl.on('line', (text) => {
    let value: Json;
    try {
      value = JSON.parse(text) as Json;
    } catch {
      value = { text };
    }
    const waiter = waiters.shift();
    if (waiter) waiter(value);
    else lines.push(value);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      children.delete(child);
      resolve(code);
    });
  });
  rl.on('close', () => {
    ended = true;
    for (const waiter of waiters.splice(0)) waiter(null);
  });
  return {
    child,
    stderr: () => err,
    exited,
    send: (line) => void child.stdin.write(line + '\n'),
    next(timeoutMs = 20_000) {
      const ready = lines.shift();
      if (ready) return Promise.resolve(ready);
      if (ended) return Promise.reject(new Error(`${fixture} ended; stderr:\n${err}`));
      return new Promise<Json>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${fixture}: no line within ${timeoutMs} ms; stderr:\n${err}`)), timeoutMs);
        waiters.push((line) => {
          clearTimeout(timer);
          if (line) resolve(line);
          else reject(new Error(`${fixture} ended; stderr:\n${err}`));
        });
      });
    },
  };
}

/** Kills (by pid) every fixture process still running and waits for them. */
export async function killChildren(): Promise<void> {
  const waits: Promise<unknown>[] = [];
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      waits.push(new Promise((resolve) => child.once('exit', resolve)));
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  await Promise.all(waits);
  children.clear();
}

/** Who holds the config lock of `dir`, asked from another process (a process never sees its own record locks). */
export async function lockHolder(dir: string): Promise<{ pid: number } | null> {
  const probe = startFixture('lock_holder.mjs', [dir]);
  const line = await probe.next();
  await probe.exited;
  return line.holder as { pid: number } | null;
}
