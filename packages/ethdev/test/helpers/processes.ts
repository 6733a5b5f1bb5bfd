// Real child processes for the multi-process tests: each runs a fixture
// against the BUILT package (dist/), talks over the IPC channel, and is
// killed by pid when the test ends, whatever happened.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const DIST_INDEX = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

/** Long enough for a loaded 2-core machine; only reached when something is broken. */
export const DEADLINE_MS = 20_000;

export interface PortView {
  portId: number;
  name: string;
  generation: number;
}

export interface Snapshot {
  maxPorts: number;
  ports: (PortView & { ownerPid: number })[];
  corrupt: number[];
}

export type ChildEvent = { event: string; [key: string]: unknown };

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  code?: string;
  message?: string;
}

export class RequestFailed extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** One fixture process. */
export class Child {
  readonly events: ChildEvent[] = [];
  stderr = '';
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly label: string,
    readonly process: ChildProcess,
  ) {
    process.stderr?.setEncoding('utf8');
    process.stderr?.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    process.on('message', (message: unknown) => this.onMessage(message as Reply | ChildEvent));
    this.exited = new Promise((resolve) => {
      process.once('exit', (code, signal) => {
        const error = new Error(`${this.label} exited (code ${code}, signal ${signal})\n${this.stderr}`);
        for (const { reject } of this.pending.values()) reject(error);
        this.pending.clear();
        this.notify();
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.process.pid!;
  }

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Sends one request; resolves with its value, rejects with RequestFailed carrying the errno name. */
  request<T = unknown>(op: string, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.process.send({ id, op, args });
    });
  }

  /** The errno name a request fails with (throws if it succeeds). */
  async failure(op: string, ...args: unknown[]): Promise<string> {
    try {
      await this.request(op, ...args);
    } catch (error) {
      if (error instanceof RequestFailed) return error.code;
      throw error;
    }
    throw new Error(`${this.label}: ${op}(${args.map((a) => JSON.stringify(a)).join(', ')}) succeeded`);
  }

  /** The first event (already received or future) matching `predicate`, event-driven. */
  waitFor(predicate: (event: ChildEvent) => boolean, what: string): Promise<ChildEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.events.find(predicate);
        if (found) {
          finish();
          resolve(found);
          return true;
        }
        if (!this.alive) {
          finish();
          reject(new Error(`${this.label} exited before ${what}\n${this.stderr}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.label}: no ${what} within ${DEADLINE_MS} ms\n${this.stderr}`));
      }, DEADLINE_MS);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(onChange);
      };
      const onChange = (): void => void check();
      if (!check()) this.waiters.add(onChange);
    });
  }

  private onMessage(message: Reply | ChildEvent): void {
    if (typeof (message as Partial<Reply>).id === 'number') {
      const reply = message as Reply;
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.value);
      else waiter.reject(new RequestFailed(reply.code ?? 'UNKNOWN', `${this.label}: ${reply.message ?? ''}`));
      return;
    }
    this.events.push(message as ChildEvent);
    this.notify();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/**
 * Every child a test starts, and its temporary runtime directory. `cleanup`
 * kills the children by pid (SIGKILL), waits for them, and removes the directory.
 */
export class ProcessSet {
  private readonly children: Child[] = [];
  runtimeDir = '';

  async makeRuntimeDir(): Promise<string> {
    this.runtimeDir = await mkdtemp(join(tmpdir(), 'eal-ts-ethdev-'));
    return this.runtimeDir;
  }

  /** Starts a fixture with process.execPath and an IPC channel. */
  start(label: string, fixture: string, args: string[]): Child {
    const child = new Child(
      label,
      fork(join(FIXTURES, fixture), args, {
        execPath: process.execPath,
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'json',
      }),
    );
    this.children.push(child);
    return child;
  }

  /** An ethdev_peer.mjs process, once it reports ready. */
  async peer(role: 'primary' | 'secondary' | 'writer', label: string, maxPorts?: number): Promise<Child> {
    const args = [role, this.runtimeDir, ...(maxPorts !== undefined ? [String(maxPorts)] : [])];
    const child = this.start(label, 'ethdev_peer.mjs', args);
    const first = await child.waitFor((e) => e.event === 'ready' || e.event === 'failed', 'ready');
    if (first.event === 'failed') throw new RequestFailed(String(first.code), `${label}: ${String(first.message)}`);
    return child;
  }

  /** SIGKILL by pid, then wait for the exit. */
  async kill(child: Child): Promise<void> {
    if (child.alive) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await child.exited;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.children.splice(0).map((child) => this.kill(child)));
    if (this.runtimeDir) await rm(this.runtimeDir, { recursive: true, force: true });
    this.runtimeDir = '';
  }
}
