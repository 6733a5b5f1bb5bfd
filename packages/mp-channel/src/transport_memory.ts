import { basename, dirname } from 'node:path';
import { systemClock, type Clock } from './clock.js';
import { matchFbarrayFilter, matchMpSocketFilter } from './eal_filesystem.js';
import { MpError } from './errors.js';
import { RwLock } from './rwlock.js';
import type { MpEndpoint, MpLockOptions, MpTransport, ReceivedDatagram } from './transport.js';

export interface Credentials {
  pid: number;
  uid: number;
  gid: number;
}

/** Decides per datagram; `bytes` is the encoded body. */
export type DatagramHook<T> = (from: string, to: string, bytes: Uint8Array) => T;

export interface MemoryNetworkOptions {
  /** Schedules deliveries; pass the VirtualClock the channels use to make a test fully deterministic. */
  clock?: Clock;
  /** Milliseconds until a datagram arrives (default 0). Order per destination stays FIFO whatever the delays. */
  delay?: DatagramHook<number>;
  /** True to lose a datagram silently, as a full receive queue would. */
  drop?: DatagramHook<boolean>;
}

interface SocketNode {
  kind: 'socket';
  /** Undefined once closed without unlink: a stale socket file. */
  receiver: ((d: ReceivedDatagram) => void) | undefined;
  credentials: Credentials | null;
}

interface FileNode {
  kind: 'file';
  locked: boolean;
}

type Node = SocketNode | FileNode;

interface QueuedDatagram {
  ready: boolean;
  readonly datagram: ReceivedDatagram;
}

function processCredentials(): Credentials {
  return { pid: process.pid, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}

function refused(code: 'ECONNREFUSED' | 'ENOENT' | 'EADDRINUSE' | 'EBADF', to: string): MpError {
  const what = {
    ECONNREFUSED: 'connection refused (nobody is bound there any more)',
    ENOENT: 'no such socket',
    EADDRINUSE: 'address in use',
    EBADF: 'socket closed',
  }[code];
  return new MpError(code, `${to}: ${what}`);
}

/**
 * Every mp endpoint of a test in one process: a model of a runtime
 * directory's socket files with no sockets and no files. Delivery is
 * asynchronous, ordered per destination, and driven by the given clock.
 */
export class MemoryNetwork {
  readonly clock: Clock;
  delay: DatagramHook<number> | undefined;
  drop: DatagramHook<boolean> | undefined;
  /** Descriptors the channels released (closed, had they been real); in memory nothing is really closed. */
  readonly releasedFds: number[] = [];
  readonly #nodes = new Map<string, Node>();
  readonly #locks = new Map<string, RwLock>();
  readonly #queues = new Map<string, QueuedDatagram[]>();
  readonly #paused = new Set<string>();

  constructor(options: MemoryNetworkOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.delay = options.delay;
    this.drop = options.drop;
  }

  /** A transport over this network; its endpoints present `credentials` to receivers (default: this process's, null: none). */
  transport(options: { credentials?: Credentials | null } = {}): MpTransport {
    const credentials = options.credentials === undefined ? processCredentials() : options.credentials;
    return new MemoryTransport(this, credentials);
  }

  /** Overrides what receivers see as the credentials of the socket bound at `path`. */
  setCredentials(path: string, credentials: Credentials | null): void {
    const node = this.#nodes.get(path);
    if (node?.kind !== 'socket') throw refused('ENOENT', path);
    node.credentials = credentials;
  }

  /** The "files" that exist, sorted; only those directly in `dir` if given. */
  paths(dir?: string): string[] {
    return [...this.#nodes.keys()].filter((p) => dir === undefined || dirname(p) === dir).sort();
  }

  /** True if a live endpoint is bound at `path` (false for a stale socket or nothing). */
  isBound(path: string): boolean {
    const node = this.#nodes.get(path);
    return node?.kind === 'socket' && node.receiver !== undefined;
  }

  /**
   * The process behind `path` died without cleaning up: its socket file
   * stays, and sends to it are refused (ECONNREFUSED) as for a real one.
   */
  kill(path: string): void {
    const node = this.#nodes.get(path);
    if (node?.kind !== 'socket') throw refused('ENOENT', path);
    node.receiver = undefined;
  }

  /**
   * The process behind `path` is stopped (SIGSTOP): datagrams sent to it are
   * accepted and queue up, in order, until resume(); nothing is lost.
   */
  pause(path: string): void {
    this.#paused.add(path);
  }

  /** The process behind `path` runs again (SIGCONT): everything that arrived meanwhile is handed over, in order. */
  resume(path: string): void {
    if (this.#paused.delete(path)) this.#flush(path);
  }

  /** Whether `path` is paused. */
  isPaused(path: string): boolean {
    return this.#paused.has(path);
  }

  /** Datagrams sent but not yet handed to their receiver (in transit or held by a paused receiver). */
  get inFlight(): number {
    let n = 0;
    for (const queue of this.#queues.values()) n += queue.length;
    return n;
  }

  /** Creates a plain file, e.g. an fbarray_* that cleanStale should (unlocked) or should not (locked) remove. */
  createFile(path: string, options: { locked?: boolean } = {}): void {
    this.#nodes.set(path, { kind: 'file', locked: options.locked ?? false });
  }

  /** Delivers a hand-made datagram to `to`, e.g. a truncated or malformed one; defaults describe a sane datagram. */
  inject(to: string, datagram: Partial<ReceivedDatagram> & { data: Uint8Array }): void {
    this.#enqueue(to, {
      size: datagram.data.length,
      truncated: false,
      controlTruncated: false,
      peer: '',
      fds: [],
      credentials: processCredentials(),
      ...datagram,
    }, 0);
  }

  /** @internal */
  lock(dir: string): RwLock {
    let lock = this.#locks.get(dir);
    if (!lock) this.#locks.set(dir, (lock = new RwLock()));
    return lock;
  }

  /** @internal */
  bind(path: string, receiver: (d: ReceivedDatagram) => void, credentials: Credentials | null): SocketNode {
    const node: SocketNode = { kind: 'socket', receiver, credentials };
    this.#nodes.set(path, node);
    return node;
  }

  /** @internal */
  send(from: SocketNode, fromPath: string, to: string, data: Uint8Array, fds: readonly number[]): void {
    if (from.receiver === undefined) throw refused('EBADF', fromPath);
    const target = this.#nodes.get(to);
    if (target === undefined) throw refused('ENOENT', to);
    if (target.kind !== 'socket' || target.receiver === undefined) throw refused('ECONNREFUSED', to);
    if (this.drop?.(fromPath, to, data)) return;
    const delay = this.delay?.(fromPath, to, data) ?? 0;
    this.#enqueue(
      to,
      {
        data: Uint8Array.prototype.slice.call(data),
        size: data.length,
        truncated: false,
        controlTruncated: false,
        peer: fromPath,
        fds: [...fds],
        credentials: from.credentials && { ...from.credentials },
      },
      delay,
    );
  }

  /** @internal */
  unlink(path: string): boolean {
    return this.#nodes.delete(path);
  }

  /** @internal */
  node(path: string): Node | undefined {
    return this.#nodes.get(path);
  }

  #enqueue(to: string, datagram: ReceivedDatagram, delay: number): void {
    let queue = this.#queues.get(to);
    if (!queue) this.#queues.set(to, (queue = []));
    const entry: QueuedDatagram = { ready: false, datagram };
    queue.push(entry);
    this.clock.setTimeout(() => {
      entry.ready = true;
      this.#flush(to);
    }, delay);
  }

  #flush(to: string): void {
    const queue = this.#queues.get(to);
    if (!queue || this.#paused.has(to)) return;
    while (queue[0]?.ready) {
      const { datagram } = queue.shift()!;
      const node = this.#nodes.get(to);
      // A datagram reaching a closed or unlinked socket is lost with it.
      if (node?.kind === 'socket' && node.receiver) node.receiver(datagram);
    }
    if (queue.length === 0) this.#queues.delete(to);
  }
}

