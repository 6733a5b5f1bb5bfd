/**
 * One Ethernet port as a process sees it — DPDK's `struct rte_eth_dev` with
 * the fast-path calls of rte_ethdev.h (rte_eth_rx_burst, rte_eth_tx_burst)
 * and basic statistics (rte_eth_stats_get / rte_eth_stats_reset).
 *
 * eal-ts is a control plane: a packet is a Uint8Array and every call is
 * async. A driver supplies the work through EthDevOps; a port without ops
 * behaves as DPDK's rte_eth_pkt_burst_dummy (receives nothing, sends nothing).
 */
import type { RteEthStats } from '@eal-ts/telemetry';

import { EthdevError } from './errors.js';
import type { SharedPort } from './port_table.js';

/** One packet: its bytes (an rte_mbuf's data, for the control plane). */
export type Packet = Uint8Array;

/**
 * struct rte_eth_stats, reduced to its port-wide counters. The fields are
 * declared once, in @eal-ts/telemetry (RteEthStats), since /ethdev/stats
 * reports exactly them.
 */
export type EthStats = RteEthStats;

/**
 * Per-queue counters (the q_* arrays of struct rte_eth_stats), indexed by
 * queue id, one entry per queue the driver has.
 */
export interface EthQueueStats {
  ipackets: number[];
  ibytes: number[];
  opackets: number[];
  obytes: number[];
  /** Receive errors per queue (q_errors). */
  errors: number[];
}

/**
 * What a driver provides (the burst functions and stats ops of DPDK's
 * eth_dev_ops). Queue ids arrive checked as uint16; counts as 0..65535.
 */
export interface EthDevOps {
  /** Up to `maxPackets` received packets from `queueId` (fewer or none is normal). */
  rxBurst(queueId: number, maxPackets: number): Packet[] | Promise<Packet[]>;
  /**
   * Sends a prefix of `packets` on `queueId`; returns how many were taken.
   * Packets not taken stay the caller's, as in DPDK.
   */
  txBurst(queueId: number, packets: readonly Packet[]): number | Promise<number>;
  /** The driver's own counters. Without it, EthDev counts what passes through rxBurst/txBurst. */
  statsGet?(): EthStats | Promise<EthStats>;
  /** Clears the driver's counters. */
  statsReset?(): void | Promise<void>;
  /** The driver's per-queue counters, when it keeps them. */
  queueStatsGet?(): EthQueueStats | Promise<EthQueueStats>;
}

/** The DPDK port states a local port goes through (RTE_ETH_DEV_ATTACHED, then UNUSED once released). */
export type EthDevState = 'attached' | 'unused';

export interface EthDevInit {
  readonly port: SharedPort;
  /** The rte_device name the port belongs to (defaults to the port name, as vdevs have). */
  readonly deviceName?: string;
  /** The driver's name (e.g. "net_null"); defaults to ''. */
  readonly driverName?: string;
  readonly ops?: EthDevOps;
}

/** The most packets one burst moves, and the largest queue id: both uint16 in DPDK. */
export const MAX_BURST = 0xffff;
export const MAX_QUEUE_ID = 0xffff;

const DUMMY_OPS: EthDevOps = {
  rxBurst: () => [],
  txBurst: () => 0,
};

function zeroStats(): EthStats {
  return { ipackets: 0, opackets: 0, ibytes: 0, obytes: 0, imissed: 0, ierrors: 0, oerrors: 0 };
}

export class EthDev {
  /** The same in every process of the runtime directory. */
  readonly portId: number;
  /** The port name (rte_eth_dev_data.name), unique in the table. */
  readonly name: string;
  /** Which lifetime of `portId` this is (see SharedPort.generation). */
  readonly generation: number;
  /** The process that allocated the port. */
  readonly ownerPid: number;
  readonly deviceName: string;
  readonly driverName: string;
  private ops: EthDevOps;
  private portState: EthDevState = 'attached';
  private readonly counters = zeroStats();

