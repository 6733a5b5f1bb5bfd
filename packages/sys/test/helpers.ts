import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const distEntry = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** Children import the built package; fail with a clear reason when it is missing. */
export function assertBuilt(): void {
  if (!existsSync(distEntry)) {
    throw new Error(`${distEntry} is missing: run \`pnpm --filter @eal-ts/sys build\` before the tests`);
  }
}

export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

const tempDirs = new Set<string>();

export async function makeTempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'eal-sys-'));
  tempDirs.add(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Resolves when `condition` holds; polls gently, fails after a generous deadline. */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Settles with `promise`, or rejects after `timeoutMs` naming what was awaited. */
export async function within<T>(promise: Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ChildEvent {
  event: string;
  [key: string]: unknown;
}

interface ChildReply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: { name: string; message: string; code?: string };
}

/** Lets one waiter at a time sleep until something arrives or its deadline passes. */
class Wakers {
  readonly #wakers = new Set<() => void>();

  /** Resolves at the next wake() or after `ms`, whichever comes first. */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#wakers.add(wake);
    });
  }

  wake(): void {
    for (const wake of [...this.#wakers]) wake();
  }
}

const running = new Set<Child>();

/** A real child process running a fixture, killed by pid in killChildren(). */
export class Child {
  readonly process: ChildProcess;
  readonly pid: number;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  readonly #events: ChildEvent[] = [];
  readonly #wakers = new Wakers();

  private constructor(script: string, args: readonly string[], ipc: boolean) {
    this.process = spawn(process.execPath, [fixture(script), ...args], {
      stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    });
    if (this.process.pid === undefined) throw new Error(`could not start ${script}`);
    this.pid = this.process.pid;
    running.add(this);
    this.process.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.process.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.process.on('message', (message: ChildReply | ChildEvent) => this.#onMessage(message));
    this.exited = new Promise((resolve) => {
      this.process.on('exit', (code, signal) => {
        running.delete(this);
        for (const { reject } of this.#pending.values()) {
          reject(new Error(`child ${this.pid} exited (${code ?? signal}) before replying; stderr: ${this.stderr}`));
        }
        this.#pending.clear();
        resolve({ code, signal });
      });
    });
  }

  /** Starts the IPC-driven peer fixture and waits until it is ready. */
  static async peer(): Promise<Child> {
    assertBuilt();
    const child = new Child('peer.mjs', [], true);
    await child.nextEvent((e) => e.event === 'ready', 'the peer to start', 20_000);
    return child;
  }

  /** Starts a fixture that runs on its own (no IPC). */
  static run(script: string, args: readonly string[]): Child {
    assertBuilt();
    return new Child(script, args, false);
  }

  request<T = unknown>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.#nextId++;
    const reply = new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    });
    this.process.send({ id, cmd, ...args });
    return within(reply, `child ${this.pid} to answer ${cmd}`, 20_000);
  }

  /** The next reported event matching `match` (earlier ones stay queued). */
  async nextEvent(match: (event: ChildEvent) => boolean, what: string, timeoutMs = 10_000): Promise<ChildEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.#events.findIndex(match);
      if (index >= 0) return this.#events.splice(index, 1)[0] as ChildEvent;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what} from child ${this.pid}; stderr: ${this.stderr}`);
      await this.#wakers.sleep(left);
    }
  }

  kill(): void {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  #onMessage(received: ChildReply | ChildEvent): void {
    if (typeof received.id === 'number') {
      const message = received as ChildReply;
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (pending === undefined) return;
      if (message.ok) pending.resolve(message.result);
      else {
        const error = new Error(`${message.error?.name}: ${message.error?.message}`) as Error & { code?: string };
        if (message.error?.code !== undefined) error.code = message.error.code;
        pending.reject(error);
      }
      return;
    }
    this.#events.push(received as ChildEvent);
    this.#wakers.wake();
  }
}

/** Kills every child still running, by pid, and waits for them to be reaped. */
export async function killChildren(): Promise<void> {
  const children = [...running];
  for (const child of children) {
    try {
      process.kill(child.pid, 'SIGCONT');
    } catch {
      // already gone
    }
    child.kill();
  }
  await Promise.all(children.map((child) => within(child.exited, `child ${child.pid} to die`, 10_000)));
}

/** Collects a socket's datagrams so a test can await them in order. */
export class Inbox<T> {
  readonly items: T[] = [];
  readonly #wakers = new Wakers();

  push = (item: T): void => {
    this.items.push(item);
    this.#wakers.wake();
  };

  async next(what: string, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await this.#wakers.sleep(left);
    }
    return this.items.shift() as T;
  }
}
