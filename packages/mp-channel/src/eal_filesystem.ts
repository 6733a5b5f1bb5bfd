import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MpError } from './errors.js';

/** DPDK's default --file-prefix. */
export const DEFAULT_FILE_PREFIX = 'rte';
/** The directory scan filter of secondary sockets (DPDK builds it as the socket path with "*" for the peer name). */
export const MP_SOCKET_FILTER = 'mp_socket_*';
/** Memory segment list files the primary may find left over at start-up. */
export const FBARRAY_FILTER = 'fbarray_*';
/** sizeof(struct sockaddr_un.sun_path) on Linux, the NUL included. */
export const SUN_PATH_MAX = 108;

const MP_SOCKET_NAME = 'mp_socket';
const CONFIG_NAME = 'config';
// The longest secondary socket name we produce: mp_socket_<pid up to 4194304>_<64-bit hex>.
const LONGEST_SECONDARY_NAME = `${MP_SOCKET_NAME}_4194304_${'f'.repeat(16)}`;

export interface RuntimeEnvironment {
  /** Defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Defaults to process.getuid(). */
  readonly uid?: number;
}

/**
 * eal_get_runtime_dir's base: systemd's $RUNTIME_DIRECTORY, else /var/run
 * for root, else $XDG_RUNTIME_DIR, else /tmp. Empty variables count as unset.
 */
export function runtimeBaseDir(options: RuntimeEnvironment = {}): string {
  const env = options.env ?? process.env;
  const uid = options.uid ?? process.getuid?.() ?? -1;
  const systemd = env.RUNTIME_DIRECTORY;
  if (systemd) return systemd;
  if (uid === 0) return '/var/run';
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg) return xdg;
  return '/tmp';
}

/** `<base>/dpdk/<prefix>`, after checking the prefix names one directory and its sockets fit in sun_path. */
export function runtimeDir(filePrefix: string = DEFAULT_FILE_PREFIX, options: RuntimeEnvironment = {}): string {
  if (typeof filePrefix !== 'string' || filePrefix.length === 0) {
    throw new MpError('EINVAL', 'invalid file prefix: it is empty (expected a directory name such as "rte")');
  }
  if (filePrefix.includes('/') || filePrefix.includes('\0') || filePrefix === '.' || filePrefix === '..') {
    throw new MpError(
      'EINVAL',
      `invalid file prefix ${JSON.stringify(filePrefix)}: expected one directory name, without '/' or NUL, not '.' or '..'`,
    );
  }
  const dir = join(runtimeBaseDir(options), 'dpdk', filePrefix);
  const longest = Buffer.byteLength(join(dir, LONGEST_SECONDARY_NAME)) + 1;
  if (longest > SUN_PATH_MAX) {
    throw new MpError(
      'ENAMETOOLONG',
      `file prefix ${JSON.stringify(filePrefix)} makes runtime directory ${dir} too long for its mp sockets: ` +
        `${longest} bytes with the NUL, an AF_UNIX path holds at most ${SUN_PATH_MAX}; use a shorter prefix or base directory`,
    );
  }
  return dir;
}

/** Creates `<base>/dpdk` and `<base>/dpdk/<prefix>` with mode 0700 as DPDK does (existing directories are fine). */
export async function createRuntimeDir(
  filePrefix: string = DEFAULT_FILE_PREFIX,
  options: RuntimeEnvironment = {},
): Promise<string> {
  const dir = runtimeDir(filePrefix, options);
  const base = runtimeBaseDir(options);
  for (const level of [join(base, 'dpdk'), dir]) {
    try {
      await mkdir(level, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return dir;
}

/** The primary's shared config file, whose record lock says "a primary is alive". */
export function configPath(dir: string): string {
  return join(dir, CONFIG_NAME);
}

/** The primary's mp socket. */
export function mpSocketPath(dir: string): string {
  return join(dir, MP_SOCKET_NAME);
}

/**
 * A secondary's mp socket. DPDK uses the TSC for `hex`; anything unique per
 * process start works, and hrtime is monotonic.
 */
export function secondarySocketPath(
  dir: string,
  pid: number = process.pid,
  hex: string = process.hrtime.bigint().toString(16),
): string {
  return join(dir, `${MP_SOCKET_NAME}_${pid}_${hex}`);
}

/** fnmatch(MP_SOCKET_FILTER, name, 0): the primary's own `mp_socket` does not match. */
export function matchMpSocketFilter(name: string): boolean {
  return name.startsWith(`${MP_SOCKET_NAME}_`);
}

/** fnmatch(FBARRAY_FILTER, name, 0). */
export function matchFbarrayFilter(name: string): boolean {
  return name.startsWith('fbarray_');
}
