/**
 * The ports of one process — DPDK's rte_eth_devices[] with the driver-side
 * calls of lib/ethdev/ethdev_driver.c (rte_eth_dev_allocate,
 * rte_eth_dev_attach_secondary, rte_eth_dev_release_port) and the lookups of
 * rte_ethdev.c (rte_eth_find_next, rte_eth_dev_get_port_by_name,
 * rte_eth_dev_count_avail), with RTE_ETH_EVENT_NEW / DESTROY as the events
 * `new` and `destroyed`.
 *
 * The table of names and ids is shared (a file in the runtime directory, see
 * ethdev_shared_data.ts); which ports a process has attached is its own, as
 * in DPDK where rte_eth_devices[i].state is per process.
 */
import { EventEmitter } from 'node:events';

import { LogLevel, LogRegistry, type Logger } from '@eal-ts/log';
import type { ProcessType } from '@eal-ts/mp-channel';

import { EthdevError } from './errors.js';
import { EthdevSharedData } from './ethdev_shared_data.js';
import { MemoryPortTable } from './memory_port_table.js';
import { checkPortId, checkPortName, type PortTable, type PortTableSnapshot, type SharedPort } from './port_table.js';
import { EthDev, type EthDevOps } from './rte_ethdev.js';
import { messageOf } from '@eal-ts/errno';

export interface EthdevPortsOptions {
  /** DPDK's --proc-type, resolved (auto is the EAL's business). */
  readonly processType: ProcessType;
  /** The runtime directory holding the shared table; required unless `inMemory` or `table`. */
  readonly runtimeDir?: string;
  /** --in-memory / --no-shconf: a process-local table, no files (primary only). */
  readonly inMemory?: boolean;
  /** Use this table (e.g. one MemoryPortTable shared by in-process peers); EthdevPorts does not close it. */
  readonly table?: PortTable;
  /** RTE_MAX_ETHPORTS for the table a primary creates (default 32); a secondary uses the primary's. */
  readonly maxPorts?: number;
  /** File name of the shared table in runtimeDir (default `eal_ts_ethdev_data`). */
  readonly fileName?: string;
  readonly logger?: Logger;
}

/** What the driver knows about the port it creates or attaches. */
export interface PortSetup {
  /** The rte_device's name; defaults to the port name. */
  readonly deviceName?: string;
  readonly driverName?: string;
  readonly ops?: EthDevOps;
}

/** RTE_ETH_EVENT_NEW and RTE_ETH_EVENT_DESTROY, delivered to this process's listeners. */
export interface EthdevPortsEvents {
  new: [port: EthDev];
  destroyed: [port: EthDev];
}

export class EthdevPorts extends EventEmitter<EthdevPortsEvents> {
  readonly processType: ProcessType;
  private readonly options: EthdevPortsOptions;
  private readonly logger: Logger;
  private readonly local = new Map<number, EthDev>();
  private tableReady: Promise<PortTable> | undefined;
  private resolvedTable: PortTable | undefined;
  private readonly ownsTable: boolean;
  private isClosed = false;

  constructor(options: EthdevPortsOptions) {
    super();
    if (options.processType !== 'primary' && options.processType !== 'secondary') {
      throw new EthdevError('EINVAL', `processType must be 'primary' or 'secondary', got ${String(options.processType)}`);
    }
    if (options.table === undefined) {
      if (options.inMemory === true && options.processType === 'secondary') {
        throw new EthdevError('EINVAL', 'a secondary process cannot run in memory: there is no shared table to attach to');
      }
      if (options.inMemory !== true && (typeof options.runtimeDir !== 'string' || options.runtimeDir === '')) {
        throw new EthdevError('EINVAL', 'runtimeDir is required unless inMemory or table is given');
      }
    }
    this.processType = options.processType;
    this.options = options;
    this.logger = options.logger ?? new LogRegistry().register('lib.ethdev', { prefix: 'ETHDEV' });
    this.ownsTable = options.table === undefined;
  }

