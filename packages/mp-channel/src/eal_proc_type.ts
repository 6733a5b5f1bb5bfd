import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { errnoNameOf } from '@eal-ts/errno';
import { setRecordLock, testRecordLock } from '@eal-ts/sys';
import { configPath } from './eal_filesystem.js';
import { writeEalTsConfig } from './eal_memcfg.js';

/**
 * The primary's claim on a runtime directory, as DPDK's rte_eal_config_create:
 * a write record lock on `<dir>/config`, held for the process's whole life.
 * DPDK locks a range inside the file; we lock the whole file, which overlaps
 * DPDK's range, so DPDK and eal-ts processes detect each other's primary.
 *
 * POSIX drops a process's record locks when it closes ANY fd of the file, so
 * the primary must never open and close `config` elsewhere.
 *
 * Once locked, the file gets the eal-ts header (DPDK's magic and a version
 * no DPDK release has, see eal_memcfg.ts): secondaries learn from it that
 * the primary is eal-ts, and a DPDK secondary refuses it as another version.
 */
export class PrimaryLock {
  /**
   * Every lock this process holds. A FileHandle nobody references is closed
   * by the garbage collector, and closing the fd drops the record lock: an
   * application that let go of its Eal (or of this object) would silently
   * stop being the primary. Held here until release() instead.
   */
  static readonly #held = new Set<PrimaryLock>();

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
  ) {
    PrimaryLock.#held.add(this);
  }

  /** Takes the lock, or resolves null when another process holds it. */
  static async acquire(runtimeDir: string): Promise<PrimaryLock | null> {
    const path = configPath(runtimeDir);
    const handle = await open(path, constants.O_RDWR | constants.O_CREAT, 0o600);
    try {
      if (await setRecordLock(handle.fd, 'write')) {
        await writeEalTsConfig(handle);
        return new PrimaryLock(handle, path);
      }
    } catch (error) {
      await handle.close();
      throw error;
    }
    await handle.close();
    return null;
  }

  /** Releases the lock by closing the file (the file itself stays, as DPDK leaves it). */
  async release(): Promise<void> {
    PrimaryLock.#held.delete(this);
    await this.handle.close();
  }
}

/**
 * Who holds the primary's lock of a runtime directory, if anyone: DPDK's
 * "is the primary alive" test (lockf F_TEST over the whole file).
 */
export async function primaryLockHolder(runtimeDir: string): Promise<{ pid: number } | null> {
  try {
    const holder = await testRecordLock(configPath(runtimeDir), 'write');
    return holder && { pid: holder.pid };
  } catch (error) {
    if (errnoNameOf(error) === 'ENOENT') return null;
    throw error;
  }
}

export type ProcessType = 'primary' | 'secondary';

/**
 * `--proc-type=auto`, as DPDK's eal_proc_type_detect: whoever takes the
 * config lock is the primary; when it is refused, a primary (DPDK's or ours)
 * is running and this process is a secondary.
 */
export async function detectProcessType(
  runtimeDir: string,
): Promise<{ type: 'primary'; lock: PrimaryLock } | { type: 'secondary' }> {
  const lock = await PrimaryLock.acquire(runtimeDir);
  return lock ? { type: 'primary', lock } : { type: 'secondary' };
}
