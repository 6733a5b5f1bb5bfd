import { open, type FileHandle } from 'node:fs/promises';
import { configPath } from './eal_filesystem.js';
import { MpError } from './errors.js';
import type { MpLayout } from './rte_mp_msg.js';

/**
 * The head of `<runtime dir>/config`, DPDK's `struct rte_mem_config`
 * (lib/eal/common/eal_memcfg.h): `uint32 magic` at 0, `uint32 version` at 4,
 * host byte order. A DPDK primary writes `version` right after taking the
 * config lock (eal_mcfg_update_from_internal) and `magic` when its init is
 * complete (eal_mcfg_complete); a DPDK secondary waits for the magic, then
 * refuses a primary whose version is not its own (eal_mcfg_check_version).
 */
export const MCFG_HEADER_SIZE = 8;

/** RTE_MAGIC: 19820526. */
export const RTE_MAGIC = 0x012e6fee;

/**
 * The version an eal-ts primary writes. DPDK's is RTE_VERSION_NUM(year,
 * month, minor, release) = year<<24 | month<<16 | minor<<8 | release, with a
 * two-digit year and a month 1..12; 0xEA15_0001 reads as "year" 234, "month"
 * 21, which no DPDK release can have. The low 16 bits number the eal-ts
 * config format (1: this header only). A DPDK secondary meeting an eal-ts
 * primary therefore stops with "Primary and secondary process DPDK version
 * mismatch" instead of mapping memory that is not there.
 */
export const EAL_TS_MCFG_VERSION = 0xea15_0001;

/** What an eal-ts primary leaves in `config`: the header, then "eal-ts" for whoever dumps the file. */
const EAL_TS_MARK = 'eal-ts';
export const EAL_TS_CONFIG_SIZE = 16;

/** The first DPDK release speaking 340-byte mp messages (commit "ipc: fix mp message alignment for malloc"). */
const FIRST_340_BYTE = { year: 25, month: 11 } as const;

export interface DpdkVersion {
  readonly year: number;
  readonly month: number;
  readonly minor: number;
  /** 99 for a release, N for -rcN (RTE_VER_RELEASE). */
  readonly release: number;
}

/** What `<runtime dir>/config` says about the primary that wrote it. */
export type PrimaryConfig =
  | {
      /** A DPDK primary; `complete` once it wrote RTE_MAGIC (its init is done). */
      readonly kind: 'dpdk';
      readonly version: DpdkVersion;
      /** The raw version field. */
      readonly versionNum: number;
      readonly complete: boolean;
      /** The mp layout this version speaks (and the only one it accepts). */
      readonly layout: MpLayout;
    }
  | { readonly kind: 'eal-ts'; readonly format: number }
  | {
      /**
       * Nothing to go by: no file, an empty one (an eal-ts primary before
       * format 1), a DPDK primary in the instant between sizing the file and
       * writing its version (all zero), or content we do not recognise.
       */
      readonly kind: 'unknown';
      readonly size: number;
      /** Sized, magic and version still zero: a DPDK primary between its lock and its version; worth reading again. */
      readonly pending: boolean;
      readonly reason: string;
    };

/** RTE_VERSION_NUM. */
export function rteVersionNum(year: number, month: number, minor: number, release: number): number {
  return ((year << 24) | (month << 16) | (minor << 8) | release) >>> 0;
}

/** A version field as DPDK's, or null when no DPDK release could have written it. */
export function parseRteVersion(num: number): DpdkVersion | null {
  const year = (num >>> 24) & 0xff;
  const month = (num >>> 16) & 0xff;
  const minor = (num >>> 8) & 0xff;
  const release = num & 0xff;
  if (year < 1 || year > 99 || month < 1 || month > 12) return null;
  return { year, month, minor, release };
}

/** "25.11.2", "25.11.0-rc3" as DPDK's rte_version() prints them. */
export function formatDpdkVersion(v: DpdkVersion): string {
  const base = `${v.year}.${String(v.month).padStart(2, '0')}.${v.minor}`;
  return v.release === 99 ? base : `${base}-rc${v.release}`;
}

/** The mp layout of a DPDK version: 340 bytes from 25.11, 332 before. */
export function mpLayoutForVersion(v: DpdkVersion): MpLayout {
  const modern = v.year > FIRST_340_BYTE.year || (v.year === FIRST_340_BYTE.year && v.month >= FIRST_340_BYTE.month);
  return modern ? '25.11' : '22.11';
}

