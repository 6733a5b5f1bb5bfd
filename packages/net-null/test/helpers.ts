import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { VdevBus } from '@eal-ts/bus-vdev';
import { EthdevPorts, type EthdevPortsOptions } from '@eal-ts/ethdev';
import { LogLevel, LogRegistry, type Logger } from '@eal-ts/log';

import { NullDriver } from '../src/index.js';

/** A logger keeping its lines (debug included), so tests stay quiet and can read them. */
export function quietLogger(type: string, prefix: string): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = new LogRegistry({ sink: (line) => lines.push(line) }).register(type, { prefix, level: LogLevel.DEBUG });
  return { logger, lines };
}

/** One EAL process as far as net_null cares: its ports, its vdev bus, the driver registered on it. */
export interface World {
  readonly ports: EthdevPorts;
  readonly bus: VdevBus;
  readonly driver: NullDriver;
  /** The driver's log lines. */
  readonly lines: string[];
}

export function world(ports: EthdevPorts): World {
  const { logger, lines } = quietLogger('pmd.net.null', 'NULL');
  const bus = new VdevBus({ processType: ports.processType, logger: quietLogger('bus.vdev', 'VDEV').logger });
  const driver = new NullDriver({ ports, logger });
  bus.registerDriver(driver);
  return { ports, bus, driver, lines };
}

/** A primary without shared files (--in-memory). */
export function inMemoryWorld(): World {
  return world(new EthdevPorts({ processType: 'primary', inMemory: true, logger: quietLogger('lib.ethdev', 'ETHDEV').logger }));
}

/** Ports over the shared file table of `runtimeDir`. */
export function filePorts(processType: EthdevPortsOptions['processType'], runtimeDir: string): EthdevPorts {
  return new EthdevPorts({ processType, runtimeDir, logger: quietLogger('lib.ethdev', 'ETHDEV').logger });
}

export async function tempRuntimeDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'net-null-test-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The rejection of `promise` (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; errno?: number; key?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}