class MemoryEndpoint implements MpEndpoint {
  #closed = false;

  constructor(
    private readonly network: MemoryNetwork,
    private readonly node: SocketNode,
    readonly path: string,
  ) {}

  // async so that a refusal arrives as a rejection, as from a real socket.
  // eslint-disable-next-line @typescript-eslint/require-await
  async send(to: string, datagram: Uint8Array, fds: readonly number[]): Promise<void> {
    this.network.send(this.node, this.path, to, datagram, fds);
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.node.receiver = undefined;
      // Only unlink our own file: someone may have rebound the path since.
      if (this.network.node(this.path) === this.node) this.network.unlink(this.path);
    }
    return Promise.resolve();
  }
}

class MemoryTransport implements MpTransport {
  constructor(
    private readonly network: MemoryNetwork,
    private readonly credentials: Credentials | null,
  ) {}

  bind(path: string, onDatagram: (d: ReceivedDatagram) => void, _onError?: unknown, options: MpLockOptions = {}): Promise<MpEndpoint> {
    if (options.signal?.aborted) return Promise.reject(options.signal.reason as Error);
    return this.network.lock(dirname(path)).with('exclusive', () => {
      const node = this.network.bind(path, onDatagram, this.credentials && { ...this.credentials });
      return Promise.resolve(new MemoryEndpoint(this.network, node, path));
    });
  }

  withPeers<T>(dir: string, fn: (peers: string[]) => Promise<T>, options: MpLockOptions = {}): Promise<T> {
    if (options.signal?.aborted) return Promise.reject(options.signal.reason as Error);
    return this.network.lock(dir).with('shared', () => {
      const peers = this.network.paths(dir).filter((p) => matchMpSocketFilter(basename(p)));
      return fn(peers);
    });
  }

  /** Nobody holds or waits for the directory's lock and no mp_socket_* is bound in it. */
  surelyAlone(dir: string): boolean {
    return this.network.lock(dir).idle && !this.network.paths(dir).some((p) => matchMpSocketFilter(basename(p)));
  }

  unlink(path: string): Promise<void> {
    this.network.unlink(path);
    return Promise.resolve();
  }

  closeFds(fds: readonly number[]): void {
    // They are the sender's own numbers in this same process: only record them.
    this.network.releasedFds.push(...fds);
  }

  cleanStale(dir: string, options: MpLockOptions = {}): Promise<string[]> {
    if (options.signal?.aborted) return Promise.reject(options.signal.reason as Error);
    return this.network.lock(dir).with('exclusive', () => {
      const removed: string[] = [];
      for (const path of this.network.paths(dir)) {
        const node = this.network.node(path);
        const name = basename(path);
        const stale =
          (node?.kind === 'socket' && node.receiver === undefined && matchMpSocketFilter(name)) ||
          (node?.kind === 'file' && !node.locked && matchFbarrayFilter(name));
        if (stale && this.network.unlink(path)) removed.push(path);
      }
      return Promise.resolve(removed);
    });
  }
}
