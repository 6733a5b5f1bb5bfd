/**
 * The port table's model, shared by its two kinds (the file of
 * ethdev_shared_data.ts and the process-local memory_port_table.ts): what a
 * port is, what a snapshot holds, the operations (PortTable) and the checks
 * of their arguments, as rte_eth_dev_allocate and friends make them
 * (lib/ethdev/ethdev_driver.c).
 */
import { EthdevError } from './errors.js';

/** DPDK's default build-time port count. */
export const RTE_MAX_ETHPORTS = 32;
/** The most ports a table may have here (port ids are uint16 in DPDK; the file stays small). */
export const MAX_ETHPORTS_LIMIT = 4096;
/** Port name size with its NUL, as DPDK: names have 1..63 bytes. */
export const RTE_ETH_NAME_MAX_LEN = 64;

/** One allocated port as the table holds it. */
export interface SharedPort {
  readonly portId: number;
  readonly name: string;
  /**
   * Changes on every allocation and release anywhere in the table (the
   * highest generation in the table plus one), so (portId, generation) names
   * one port's lifetime: a later port reusing the id has another generation.
   */
  readonly generation: number;
  /** The process that allocated the port. */
  readonly ownerPid: number;
}

export interface PortTableSnapshot {
  readonly maxPorts: number;
  /** Allocated ports, by port id. */
  readonly ports: readonly SharedPort[];
  /** Ids of slots whose contents failed validation (a writer died mid-write). */
  readonly corrupt: readonly number[];
}

export interface TableAllocateOptions {
  /**
   * Rewrite corrupt slots as free in the same locked update before choosing
   * (the primary's repair path). Without it corrupt slots are never handed out.
   */
  readonly repair?: boolean;
  /** Recorded as the slot's owner; defaults to process.pid. */
  readonly ownerPid?: number;
  /**
   * The id to take when its slot is free (a secondary of a DPDK primary
   * mirroring the primary's ids); otherwise the lowest free one, as always.
   */
  readonly preferredPortId?: number;
}

export interface TableReleaseOptions {
  /** Release only if the slot still holds this generation of the port (ENODEV otherwise). */
  readonly generation?: number;
}

/**
 * The operations both table kinds offer; EthdevPorts works on either. All
 * updates are atomic with respect to every other user of the same table.
 */
export interface PortTable {
  /** The shared file; null for a process-local table. */
  readonly path: string | null;
  readonly maxPorts: number;
  readonly closed: boolean;
  /** Every slot, under the read lock. */
  read(): Promise<PortTableSnapshot>;
  /** The lowest free id for `name` (EEXIST when taken, ENOSPC when full; EINVAL/ENAMETOOLONG for a bad name). */
  allocate(name: string, options?: TableAllocateOptions): Promise<SharedPort>;
  /** The allocated port called `name` (ENODEV when there is none). */
  attach(name: string): Promise<SharedPort>;
  /** Frees `portId` (ENODEV when free; a corrupt slot is rewritten free). */
  release(portId: number, options?: TableReleaseOptions): Promise<void>;
  /** Rewrites every corrupt slot as free; the ids repaired. */
  repair(): Promise<number[]>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Validation shared by both kinds

// The last name checked and its bytes: an allocation checks the same name at
// each layer (ethdev, the table, the slot encoder), issue 11.
let lastName: string | undefined;
let lastBytes: Buffer | undefined;

/** Checks a port name as rte_eth_dev_allocate does; returns its UTF-8 bytes (shared: never write to them). */
export function checkPortName(name: unknown): Buffer {
  if (name === lastName && lastBytes !== undefined) return lastBytes;
  if (typeof name !== 'string') throw new EthdevError('EINVAL', `port name must be a string, got ${typeof name}`);
  if (name.length === 0) throw new EthdevError('EINVAL', 'zero length Ethernet device name');
  if (name.includes('\0')) throw new EthdevError('EINVAL', `Ethernet device name ${JSON.stringify(name)} contains NUL`);
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length >= RTE_ETH_NAME_MAX_LEN) {
    throw new EthdevError(
      'ENAMETOOLONG',
      `Ethernet device name is too long: ${bytes.length} bytes, at most ${RTE_ETH_NAME_MAX_LEN - 1}`,
    );
  }
  lastName = name;
  lastBytes = bytes;
  return bytes;
}

export function checkMaxPorts(maxPorts: unknown): number {
  if (typeof maxPorts !== 'number' || !Number.isInteger(maxPorts) || maxPorts < 1 || maxPorts > MAX_ETHPORTS_LIMIT) {
    throw new EthdevError('EINVAL', `maxPorts must be an integer 1..${MAX_ETHPORTS_LIMIT}, got ${String(maxPorts)}`);
  }
  return maxPorts;
}

export function checkPortId(portId: unknown, maxPorts: number): number {
  if (typeof portId !== 'number' || !Number.isInteger(portId) || portId < 0 || portId >= maxPorts) {
    throw new EthdevError('EINVAL', `invalid port id ${String(portId)}: expected an integer 0..${maxPorts - 1}`);
  }
  return portId;
}
