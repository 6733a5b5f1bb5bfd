/**
 * DPDK's null PMD (drivers/net/null/rte_eth_null.c, DPDK 22.11): a virtual
 * Ethernet port that drops every packet sent to it and receives as many
 * packets of a fixed size as it is asked for. Registered on the vdev bus as
 * `net_null`, alias `eth_null`; devargs `size`, `copy`, `no-rx`.
 *
 * In the primary a probe allocates the port (lowest free id) in the shared
 * port table; in a secondary it attaches to the port the primary allocated
 * under the device's name, with the same id (rte_eth_dev_attach_secondary).
 */
import { EalError, KvargsError, type Kvargs, SOCKET_ID_ANY, parseKvargs } from '@eal-ts/bus';
import type { VdevDevice, VdevDriver } from '@eal-ts/bus-vdev';
import { type EthDevOps, type EthQueueStats, type EthStats, EthdevError, type EthdevPorts, type Packet } from '@eal-ts/ethdev';
import { LogLevel, LogRegistry, type Logger } from '@eal-ts/log';

/** The driver's name on the vdev bus (RTE_PMD_REGISTER_VDEV(net_null, …)). */
export const NULL_DRIVER_NAME = 'net_null';
/** Its alias (RTE_PMD_REGISTER_ALIAS(net_null, eth_null)). */
export const NULL_DRIVER_ALIAS = 'eth_null';

/** ETH_NULL_PACKET_SIZE_ARG: the size of every received packet, in bytes. */
export const ETH_NULL_PACKET_SIZE_ARG = 'size';
/** ETH_NULL_PACKET_COPY_ARG: 1 = copy packet data on rx and tx (eth_null_copy_rx/tx). */
export const ETH_NULL_PACKET_COPY_ARG = 'copy';
/** ETH_NULL_PACKET_NO_RX_ARG: 1 = receive nothing (eth_null_no_rx). */
export const ETH_NULL_PACKET_NO_RX_ARG = 'no-rx';

/** valid_arguments[]: the only keys the driver takes. */
export const NULL_VALID_KEYS: readonly string[] = Object.freeze([
  ETH_NULL_PACKET_SIZE_ARG,
  ETH_NULL_PACKET_COPY_ARG,
  ETH_NULL_PACKET_NO_RX_ARG,
]);

/** RTE_PMD_REGISTER_PARAM_STRING(net_null, …). */
export const NULL_PARAM_STRING = 'size=<int> copy=<int> no-rx=0|1';

/**
 * The largest `size`: a packet's length is an mbuf's uint16 data_len in
 * DPDK. DPDK's parser lets anything below UINT_MAX through and then
 * truncates data_len; we refuse what cannot be one packet.
 */
export const NULL_PACKET_SIZE_MAX = 0xffff;

/** RTE_MAX_QUEUES_PER_PORT: the queues a null port has (rx_null_queues[] / tx_null_queues[]). */
export const NULL_MAX_QUEUES = 1024;

/** struct pmd_options. */
export interface NullOptions {
  /** Bytes in every received packet (default 64). */
  readonly size: number;
  /** Copy mode: rx packets are copies of a per-queue dummy packet, tx copies data into one. */
  readonly copy: boolean;
  /** Receive nothing. Not with `copy`. */
  readonly noRx: boolean;
}

/** default_packet_size, default_packet_copy, default_no_rx. */
export const NULL_DEFAULTS: NullOptions = Object.freeze({ size: 64, copy: false, noRx: false });

/**
 * strtoul(value, NULL, 0) for well-formed text: decimal, 0x hex, or octal
 * with a leading 0 (so `010` is 8, as in DPDK). DPDK also accepts trailing
 * junk and reads junk as 0; we refuse both.
 */
function parseUnsigned(text: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text.slice(2), 16);
  if (/^0[0-7]*$/.test(text)) return Number.parseInt(text, 8);
  if (/^[1-9][0-9]*$/.test(text)) return Number(text);
  return undefined;
}

function invalid(key: string, value: string, accepted: string): KvargsError {
  return new KvargsError('EINVAL', `net_null: invalid value '${value}' for key '${key}': expected ${accepted}`, key);
}

/**
 * The value of `key` as rte_kvargs_process with the driver's handler leaves
 * it: every occurrence must be valid, the last one wins; `fallback` when absent.
 */
