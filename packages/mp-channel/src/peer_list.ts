import { type BigIntStats, fstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { matchMpSocketFilter } from './eal_filesystem.js';

/**
 * A directory's timestamps move in clock ticks (the kernel's coarse clock,
 * 1-10 ms): an entry added in the same tick as the listing we cached would
 * leave them unchanged. A listing is kept only when the directory's mtime is
 * older than this, so any later change gets a different one (git's "racily
 * clean" rule); a younger directory is listed again on every broadcast.
 */
export const PEER_LIST_SETTLE_MS = 50;

interface CachedList {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly peers: readonly string[];
}

/**
 * The secondaries' socket paths of runtime directories (DPDK's
 * mp_request_sync/async: readdir of the directory under its shared flock,
 * entries matching mp_socket_*), remembered per directory and listed again
 * only when the directory changed: one fstat of the already open, flocked
 * directory instead of a readdir (open, getdents, close, a string per entry)
 * per broadcast.
 *
 * What DPDK sees, this sees: a secondary binds under the directory's
 * exclusive flock, so never during a listing, and its entry changes the
 * directory's mtime and ctime, so the next broadcast lists again (a
 * recreated directory has another inode). A socket removed after the
 * listing is sent to and refused, as one removed between DPDK's readdir and
 * its sendmsg is; the channel skips and unlinks it as before.
 */
export class PeerLists {
  readonly #cache = new Map<string, CachedList>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * `dir`'s mp_socket_* paths, sorted; `fd` is the directory, open and
   * flocked by the caller, `stat` its fstat when the caller has it already.
   */
  list(dir: string, fd: number, stat: BigIntStats = fstatSync(fd, { bigint: true })): string[] {
    const cached = this.#cache.get(dir);
    if (
      cached &&
      cached.ino === stat.ino &&
      cached.dev === stat.dev &&
      cached.mtimeNs === stat.mtimeNs &&
      cached.ctimeNs === stat.ctimeNs
    ) {
      return [...cached.peers];
    }
    // Synchronous on purpose: cached dentries of a small local directory (see UnixTransport).
    const peers = readdirSync(dir)
      .filter(matchMpSocketFilter)
      .sort()
      .map((name) => join(dir, name));
    const settled = stat.mtimeNs < BigInt(Math.floor(this.now() - PEER_LIST_SETTLE_MS)) * 1_000_000n;
    if (settled) {
      this.#cache.set(dir, { dev: stat.dev, ino: stat.ino, mtimeNs: stat.mtimeNs, ctimeNs: stat.ctimeNs, peers });
    } else {
      this.#cache.delete(dir);
    }
    return [...peers];
  }
}