  constructor(init: EthDevInit) {
    this.portId = init.port.portId;
    this.name = init.port.name;
    this.generation = init.port.generation;
    this.ownerPid = init.port.ownerPid;
    this.deviceName = init.deviceName ?? init.port.name;
    this.driverName = init.driverName ?? '';
    this.ops = init.ops ?? DUMMY_OPS;
  }

  get state(): EthDevState {
    return this.portState;
  }

  /** Installs the driver's ops (a driver may create them once it knows the port id). */
  setOps(ops: EthDevOps): void {
    this.ops = ops;
  }

  /** rte_eth_rx_burst: up to `maxPackets` packets from `queueId`. */
  async rxBurst(queueId: number, maxPackets: number): Promise<Packet[]> {
    this.checkAttached();
    checkUint16(queueId, 'queue id', MAX_QUEUE_ID);
    checkUint16(maxPackets, 'burst size', MAX_BURST);
    if (maxPackets === 0) return [];
    const packets = await this.ops.rxBurst(queueId, maxPackets);
    if (!Array.isArray(packets) || packets.length > maxPackets || !packets.every((p) => p instanceof Uint8Array)) {
      throw new EthdevError(
        'EIO',
        `driver ${this.driverName || '?'} of port ${this.portId} returned an invalid rx burst ` +
          `(expected at most ${maxPackets} Uint8Array packets)`,
      );
    }
    this.counters.ipackets += packets.length;
    for (const packet of packets) this.counters.ibytes += packet.byteLength;
    return packets;
  }

  /** rte_eth_tx_burst: how many of `packets` (a prefix) the driver took. */
  async txBurst(queueId: number, packets: readonly Packet[]): Promise<number> {
    this.checkAttached();
    checkUint16(queueId, 'queue id', MAX_QUEUE_ID);
    if (!Array.isArray(packets) || !packets.every((p) => p instanceof Uint8Array)) {
      throw new EthdevError('EINVAL', 'packets must be an array of Uint8Array');
    }
    if (packets.length > MAX_BURST) {
      throw new EthdevError('EINVAL', `burst of ${packets.length} packets: at most ${MAX_BURST}`);
    }
    if (packets.length === 0) return 0;
    const sent = await this.ops.txBurst(queueId, packets);
    if (!Number.isInteger(sent) || sent < 0 || sent > packets.length) {
      throw new EthdevError(
        'EIO',
        `driver ${this.driverName || '?'} of port ${this.portId} reported ${String(sent)} packets sent of ${packets.length}`,
      );
    }
    this.counters.opackets += sent;
    for (let i = 0; i < sent; i++) this.counters.obytes += packets[i]!.byteLength;
    return sent;
  }

  /** rte_eth_stats_get: the driver's counters, or those EthDev kept for a driver without statsGet. */
  async stats(): Promise<EthStats> {
    this.checkAttached();
    if (this.ops.statsGet) return { ...zeroStats(), ...(await this.ops.statsGet()) };
    return { ...this.counters };
  }

  /** The per-queue part of rte_eth_stats_get; undefined when the driver keeps none. */
  async queueStats(): Promise<EthQueueStats | undefined> {
    this.checkAttached();
    return this.ops.queueStatsGet ? await this.ops.queueStatsGet() : undefined;
  }

  /** rte_eth_stats_reset. */
  async resetStats(): Promise<void> {
    this.checkAttached();
    if (this.ops.statsReset) await this.ops.statsReset();
    Object.assign(this.counters, zeroStats());
  }

  /** @internal Called by EthdevPorts when the port is released in this process. */
  markReleased(): void {
    this.portState = 'unused';
    this.ops = DUMMY_OPS;
  }

  private checkAttached(): void {
    if (this.portState !== 'attached') {
      throw new EthdevError('ENODEV', `port ${this.portId} (${this.name}) has been released`);
    }
  }
}

function checkUint16(value: unknown, what: string, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new EthdevError('EINVAL', `invalid ${what} ${String(value)}: expected an integer 0..${max}`);
  }
}