  /**
   * Creates (primary) or opens (secondary) the shared table; idempotent, and
   * run by every operation that needs the table. A secondary fails with
   * ENOENT while no primary has created it.
   */
  async init(): Promise<void> {
    await this.table();
  }

  /** The table in use, once init() has run. */
  get portTable(): PortTable | undefined {
    return this.resolvedTable;
  }

  /**
   * rte_eth_dev_allocate: the lowest free port id for `name`, recorded in the
   * shared table, then `new`. Primary only (EPERM in a secondary). EEXIST
   * when the name is taken, ENOSPC when every id is, EINVAL/ENAMETOOLONG for a
   * bad name. Slots left corrupt by a process that died mid-update are
   * repaired (freed) first.
   */
  async allocate(name: string, setup: PortSetup = {}): Promise<EthDev> {
    checkPortName(name);
    if (this.processType !== 'primary') {
      throw new EthdevError('EPERM', `cannot allocate port ${name} in a secondary process: use attachSecondary`);
    }
    const table = this.openedTable() ?? (await this.table());
    return this.adopt(await table.allocate(name, { repair: true }), setup, 'allocated');
  }

  /**
   * rte_eth_dev_attach_secondary: this secondary's handle on the port the
   * primary allocated as `name`, with the same id; then `new`. ENODEV when
   * the primary has no such port, EEXIST when already attached here, EPERM
   * in the primary.
   */
  async attachSecondary(name: string, setup: PortSetup = {}): Promise<EthDev> {
    checkPortName(name);
    if (this.processType !== 'secondary') {
      throw new EthdevError('EPERM', `attachSecondary(${name}) in the primary process: the primary allocates`);
    }
    const table = this.openedTable() ?? (await this.table());
    const port = await table.attach(name);
    const existing = this.findLocal(name);
    if (existing && existing.portId === port.portId && existing.generation === port.generation) {
      throw new EthdevError('EEXIST', `port ${port.portId} (${name}) is already attached in this process`);
    }
    return this.adopt(port, setup, 'attached');
  }

  /** The port the table gave this process becomes a local EthDev (replacing any older lifetime), then `new`. */
  private adopt(port: SharedPort, setup: PortSetup, how: 'allocated' | 'attached'): EthDev {
    this.dropStale(port);
    const dev = new EthDev({ port, ...setup });
    this.local.set(port.portId, dev);
    if (this.logger.isEnabled(LogLevel.DEBUG)) this.logger.debug(`port ${port.portId} ${how} for ${port.name}`);
    this.emitSafely('new', dev);
    return dev;
  }

  /**
   * rte_eth_dev_release_port. The primary frees the id in the shared table
   * (so it can be reused) and drops its local port; a secondary drops only
   * its local port. `destroyed` fires for a port that was attached here.
   * ENODEV when there is nothing to release.
   */
  async release(portId: number): Promise<void> {
    const table = this.processType === 'primary' ? (this.openedTable() ?? (await this.table())) : this.resolvedTable;
    checkPortId(portId, table?.maxPorts ?? Number.MAX_SAFE_INTEGER);
    const dev = this.local.get(portId);
    if (this.processType === 'primary' && table) {
      try {
        await table.release(portId, dev ? { generation: dev.generation } : {});
      } catch (error) {
        // The table no longer holds our port there: still drop the local one.
        if (!(error instanceof EthdevError && error.code === 'ENODEV' && dev)) throw error;
        this.logger.warning(`port ${portId} (${dev.name}) was no longer in the shared table: ${error.message}`);
      }
    } else if (!dev) {
      throw new EthdevError('ENODEV', `port ${portId} is not attached in this process`);
    }
    if (dev) this.dropLocal(dev);
  }

  /** rte_eth_dev_get_port_by_name: the port attached here under `name`. */
  find(name: string): Promise<EthDev | undefined> {
    return Promise.resolve(this.findLocal(name));
  }

  /** rte_eth_devices[portId] when attached here. */
  get(portId: number): Promise<EthDev | undefined> {
    return Promise.resolve(this.local.get(portId));
  }

