import { type FstatLite, fstatLiteSync } from '@eal-ts/sys';
import { readdirSync } from 'node:fs';
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
  readonly stat: FstatLite;
  readonly peers: readonly string[];
}

/** The same directory (device and inode) with the same mtime and ctime, to the nanosecond. */
function unchanged(a: FstatLite, b: FstatLite): boolean {
  return (
    a.ino === b.ino &&
    a.dev === b.dev &&
    a.mtimeNsec === b.mtimeNsec &&
    a.mtimeSec === b.mtimeSec &&
    a.ctimeNsec === b.ctimeNsec &&
    a.ctimeSec === b.ctimeSec
  );
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
   * Whether a kept listing of `dir` found no secondary: the only case in
   * which surelyEmpty can be true, so a caller with secondaries skips the
   * fstat it would take for it (issue 11: one syscall per broadcast).
   */
  keptEmpty(dir: string): boolean {
    return this.#cache.get(dir)?.peers.length === 0;
  }

  /**
   * True when `stat` (of `dir`, taken without its flock) shows the directory
   * unchanged since a kept listing that found no secondary: nobody has bound
   * there since, so a broadcast has nobody to send to. A secondary binding
   * right now (under its exclusive flock) has either created its socket, which
   * changed the directory, or not yet: then the broadcast is simply one that
   * came before it, as one that took the shared flock first would be.
   */
  surelyEmpty(dir: string, stat: FstatLite): boolean {
    const cached = this.#cache.get(dir);
    return cached !== undefined && cached.peers.length === 0 && unchanged(cached.stat, stat);
  }

  /**
   * `dir`'s mp_socket_* paths, sorted; `fd` is the directory, open and
   * flocked by the caller, `stat` its fstat when the caller has it already.
   */
  list(dir: string, fd: number, stat: FstatLite = fstatLiteSync(fd)): string[] {
    const cached = this.#cache.get(dir);
    if (cached && unchanged(cached.stat, stat)) return [...cached.peers];
    // Synchronous on purpose: cached dentries of a small local directory (see UnixTransport).
    const peers = readdirSync(dir)
      .filter(matchMpSocketFilter)
      .sort()
      .map((name) => join(dir, name));
    // mtime in ms, to the µs (exact enough for a 50 ms margin).
    const mtimeMs = stat.mtimeSec * 1000 + stat.mtimeNsec / 1e6;
    if (mtimeMs < this.now() - PEER_LIST_SETTLE_MS) this.#cache.set(dir, { stat, peers });
    else this.#cache.delete(dir);
    return [...peers];
  }
}