function readKey<T>(kvargs: Kvargs, key: string, fallback: T, convert: (value: string) => T | undefined, accepted: string): T {
  let result = fallback;
  for (const value of kvargs.getAll(key)) {
    const converted = convert(value);
    if (converted === undefined) throw invalid(key, value, accepted);
    result = converted;
  }
  return result;
}

function flag(value: string): boolean | undefined {
  const n = parseUnsigned(value);
  return n === 0 ? false : n === 1 ? true : undefined;
}

/**
 * rte_pmd_null_probe's argument handling: parses `size`, `copy` and `no-rx`
 * from a device's arguments (text or parsed kvargs). Unknown keys, bad values
 * and `copy` together with `no-rx` fail with a KvargsError (EINVAL) naming
 * the key, the value and what is accepted.
 */
export function parseNullArgs(args: string | Kvargs = ''): NullOptions {
  const kvargs = typeof args === 'string' ? parseKvargs(args) : args;
  try {
    kvargs.checkKeys(NULL_VALID_KEYS);
  } catch (error) {
    if (error instanceof KvargsError) throw new KvargsError(error.code, `net_null: ${error.message}`, error.key);
    throw error;
  }
  const size = readKey(
    kvargs,
    ETH_NULL_PACKET_SIZE_ARG,
    NULL_DEFAULTS.size,
    (value) => {
      const n = parseUnsigned(value);
      return n !== undefined && n <= NULL_PACKET_SIZE_MAX ? n : undefined;
    },
    `a packet size in bytes, 0..${NULL_PACKET_SIZE_MAX} (decimal, 0x hex or 0-prefixed octal)`,
  );
  const copy = readKey(kvargs, ETH_NULL_PACKET_COPY_ARG, NULL_DEFAULTS.copy, flag, '0 or 1');
  const noRx = readKey(kvargs, ETH_NULL_PACKET_NO_RX_ARG, NULL_DEFAULTS.noRx, flag, '0 or 1');
  if (copy && noRx) {
    throw new KvargsError(
      'EINVAL',
      `net_null: ${ETH_NULL_PACKET_COPY_ARG}=1 and ${ETH_NULL_PACKET_NO_RX_ARG}=1 cannot be used together ` +
        `(accepted: at most one of them set to 1)`,
      ETH_NULL_PACKET_NO_RX_ARG,
    );
  }
  return Object.freeze({ size, copy, noRx });
}

/** struct null_queue, reduced to what a control-plane packet needs. */
interface NullQueue {
  packets: number;
  bytes: number;
  /** The queue's dummy packet (rte_zmalloc'd at queue set-up), copy mode only. */
  dummy: Uint8Array | undefined;
}

/**
 * The port's private data and burst functions (struct pmd_internals with
 * eth_null_{,copy_,no_}rx and eth_null_{,copy_}tx). Counters are per queue
 * and summed by statsGet, as eth_stats_get does.
 */
export class NullPortOps implements EthDevOps {
  readonly options: NullOptions;
  readonly #rxQueues = new Map<number, NullQueue>();
  readonly #txQueues = new Map<number, NullQueue>();

  constructor(options: NullOptions = NULL_DEFAULTS) {
    this.options = options;
  }

