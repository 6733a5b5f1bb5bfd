/**
 * The process-local port table (--in-memory / --no-shconf): the same
 * decisions as the file table, on slots kept in memory.
 */
import { type Logger } from '@eal-ts/log';

import { EthdevError } from './errors.js';
import { AsyncMutex } from './mutex.js';
import { RTE_MAX_ETHPORTS, checkMaxPorts, checkPortId, checkPortName, type PortTable, type PortTableSnapshot, type SharedPort, type TableAllocateOptions, type TableReleaseOptions } from './port_table.js';
import { type DecodedSlot } from './port_table_layout.js';
import { findByName, planAllocate, planRelease, snapshotOf } from './port_table_plan.js';

export interface MemoryPortTableOptions {
  /** Slot count (RTE_MAX_ETHPORTS); defaults to 32. */
  readonly maxPorts?: number;
  readonly logger?: Logger;
  /**
   * Asked for the id a new port should get, when the caller gave none (a
   * secondary of a DPDK primary asks the primary's telemetry); undefined or
   * an id already in use here means the lowest free id.
   */
  readonly resolvePortId?: (name: string) => Promise<number | undefined> | number | undefined;
}

/**
 * The same table without a file, for `--in-memory` / `--no-shconf` (no shared
 * files). Several EthdevPorts of one process may share one instance, which
 * lets in-process tests stand a primary and secondaries side by side.
 */
export class MemoryPortTable implements PortTable {
  readonly path = null;
  readonly maxPorts: number;
  private readonly slots: DecodedSlot[];
  private readonly mutex = new AsyncMutex();
  private readonly resolvePortId: MemoryPortTableOptions['resolvePortId'];
  private isClosed = false;

  constructor(options: MemoryPortTableOptions = {}) {
    this.maxPorts = checkMaxPorts(options.maxPorts ?? RTE_MAX_ETHPORTS);
    this.resolvePortId = options.resolvePortId;
    this.slots = Array.from({ length: this.maxPorts }, (): DecodedSlot => ({ kind: 'free', generation: 0 }));
  }

  get closed(): boolean {
    return this.isClosed;
  }

  read(): Promise<PortTableSnapshot> {
    return this.locked((slots) => snapshotOf(slots));
  }

  async allocate(name: string, options: TableAllocateOptions = {}): Promise<SharedPort> {
    checkPortName(name);
    let preferredPortId = options.preferredPortId;
    if (preferredPortId === undefined && this.resolvePortId) {
      try {
        preferredPortId = await this.resolvePortId(name);
      } catch {
        preferredPortId = undefined;
      }
    }
    return this.locked((slots) => planAllocate(slots, name, { ...options, ...(preferredPortId !== undefined ? { preferredPortId } : {}) }).port);
  }

  attach(name: string): Promise<SharedPort> {
    checkPortName(name);
    return this.locked((slots) => {
      const port = findByName(slots, name);
      if (!port) throw new EthdevError('ENODEV', `Device ${name} is not driven by the primary process`);
      return port;
    });
  }

  release(portId: number, options: TableReleaseOptions = {}): Promise<void> {
    checkPortId(portId, this.maxPorts);
    return this.locked((slots) => {
      planRelease(slots, portId, options);
    });
  }

  repair(): Promise<number[]> {
    // Nothing can tear a slot in memory.
    return this.locked(() => []);
  }

  close(): Promise<void> {
    this.isClosed = true;
    return Promise.resolve();
  }

  private locked<T>(work: (slots: DecodedSlot[]) => T): Promise<T> {
    if (this.isClosed) return Promise.reject(new EthdevError('EBADF', 'the in-memory port table is closed'));
    return this.mutex.run(() => {
      // Plan on a copy, keep it only when the work succeeds: same all-or-nothing as the file.
      const copy = [...this.slots];
      const result = work(copy);
      copy.forEach((slot, portId) => (this.slots[portId] = slot));
      return Promise.resolve(result);
    });
  }
}
