/**
 * Where telemetry sockets live: `<runtime dir>/dpdk_telemetry.v2`, and
 * `dpdk_telemetry.v2:N` for further processes of one file prefix (DPDK
 * 23.03+; dpdk-telemetry.py's `-i N`). The runtime directory follows EAL's
 * rule as dpdk-telemetry.py does: $RUNTIME_DIRECTORY, else /var/run for
 * root, else $XDG_RUNTIME_DIR, else /tmp; then `dpdk/<file prefix>`.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { TelemetryError } from './errors.js';

export const TELEMETRY_SOCKET_NAME = 'dpdk_telemetry.v2';
export const DEFAULT_FILE_PREFIX = 'rte';

export interface TelemetryEnvironment {
  /** Defaults to process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Defaults to process.getuid(). */
  uid?: number;
}

export function telemetryBaseDir(options: TelemetryEnvironment = {}): string {
  const env = options.env ?? process.env;
  const uid = options.uid ?? process.getuid?.() ?? -1;
  if (env.RUNTIME_DIRECTORY) return join(env.RUNTIME_DIRECTORY, 'dpdk');
  if (uid === 0) return '/var/run/dpdk';
  return join(env.XDG_RUNTIME_DIR || '/tmp', 'dpdk');
}

function checkPrefix(filePrefix: unknown): string {
  if (typeof filePrefix !== 'string' || filePrefix.length === 0 || filePrefix.includes('/') || filePrefix.includes('\0')) {
    throw new TelemetryError('EINVAL', `invalid file prefix ${JSON.stringify(filePrefix)}: expected one directory name such as "rte"`);
  }
  return filePrefix;
}

function checkInstance(instance: unknown): number {
  if (typeof instance !== 'number' || !Number.isInteger(instance) || instance < 0) {
    throw new TelemetryError('EINVAL', `invalid instance ${String(instance)}: expected an integer >= 0 (0 is the first process)`);
  }
  return instance;
}

/** The socket name of the instance-th process of a runtime directory (0: no suffix). */
export function telemetrySocketName(instance = 0): string {
  return checkInstance(instance) === 0 ? TELEMETRY_SOCKET_NAME : `${TELEMETRY_SOCKET_NAME}:${instance}`;
}

export function telemetryRuntimeDir(filePrefix: string = DEFAULT_FILE_PREFIX, options: TelemetryEnvironment = {}): string {
  return join(telemetryBaseDir(options), checkPrefix(filePrefix));
}

export function telemetrySocketPath(
  filePrefix: string = DEFAULT_FILE_PREFIX,
  instance = 0,
  options: TelemetryEnvironment = {},
): string {
  return join(telemetryRuntimeDir(filePrefix, options), telemetrySocketName(instance));
}

export interface TelemetrySocketEntry {
  filePrefix: string;
  instance: number;
  path: string;
}

/** Every telemetry socket file under the base directory (dpdk-telemetry.py -l), sorted. */
export async function listTelemetrySockets(options: TelemetryEnvironment = {}): Promise<TelemetrySocketEntry[]> {
  const base = telemetryBaseDir(options);
  const found: TelemetrySocketEntry[] = [];
  const prefixes = await readdir(base).catch(() => [] as string[]);
  for (const filePrefix of prefixes.sort()) {
    const dir = join(base, filePrefix);
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.startsWith(TELEMETRY_SOCKET_NAME)) continue;
      const suffix = name.slice(TELEMETRY_SOCKET_NAME.length);
      const instance = suffix === '' ? 0 : /^:\d+$/.test(suffix) ? Number(suffix.slice(1)) : -1;
      if (instance < 0) continue;
      const path = join(dir, name);
      const info = await stat(path).catch(() => null);
      if (info?.isSocket()) found.push({ filePrefix, instance, path });
    }
  }
  return found.sort((a, b) => a.filePrefix.localeCompare(b.filePrefix) || a.instance - b.instance);
}