  #queue(queues: Map<number, NullQueue>, queueId: number): NullQueue | undefined {
    // A queue past the port's queues is DPDK's NULL queue: the burst moves nothing.
    if (!Number.isInteger(queueId) || queueId < 0 || queueId >= NULL_MAX_QUEUES) return undefined;
    let queue = queues.get(queueId);
    if (!queue) {
      queue = { packets: 0, bytes: 0, dummy: this.options.copy ? new Uint8Array(this.options.size) : undefined };
      queues.set(queueId, queue);
    }
    return queue;
  }

  /**
   * eth_null_rx: `maxPackets` zeroed packets of `size` bytes. eth_null_copy_rx:
   * copies of the queue's dummy packet. eth_null_no_rx: none.
   */
  rxBurst(queueId: number, maxPackets: number): Packet[] {
    if (this.options.noRx) return [];
    const queue = this.#queue(this.#rxQueues, queueId);
    if (!queue) return [];
    const { size } = this.options;
    const packets: Packet[] = new Array<Packet>(maxPackets);
    for (let i = 0; i < maxPackets; i++) packets[i] = queue.dummy ? queue.dummy.slice() : new Uint8Array(size);
    queue.packets += maxPackets;
    queue.bytes += maxPackets * size;
    return packets;
  }

  /**
   * eth_null_tx: takes and drops every packet. eth_null_copy_tx: first copies
   * up to `size` bytes of each into the queue's dummy packet. Counts packets
   * and their bytes.
   */
  txBurst(queueId: number, packets: readonly Packet[]): number {
    const queue = this.#queue(this.#txQueues, queueId);
    if (!queue) return 0;
    let bytes = 0;
    for (const packet of packets) {
      if (queue.dummy) queue.dummy.set(packet.subarray(0, Math.min(queue.dummy.byteLength, packet.byteLength)));
      bytes += packet.byteLength;
    }
    queue.packets += packets.length;
    queue.bytes += bytes;
    return packets.length;
  }

  /** eth_stats_get: the queues' counters summed. */
  statsGet(): EthStats {
    const stats: EthStats = { ipackets: 0, opackets: 0, ibytes: 0, obytes: 0, imissed: 0, ierrors: 0, oerrors: 0 };
    for (const q of this.#rxQueues.values()) {
      stats.ipackets += q.packets;
      stats.ibytes += q.bytes;
    }
    for (const q of this.#txQueues.values()) {
      stats.opackets += q.packets;
      stats.obytes += q.bytes;
    }
    return stats;
  }

  /**
   * The per-queue counters of eth_stats_get, for every queue up to the
   * highest one used (at least queue 0).
   */
  queueStatsGet(): EthQueueStats {
    const ids = [...this.#rxQueues.keys(), ...this.#txQueues.keys()];
    const count = Math.max(1, ...ids.map((id) => id + 1));
    const zeros = (): number[] => new Array<number>(count).fill(0);
    const queues: EthQueueStats = { ipackets: zeros(), ibytes: zeros(), opackets: zeros(), obytes: zeros(), errors: zeros() };
    for (const [id, q] of this.#rxQueues) {
      queues.ipackets[id] = q.packets;
      queues.ibytes[id] = q.bytes;
    }
    for (const [id, q] of this.#txQueues) {
      queues.opackets[id] = q.packets;
      queues.obytes[id] = q.bytes;
    }
    return queues;
  }

  /** eth_stats_reset. */
  statsReset(): void {
    for (const q of [...this.#rxQueues.values(), ...this.#txQueues.values()]) {
      q.packets = 0;
      q.bytes = 0;
    }
  }
}

export interface NullDriverOptions {
  /** This process's ports; its processType decides between allocate (primary) and attach (secondary). */
  readonly ports: EthdevPorts;
  /** Default: type `pmd.net.null`, prefix `NULL`, level NOTICE (DPDK's default for it), in a fresh LogRegistry. */
  readonly logger?: Logger;
}

/**
 * The net_null vdev driver (pmd_null_drv). One instance serves one process:
 * register it on that process's VdevBus.
 */
export class NullDriver implements VdevDriver {
  readonly name = NULL_DRIVER_NAME;
  readonly aliases: readonly string[] = Object.freeze([NULL_DRIVER_ALIAS]);
  readonly validKeys: readonly string[] = NULL_VALID_KEYS;
  readonly #ports: EthdevPorts;
  readonly #log: Logger;
  readonly #probed = new Map<string, NullPortOps>();

  constructor(options: NullDriverOptions) {
    this.#ports = options.ports;
    this.#log =
      options.logger ?? new LogRegistry().register('pmd.net.null', { prefix: 'NULL', level: LogLevel.NOTICE });
  }

  /** The options a probed device runs with in this process (undefined when not probed here). */
  deviceOptions(deviceName: string): NullOptions | undefined {
    return this.#probed.get(deviceName)?.options;
  }

  /**
   * rte_pmd_null_probe. Primary: parse the arguments (KvargsError EINVAL),
   * then allocate a port named after the device — the lowest free id (EEXIST
   * when a port has that name, ENOSPC when the table is full). Secondary:
   * attach to the primary's port of that name, same id (ENODEV when the
   * primary has none).
   */
  async probe(dev: VdevDevice): Promise<void> {
    // Formatted only when shown (pmd.net.null logs at NOTICE by default, as DPDK): issue 11.
    const info = this.#log.isEnabled(LogLevel.INFO);
    if (info) this.#log.info(`rte_pmd_null_probe(): Initializing pmd_null for ${dev.name}`);
    if (this.#ports.processType === 'secondary') {
      await this.#probeSecondary(dev);
      return;
    }
    const options = parseNullArgs(dev.args);
    if (info) {
      this.#log.info(
        `rte_pmd_null_probe(): Configure pmd_null: packet size is ${options.size}, ` +
          `packet copy is ${options.copy ? 'enabled' : 'disabled'}`,
      );
    }
    if (dev.numaNode === SOCKET_ID_ANY) dev.numaNode = 0;
    if (info) this.#log.info(`eth_dev_null_create(): Creating null ethdev on numa socket ${dev.numaNode}`);
    const ops = new NullPortOps(options);
    try {
      await this.#ports.allocate(dev.name, { deviceName: dev.name, driverName: NULL_DRIVER_NAME, ops });
    } catch (error) {
      throw EalError.from(error, 'EIO', `net_null: cannot allocate a port for ${dev.name}`);
    }
    this.#probed.set(dev.name, ops);
  }

  /**
   * The secondary's probe. DPDK's secondary reads size/copy/no-rx from the
   * primary's private port data in shared memory; eal-ts shares only the
   * port table, so the secondary takes them from its own devargs (those of
   * the hotplug request, i.e. the primary's). Devargs it cannot use are
   * logged and replaced by the defaults: DPDK's secondary never refuses them.
   */
  async #probeSecondary(dev: VdevDevice): Promise<void> {
    let options: NullOptions;
    try {
      options = parseNullArgs(dev.args);
    } catch (error) {
      this.#log.warning(
        `rte_pmd_null_probe(): ${dev.name}: ignoring devargs '${dev.args}' in the secondary ` +
          `(${(error as Error).message}); using the defaults`,
      );
      options = NULL_DEFAULTS;
    }
    const ops = new NullPortOps(options);
    try {
      await this.#ports.attachSecondary(dev.name, { deviceName: dev.name, driverName: NULL_DRIVER_NAME, ops });
    } catch (error) {
      this.#log.err(`rte_pmd_null_probe(): Failed to probe ${dev.name}`);
      const missing = error instanceof EthdevError && (error.code === 'ENODEV' || error.code === 'ENOENT');
      const why = missing ? `: the primary has no port named ${dev.name}` : '';
      const context = `net_null: cannot probe ${dev.name} in a secondary process${why}`;
      if (!missing) throw EalError.from(error, 'EIO', context);
      throw new EalError('ENODEV', `${context}: ${error.message}`, { cause: error, context });
    }
    this.#probed.set(dev.name, ops);
  }

  /**
   * rte_pmd_null_remove: closes and releases the port named after the device
   * — freed in the shared table by the primary, dropped from this process's
   * view by a secondary. A device without a port here is already released
   * (success, as DPDK returns 0).
   */
  async remove(dev: VdevDevice): Promise<void> {
    const port = await this.#ports.find(dev.name);
    if (!port) {
      this.#probed.delete(dev.name);
      this.#log.debug(`rte_pmd_null_remove(): port of ${dev.name} already released`);
      return;
    }
    if (this.#log.isEnabled(LogLevel.INFO)) this.#log.info(`eth_dev_close(): Closing null ethdev ${dev.name} (port ${port.portId})`);
    try {
      await this.#ports.release(port.portId);
    } catch (error) {
      throw EalError.from(error, 'EIO', `net_null: cannot release port ${port.portId} of ${dev.name}`);
    }
    this.#probed.delete(dev.name);
  }
}

/**
 * net_null for an EAL to compose (RTE_PMD_REGISTER_VDEV(net_null, …) and
 * its log type): `Eal.init(argv, { drivers: [netNull] })` with @eal-ts/eal.
 */
export const netNull = Object.freeze({
  bus: 'vdev',
  name: NULL_DRIVER_NAME,
  aliases: Object.freeze([NULL_DRIVER_ALIAS]),
  logType: Object.freeze({ type: 'pmd.net.null', prefix: 'NULL', level: LogLevel.NOTICE }),
  create: (context: { readonly ports: EthdevPorts; readonly logger: Logger }): NullDriver =>
    new NullDriver({ ports: context.ports, logger: context.logger }),
});
