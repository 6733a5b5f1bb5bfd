import { constants } from 'node:fs';
import { open, readFile, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errnoNameOf } from '@eal-ts/errno';
import type { Logger } from '@eal-ts/log';
import { setRecordLock, testRecordLock } from '@eal-ts/sys';
import { configPath } from './eal_filesystem.js';
import { describePrimaryConfig, readPrimaryConfig, writeEalTsConfig, type PrimaryConfig } from './eal_memcfg.js';
import { MpError } from './errors.js';

/**
 * What a process is to its runtime directory (DPDK's rte_proc_type_t, as
 * decided: `auto` is only a command-line choice). Declared here, beside the
 * config lock that decides it, and imported by every package that needs it.
 */
export type ProcessType = 'primary' | 'secondary';

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

/**
 * Written by an eal-ts primary once its init is complete (its pid), removed
 * by its cleanup: a secondary waits for it as DPDK's waits for the shared
 * config's magic (eal_mcfg_wait_complete), so it never scans a primary that
 * is still starting.
 */
export const READY_FILE = 'eal_ts_primary_ready';

/** What rte_config_init decided for a process with a runtime directory. */
export interface ProcessTypeDecision {
  readonly type: ProcessType;
  /** The config lock, held by a primary until its cleanup releases it; null in a secondary. */
  readonly lock: PrimaryLock | null;
  /** In a secondary, what the primary's config file said; null in a primary. */
  readonly primaryConfig: PrimaryConfig | null;
  /** A secondary whose primary is not eal-ts (DPDK's, or a config file of a size we do not know). */
  readonly foreignPrimary: boolean;
}

export interface DecideProcessTypeOptions {
  /** --proc-type. */
  readonly requested: ProcessType | 'auto';
  /** How long a secondary waits for its primary to complete its init. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Ends the secondary's wait at once (it rejects with the abort). */
  readonly signal?: AbortSignal | undefined;
}

/**
 * rte_config_init's choice for a process with a runtime directory: explicit,
 * or auto through the config lock (eal_proc_type_detect); then a secondary
 * waits for its primary (eal_mcfg_wait_complete). Rejects with MpError:
 * EBUSY (another primary holds the lock), ENOENT (no primary, or it exited),
 * ETIMEDOUT (the primary never completed its init), or the I/O error's code.
 */
export async function decideProcessType(runtimeDir: string, options: DecideProcessTypeOptions): Promise<ProcessTypeDecision> {
  const { requested, logger } = options;
  const config = configPath(runtimeDir);
  let lock: PrimaryLock | null = null;
  try {
    if (requested === 'auto') {
      const detected = await detectProcessType(runtimeDir);
      logger.info(`Auto-detected process type: ${detected.type.toUpperCase()}`);
      if (detected.type === 'primary') lock = detected.lock;
    } else if (requested === 'primary') {
      lock = await PrimaryLock.acquire(runtimeDir);
      if (!lock) {
        const holder = await primaryLockHolder(runtimeDir).catch(() => null);
        throw new MpError(
          'EBUSY',
          `Cannot create lock on '${config}'. Is another primary process running?` +
            (holder ? ` (pid ${holder.pid} holds it)` : '') +
            ' Use --proc-type=secondary or auto to join it, or another --file-prefix.',
        );
      }
    } else {
      const holder = await primaryLockHolder(runtimeDir);
      if (!holder) {
        throw new MpError(
          'ENOENT',
          `no primary process is running in ${runtimeDir} (nobody holds the lock on '${config}'): ` +
            'start a primary first, or use --proc-type=auto or primary',
        );
      }
      logger.debug(`primary process: pid ${holder.pid}`);
    }
  } catch (error) {
    throw MpError.from(error, 'EIO', 'Cannot init config');
  }
  if (lock) return { type: 'primary', lock, primaryConfig: null, foreignPrimary: false };
  return { type: 'secondary', lock: null, ...(await waitPrimaryComplete(runtimeDir, options)) };
}

/**
 * eal_mcfg_wait_complete, and what the primary is: its config file starts
 * with rte_mem_config's magic and version (eal_memcfg.ts). A DPDK primary
 * is taken as it is (its version is written right after its lock, so only
 * an all-zero header makes us poll); a secondary of an eal-ts primary waits
 * until that primary has finished its init (READY_FILE holds its pid). An
 * empty config is an eal-ts primary from before the header.
 */
async function waitPrimaryComplete(
  runtimeDir: string,
  options: DecideProcessTypeOptions,
): Promise<{ primaryConfig: PrimaryConfig; foreignPrimary: boolean }> {
  const { timeoutMs, signal, logger } = options;
  const deadline = Date.now() + timeoutMs;
  try {
    let config = await readPrimaryConfig(runtimeDir);
    while (config.kind === 'unknown' && config.pending && Date.now() < deadline) {
      await sleep(10, undefined, { signal });
      config = await readPrimaryConfig(runtimeDir);
    }
    logger.info(`Primary process: ${describePrimaryConfig(config)}`);
    // Anything sized but not ours is taken for DPDK, as before the header existed.
    if (config.kind === 'dpdk' || (config.kind === 'unknown' && config.size > 0)) {
      return { primaryConfig: config, foreignPrimary: true };
    }
    for (;;) {
      const holder = await primaryLockHolder(runtimeDir);
      if (!holder) throw new MpError('ENOENT', `the primary process of ${runtimeDir} exited while this secondary was starting`);
      const text = await readFile(join(runtimeDir, READY_FILE), 'utf8').catch(() => '');
      if (Number.parseInt(text, 10) === holder.pid) return { primaryConfig: config, foreignPrimary: false };
      if (Date.now() >= deadline) {
        throw new MpError(
          'ETIMEDOUT',
          `the primary process (pid ${holder.pid}) of ${runtimeDir} did not complete its initialisation within ${timeoutMs} ms`,
        );
      }
      await sleep(10, undefined, { signal });
    }
  } catch (error) {
    throw MpError.from(error, 'EIO', 'Cannot attach to the primary process');
  }
}

/** The primary's "init complete" mark (READY_FILE), written atomically; returns its path for removeReadyFile. */
export async function writeReadyFile(runtimeDir: string): Promise<string> {
  const ready = join(runtimeDir, READY_FILE);
  const temp = `${ready}.${process.pid}`;
  try {
    await writeFile(temp, `${process.pid}\n`, { mode: 0o600 });
    await rename(temp, ready);
    return ready;
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