  /** RTE_ETH_FOREACH_DEV: the ports attached here, by id. */
  list(): Promise<EthDev[]> {
    return Promise.resolve([...this.local.values()].sort((a, b) => a.portId - b.portId));
  }

  /** rte_eth_dev_count_avail: how many ports are attached here. */
  count(): Promise<number> {
    return Promise.resolve(this.local.size);
  }

  /**
   * The shared table as every process sees it: the ports the primary
   * allocated (attached here or not) and any corrupt slots. A secondary that
   * starts late reads this to learn which ports exist.
   */
  async listShared(): Promise<PortTableSnapshot> {
    return (await this.table()).read();
  }

  /** The primary's repair path: rewrites corrupt slots as free; the ids repaired. EPERM in a secondary. */
  async repair(): Promise<number[]> {
    if (this.processType !== 'primary') throw new EthdevError('EPERM', 'only the primary process repairs the port table');
    const repaired = await (await this.table()).repair();
    if (repaired.length > 0) this.logger.warning(`repaired corrupt port table slot(s): ${repaired.join(', ')}`);
    return repaired;
  }

  /**
   * Closes the table (not one given as `table`). Local ports stay as they
   * are; operations that need the table fail with EBADF afterwards. `unlink`
   * also removes the shared file (the primary at exit).
   */
  async close(options: { unlink?: boolean } = {}): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    if (!this.ownsTable || !this.tableReady) return;
    const table = await this.tableReady.catch(() => undefined);
    if (!table) return;
    if (table instanceof EthdevSharedData) await table.close(options);
    else await table.close();
  }

  /** The table when it is open and these ports are not closed: no await needed (table() otherwise). */
  private openedTable(): PortTable | undefined {
    return this.isClosed ? undefined : this.resolvedTable;
  }

  private table(): Promise<PortTable> {
    if (this.isClosed) return Promise.reject(new EthdevError('EBADF', 'the ethdev ports are closed'));
    if (!this.tableReady) {
      const ready = this.openTable().then((table) => {
        this.resolvedTable = table;
        return table;
      });
      // A failed open (no primary yet) may be retried.
      ready.catch(() => {
        if (this.tableReady === ready) this.tableReady = undefined;
      });
      this.tableReady = ready;
    }
    return this.tableReady;
  }

  private async openTable(): Promise<PortTable> {
    const { table, inMemory, runtimeDir, maxPorts, fileName } = this.options;
    if (table) return table;
    if (inMemory === true) return new MemoryPortTable({ maxPorts, logger: this.logger });
    const common = { runtimeDir: runtimeDir!, logger: this.logger, ...(fileName ? { fileName } : {}) };
    if (this.processType === 'primary') {
      return EthdevSharedData.create({ ...common, ...(maxPorts !== undefined ? { maxPorts } : {}) });
    }
    return EthdevSharedData.open(common);
  }

  private findLocal(name: string): EthDev | undefined {
    for (const dev of this.local.values()) if (dev.name === name) return dev;
    return undefined;
  }

  /** A local port on the id (or name) `port` now holds is an older lifetime: it is gone. */
  private dropStale(port: SharedPort): void {
    for (const dev of [...this.local.values()]) {
      if (dev.portId === port.portId || dev.name === port.name) {
        this.logger.warning(
          `port ${dev.portId} (${dev.name}, generation ${dev.generation}) was released by the primary; ` +
            `dropping it for ${port.name} (generation ${port.generation})`,
        );
        this.dropLocal(dev);
      }
    }
  }

  private dropLocal(dev: EthDev): void {
    if (this.local.get(dev.portId) !== dev) return;
    this.local.delete(dev.portId);
    this.emitSafely('destroyed', dev);
    dev.markReleased();
  }

  private emitSafely(event: 'new' | 'destroyed', dev: EthDev): void {
    try {
      this.emit(event, dev);
    } catch (error) {
      this.logger.err(`a '${event}' listener of port ${dev.portId} threw: ${messageOf(error)}`);
    }
  }
}
