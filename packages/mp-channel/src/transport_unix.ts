import { runThenRelease } from '@eal-ts/errno';
import { type FstatLite, flock, fstatLiteSync, tryFlockSync, UnixDgramSocket } from '@eal-ts/sys';
import { closeSync, openSync } from 'node:fs';
import { open, readdir, readFile, realpath, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { matchFbarrayFilter, matchMpSocketFilter } from './eal_filesystem.js';
import { PeerLists } from './peer_list.js';
import { RwLock } from './rwlock.js';
import type { MpEndpoint, MpLockOptions, MpTransport, ReceivedDatagram } from './transport.js';

export interface UnixTransportOptions {
  /**
   * recvmsg buffer. Above the largest valid message (340 bytes), so a bigger
   * datagram shows with its real size instead of being cut to a valid one.
   */
  receiveBufferSize?: number;
  /** Most fds accepted in one datagram (DPDK 24.11+ may send up to 253). */
  maxReceiveFds?: number;
  /** Where bound AF_UNIX paths are listed (Linux procfs); tests may point elsewhere. */
  procNetUnix?: string;
  /**
   * Longest wait for the runtime directory's flock (default 10 s: longer than
   * DPDK's 5 s hotplug request, during which a primary holds it shared). Past
   * it, a LockTimeoutError (ETIMEDOUT) from @eal-ts/sys names the directory
   * and the holder's pid. DPDK waits forever.
   */
  lockTimeoutMs?: number;
}

const DEFAULT_RECEIVE_BUFFER = 512;
const DEFAULT_MAX_RECEIVE_FDS = 253;
const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

async function removeIfExists(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** One shared flock on a directory, held for as many of our readers as overlap. */
interface SharedHold {
  count: number;
  /** The directory's kept fd, flocked LOCK_SH (a promise of it while the flock is being waited for). */
  fd: number | Promise<number>;
  /** The directory's fstat, taken under the flock: PeerLists works from it. */
  stat?: FstatLite;
}

/**
 * The real thing: AF_UNIX datagram sockets from @eal-ts/sys, flock on the
 * runtime directory as DPDK takes it, so DPDK processes and ours exclude
 * each other while binding and broadcasting.
 *
 * Within this process the same locks are also taken on an async
 * readers/writer lock first: two flocks of one process on different open
 * files would otherwise exclude each other.
 *
 * No libuv threadpool round trip on the broadcast's path (issue 11): the
 * directory's fd is kept open between broadcasts (closed by releaseDir when
 * the channel closes), flocked and listed under its shared flock with
 * synchronous calls, and the flock is a non-blocking attempt (retried on
 * timers only while a peer binds under the exclusive one). The runtime
 * directory is local (tmpfs under /run or $XDG_RUNTIME_DIR, or /tmp) and
 * holds a handful of entries: open, close and readdir are a path lookup and
 * a walk of cached dentries, 7-12 µs for 3-20 entries on a 2-vCPU VM,
 * against 15-300 µs for each of the four threadpool round trips they
 * replace — never a wait on a disk. The listing itself is kept until the
 * directory's mtime or ctime moves (PeerLists): one fstat per broadcast.
 */
export class UnixTransport implements MpTransport {
  readonly #options: Required<UnixTransportOptions>;
  readonly #locks = new Map<string, RwLock>();
  readonly #shared = new Map<string, SharedHold>();
  /** Per runtime directory, the fd the broadcasts flock (see #sharedFd); released by releaseDir. */
  readonly #dirFds = new Map<string, number>();
  /** Directories whose kept fd is closed once the broadcast holding it ends. */
  readonly #closeAfterHold = new Set<string>();
  readonly #peers = new PeerLists();

  constructor(options: UnixTransportOptions = {}) {
    this.#options = {
      receiveBufferSize: options.receiveBufferSize ?? DEFAULT_RECEIVE_BUFFER,
      maxReceiveFds: options.maxReceiveFds ?? DEFAULT_MAX_RECEIVE_FDS,
      procNetUnix: options.procNetUnix ?? '/proc/net/unix',
      lockTimeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    };
    const timeout = this.#options.lockTimeoutMs;
    if (!Number.isSafeInteger(timeout) || timeout < 0) {
      throw new RangeError(`lockTimeoutMs must be a non-negative whole number of ms, got ${String(timeout)}`);
    }
  }

  async bind(
    path: string,
    onDatagram: (d: ReceivedDatagram) => void,
    onError?: (error: Error) => void,
    options: MpLockOptions = {},
  ): Promise<MpEndpoint> {
    const socket = await this.#withDirLock(dirname(path), 'exclusive', options.signal, async () => {
      // DPDK unlinks first too: a file left by a dead process must not stop us.
      await removeIfExists(path);
      return UnixDgramSocket.bind(path, {
        receiveBufferSize: this.#options.receiveBufferSize,
        maxReceiveFds: this.#options.maxReceiveFds,
      });
    });
    socket.on('datagram', (d) => onDatagram(d));
    socket.on('error', (error) => {
      if (onError) onError(error);
    });
    return new UnixEndpoint(socket, path);
  }

  withPeers<T>(dir: string, fn: (peers: string[]) => Promise<T>, options: MpLockOptions = {}): Promise<T> {
    const signal = options.signal;
    // A primary alone (issue 11): nothing of this process holds the
    // directory and it has not changed since a kept listing found nobody, so
    // there is nobody to send to and no flock to take.
    if (signal?.aborted !== true && this.surelyAlone(dir)) {
      try {
        return fn([]);
      } catch (error) {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        return Promise.reject(error);
      }
    }
    return this.#withDirLock(dir, 'shared', signal, (fd) => fn(this.#peers.list(dir, fd, this.#shared.get(dir)?.stat)));
  }

  /** Nothing of this process holds or waits for `dir`'s flock, and #surelyEmpty. */
  surelyAlone(dir: string): boolean {
    return !this.#locks.has(dir) && this.#surelyEmpty(dir);
  }

  /**
   * PeerLists.surelyEmpty from an fstat of the kept fd of `dir` (unlocked);
   * false when no kept listing found nobody (without the fstat), when there
   * is no kept fd, the fstat fails, or the directory was removed.
   */
  #surelyEmpty(dir: string): boolean {
    if (!this.#peers.keptEmpty(dir)) return false;
    const fd = this.#dirFds.get(dir);
    if (fd === undefined) return false;
    let stat: FstatLite;
    try {
      stat = fstatLiteSync(fd);
    } catch {
      return false;
    }
    return stat.nlink > 0 && this.#peers.surelyEmpty(dir, stat);
  }

  /**
   * The channel of `dir` is closing: the fd its broadcasts flock is closed
   * now, or when the broadcast holding it ends. A later broadcast opens it again.
   */
  releaseDir(dir: string): void {
    if (this.#shared.has(dir)) {
      this.#closeAfterHold.add(dir);
      return;
    }
    const fd = this.#dirFds.get(dir);
    this.#dirFds.delete(dir);
    if (fd !== undefined) closeSync(fd);
  }

  async unlink(path: string): Promise<void> {
    await removeIfExists(path);
  }

  async cleanStale(dir: string, options: MpLockOptions = {}): Promise<string[]> {
    return this.#withDirLock(dir, 'exclusive', options.signal, async () => {
      const removed: string[] = [];
      const names = await readdir(dir);
      const bound = await this.#boundSockets(dir);
      for (const name of names.sort()) {
        const path = join(dir, name);
        if (matchMpSocketFilter(name)) {
          // Without /proc/net/unix we cannot tell: leave them, sends will find out.
          if (bound && !bound.has(name)) {
            await removeIfExists(path);
            removed.push(path);
          }
        } else if (matchFbarrayFilter(name)) {
          if (await this.#removeUnlockedFile(path)) removed.push(path);
        }
      }
      return removed;
    });
  }

  /** Names in `dir` that some socket in this network namespace is bound to, or undefined if procfs is unreadable. */
  async #boundSockets(dir: string): Promise<Set<string> | undefined> {
    let table: string;
    try {
      table = await readFile(this.#options.procNetUnix, 'utf8');
    } catch {
      return undefined;
    }
    const realDir = await realpath(dir);
    const realDirs = new Map<string, string | null>();
    const names = new Set<string>();
    for (const line of table.split('\n').slice(1)) {
      // Num RefCount Protocol Flags Type St Inode [Path]
      const match = /^\s*\S+:\s+(?:\S+\s+){5}\S+ (.+)$/.exec(line);
      const bound = match?.[1];
      if (!bound?.startsWith('/') || !matchMpSocketFilter(basename(bound))) continue;
      // A peer may have bound through a symlink (/var/run is one to /run).
      const parent = dirname(bound);
      let real = realDirs.get(parent);
      if (real === undefined) {
        real = await realpath(parent).catch(() => null);
        realDirs.set(parent, real);
      }
      if (real === realDir) names.add(basename(bound));
    }
    return names;
  }

  /** eal_clean_runtime_dir's test: a file nobody holds a lock on is garbage. */
  async #removeUnlockedFile(path: string): Promise<boolean> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch {
      return false;
    }
    try {
      if (!(await flock(handle.fd, 'exclusive', { wait: false }))) return false;
      await removeIfExists(path);
      return true;
    } finally {
      await handle.close();
    }
  }

  /**
   * Runs fn under the directory's flock (after this process's own rwlock); fn
   * gets the flocked directory's fd. Free locks are taken synchronously and
   * let go when fn settles, with no async layer in between (issue 11: every
   * broadcast comes through here); only a lock held elsewhere, in this
   * process or another, is waited for.
   */
  #withDirLock<T>(dir: string, mode: 'shared' | 'exclusive', signal: AbortSignal | undefined, fn: (fd: number) => Promise<T>): Promise<T> {
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
    let lock = this.#locks.get(dir);
    if (!lock) this.#locks.set(dir, (lock = new RwLock()));
    const rwlock = lock;
    const granted = rwlock.tryAcquire(mode);
    if (granted) return this.#underDirLock(dir, mode, signal, fn, rwlock, granted);
    return rwlock.acquire(mode).then((release) => this.#underDirLock(dir, mode, signal, fn, rwlock, release));
  }

  /** With our place in the rwlock: the flock, fn, then both let go, on every path. */
  #underDirLock<T>(
    dir: string,
    mode: 'shared' | 'exclusive',
    signal: AbortSignal | undefined,
    fn: (fd: number) => Promise<T>,
    lock: RwLock,
    release: () => void,
  ): Promise<T> {
    const leave = (): void => {
      release();
      if (lock.idle && this.#locks.get(dir) === lock) this.#locks.delete(dir);
    };
    let held: number | Promise<number>;
    try {
      // Waiting behind our own process's holders is bounded by their own work; the flock below by lockTimeoutMs.
      signal?.throwIfAborted();
      held = mode === 'exclusive' ? this.#flockDir(dir, 'exclusive', signal) : this.#acquireShared(dir, signal);
    } catch (error) {
      leave();
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(error);
    }
    const run = (fd: number): Promise<T> =>
      runThenRelease(
        () => fn(fd),
        () => {
          try {
            if (mode === 'exclusive') closeSync(fd);
            else this.#releaseShared(dir);
          } finally {
            leave();
          }
        },
      );
    if (typeof held === 'number') return run(held);
    return held.then(run, (error: unknown) => {
      leave();
      throw error;
    });
  }

  /**
   * Opens `dir` and takes its flock (DPDK: open(O_RDONLY) + flock); the fd,
   * whose close drops it. A free lock is taken by the first non-blocking
   * attempt, synchronously (a number comes back); only a lock held by
   * another process waits, with backoff under lockTimeoutMs (a promise).
   */
  #flockDir(dir: string, mode: 'shared' | 'exclusive', signal: AbortSignal | undefined): number | Promise<number> {
    const fd = openSync(dir, 'r');
    try {
      if (tryFlockSync(fd, mode)) return fd;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return flock(fd, mode, { timeoutMs: this.#options.lockTimeoutMs, signal, name: dir }).then(
      () => fd,
      (error: unknown) => {
        closeSync(fd);
        throw error;
      },
    );
  }

  /**
   * The shared flock overlapping readers of `dir` share: the fd now, or a
   * promise of it while it is being taken. Broadcasts flock one fd of the
   * directory kept open for the channel's life (LOCK_SH, then LOCK_UN),
   * where DPDK opens and closes the directory each time: the same lock on
   * the same inode, two syscalls and a path walk fewer per broadcast
   * (issue 11). A directory removed since it was opened (no links left) is
   * opened again by path, so a recreated runtime directory is the one locked
   * and listed, as DPDK's open would find it.
   */
  #acquireShared(dir: string, signal: AbortSignal | undefined): number | Promise<number> {
    let hold = this.#shared.get(dir);
    // The first reader's signal governs the one shared flock the overlapping readers share.
    if (!hold) {
      const taking: SharedHold = { count: 0, fd: -1 };
      // Registered only once the attempt is under way: one that throws leaves nothing behind.
      const fd = this.#lockShared(dir, signal, taking, true);
      taking.fd = fd;
      hold = taking;
      this.#shared.set(dir, hold);
      if (typeof fd !== 'number') {
        // Later readers wait for the number; the hold keeps it once known.
        fd.then(
          (n) => {
            taking.fd = n;
          },
          () => undefined,
        );
      }
    }
    hold.count++;
    const fd = hold.fd;
    if (typeof fd === 'number') return fd;
    const waiting = hold;
    return fd.catch((error: unknown) => {
      if (--waiting.count === 0 && this.#shared.get(dir) === waiting) this.#shared.delete(dir);
      throw error;
    });
  }

  /** LOCK_SH on the kept fd of `dir` (opened if need be), then #checkLocked. */
  #lockShared(dir: string, signal: AbortSignal | undefined, hold: SharedHold, retryRemoved: boolean): number | Promise<number> {
    let fd = this.#dirFds.get(dir);
    if (fd === undefined) {
      fd = openSync(dir, 'r');
      this.#dirFds.set(dir, fd);
    }
    let taken: boolean;
    try {
      taken = tryFlockSync(fd, 'shared');
    } catch (error) {
      this.#forgetDirFd(dir, fd);
      throw error;
    }
    if (taken) return this.#checkLocked(dir, signal, hold, fd, retryRemoved);
    const waitingFd = fd;
    return flock(waitingFd, 'shared', { timeoutMs: this.#options.lockTimeoutMs, signal, name: dir }).then(() =>
      this.#checkLocked(dir, signal, hold, waitingFd, retryRemoved),
    );
  }

  /**
   * Under the shared flock: the directory's fstat into `hold` (PeerLists
   * works from it), unless the directory has no link left (removed since we
   * opened it): then this fd goes, which drops its flock, and the path is
   * opened and locked anew, once.
   */
  #checkLocked(dir: string, signal: AbortSignal | undefined, hold: SharedHold, fd: number, retryRemoved: boolean): number | Promise<number> {
    let stat: FstatLite;
    try {
      stat = fstatLiteSync(fd);
    } catch (error) {
      this.#forgetDirFd(dir, fd);
      throw error;
    }
    if (stat.nlink > 0 || !retryRemoved) {
      hold.stat = stat;
      return fd;
    }
    this.#forgetDirFd(dir, fd);
    return this.#lockShared(dir, signal, hold, false);
  }

  #forgetDirFd(dir: string, fd: number): void {
    if (this.#dirFds.get(dir) === fd) this.#dirFds.delete(dir);
    closeSync(fd);
  }

  /** One reader of `dir` is done; the last one drops the shared flock (LOCK_UN on the kept fd). */
  #releaseShared(dir: string): void {
    const hold = this.#shared.get(dir);
    if (!hold || --hold.count > 0) return;
    this.#shared.delete(dir);
    // Only a reader that got the fd releases, so it is a number by now.
    const fd = hold.fd;
    if (typeof fd !== 'number') return;
    if (this.#closeAfterHold.delete(dir) || this.#dirFds.get(dir) !== fd) {
      this.#forgetDirFd(dir, fd);
      return;
    }
    tryFlockSync(fd, 'unlock');
  }
}

class UnixEndpoint implements MpEndpoint {
  #closing: Promise<void> | undefined;

  constructor(
    private readonly socket: UnixDgramSocket,
    readonly path: string,
  ) {}

  send(to: string, datagram: Uint8Array, fds: readonly number[]): Promise<void> {
    return this.socket.send(to, datagram, fds);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.socket.close();
      await removeIfExists(this.path);
    })();
    return this.#closing;
  }
}