/** Interprets the first bytes of a config file (at most MCFG_HEADER_SIZE are looked at) and the file's size. */
export function parseMemConfigHeader(head: Uint8Array, size: number): PrimaryConfig {
  if (head.length < MCFG_HEADER_SIZE) {
    const reason = size === 0 ? 'the config file is empty' : `the config file has only ${size} bytes`;
    return { kind: 'unknown', size, pending: false, reason };
  }
  const view = new DataView(head.buffer, head.byteOffset, MCFG_HEADER_SIZE);
  const magic = view.getUint32(0, true);
  const versionNum = view.getUint32(4, true);
  const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
  if (magic === RTE_MAGIC && versionNum >>> 16 === EAL_TS_MCFG_VERSION >>> 16) {
    return { kind: 'eal-ts', format: versionNum & 0xffff };
  }
  if (magic !== RTE_MAGIC && magic !== 0) {
    return { kind: 'unknown', size, pending: false, reason: `magic ${hex(magic)} is not DPDK's ${hex(RTE_MAGIC)}` };
  }
  if (versionNum === 0) {
    const pending = magic === 0;
    return { kind: 'unknown', size, pending, reason: pending ? 'no magic and no version yet' : 'magic without a version' };
  }
  const version = parseRteVersion(versionNum);
  if (!version) return { kind: 'unknown', size, pending: false, reason: `version ${hex(versionNum)} is no DPDK release's` };
  return { kind: 'dpdk', version, versionNum, complete: magic === RTE_MAGIC, layout: mpLayoutForVersion(version) };
}

/**
 * Reads what the primary of `runtimeDir` wrote in its config file: whether
 * it is DPDK (and which version, hence which mp layout) or eal-ts. Any
 * process of the same user can read it (mode 0600); it never takes a lock
 * and closes the file at once, so it cannot disturb the primary's lock.
 */
export async function readPrimaryConfig(runtimeDir: string): Promise<PrimaryConfig> {
  let handle: FileHandle;
  try {
    handle = await open(configPath(runtimeDir), 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { kind: 'unknown', size: 0, pending: false, reason: 'there is no config file' };
    }
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(MCFG_HEADER_SIZE);
    const { bytesRead } = await handle.read(head, 0, MCFG_HEADER_SIZE, 0);
    return parseMemConfigHeader(head.subarray(0, bytesRead), size);
  } finally {
    await handle.close();
  }
}

/** One line for logs and `eal-mp peers`: "DPDK 25.11.2 (340-byte mp messages)". */
export function describePrimaryConfig(config: PrimaryConfig): string {
  switch (config.kind) {
    case 'dpdk':
      return (
        `DPDK ${formatDpdkVersion(config.version)}${config.complete ? '' : ', still initialising'}` +
        ` (${config.layout} layout, ${config.layout === '25.11' ? 340 : 332}-byte mp messages)`
      );
    case 'eal-ts':
      return `eal-ts (config format ${config.format}; accepts both mp layouts)`;
    default:
      return `not known: ${config.reason}`;
  }
}

/**
 * The layout a secondary speaks first to the primary of `config`: DPDK's own
 * (it drops any other size), else `fallback` (an eal-ts primary reads both).
 */
export function primaryMpLayout(config: PrimaryConfig, fallback: MpLayout): MpLayout {
  return config.kind === 'dpdk' ? config.layout : fallback;
}

/**
 * What an eal-ts primary writes once it holds the config lock, through the
 * locked handle itself (closing any other fd of the file would drop the
 * lock): DPDK's magic, EAL_TS_MCFG_VERSION, then "eal-ts". Whatever a dead
 * primary left beyond it (a DPDK rte_mem_config) is cut off.
 */
export async function writeEalTsConfig(handle: FileHandle): Promise<void> {
  const out = Buffer.alloc(EAL_TS_CONFIG_SIZE);
  out.writeUInt32LE(RTE_MAGIC, 0);
  out.writeUInt32LE(EAL_TS_MCFG_VERSION, 4);
  out.write(EAL_TS_MARK, MCFG_HEADER_SIZE, 'latin1');
  try {
    // Header first, in one write, then cut: a secondary reading meanwhile sees
    // either the old head or ours, never a dead DPDK primary's after our lock.
    const { bytesWritten } = await handle.write(out, 0, out.length, 0);
    if (bytesWritten !== out.length) throw new Error(`wrote ${bytesWritten} of ${out.length} bytes`);
    await handle.truncate(out.length);
  } catch (error) {
    throw new MpError('EIO', `cannot write the eal-ts header of the config file: ${(error as Error).message}`, { cause: error });
  }
}
