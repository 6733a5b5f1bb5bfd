/**
 * ethdev's telemetry commands (the handlers at the end of DPDK 22.11's
 * lib/ethdev/rte_ethdev.c; rte_ethdev_telemetry.c in newer versions), with
 * DPDK's names, help texts and JSON shapes, answered from this process's
 * ports.
 *
 * eal-ts ports have no configure/start phase: a port can move packets from
 * its probe on, so it is reported as DPDK reports a configured, started
 * port (dev_configured 1, dev_started 1, link UP for net_null).
 */

import { type TelemetryRegistry, type TelemetryValue, parsePortIdParam } from '@eal-ts/telemetry';

import type { EthdevPorts } from './ethdev_driver.js';
import type { EthDev, EthQueueStats } from './rte_ethdev.js';

/** RTE_ETHDEV_QUEUE_STAT_CNTRS: the length of the q_* arrays. */
export const RTE_ETHDEV_QUEUE_STAT_CNTRS = 16;
/** RTE_ETH_DEV_ATTACHED, the value of `state` for a port in use. */
const RTE_ETH_DEV_ATTACHED = 1;
/** dev_flags as testpmd 22.11 shows them for net_null: RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS (0x40). */
const NULL_DEV_FLAGS = 64;
const DEFAULT_MTU = 1500;
/** RTE_ETH_SPEED_NUM_10G: net_null's link speed. */
const NULL_LINK_SPEED = 10000;

export const ETHDEV_TELEMETRY_COMMANDS = {
  '/ethdev/list': 'Returns list of available ethdev ports. Takes no parameters',
  '/ethdev/stats': 'Returns the common stats for a port. Parameters: int port_id',
  '/ethdev/xstats': 'Returns the extended stats for a port. Parameters: int port_id',
  '/ethdev/link_status': 'Returns the link status for a port. Parameters: int port_id',
  '/ethdev/info': 'Returns the device info for a port. Parameters: int port_id',
} as const;

/**
 * A stable, locally administered unicast MAC for a port (net_null draws a
 * random one at probe; this one is derived from the name so every process
 * shows the same).
 */
export function portMacAddress(name: string): string {
  // node:crypto loaded on first use, not at every process's start-up (issue 11).
  const bytes = process.getBuiltinModule('node:crypto').createHash('sha256').update(name).digest().subarray(0, 6);
  bytes[0] = (bytes[0]! & 0xfe) | 0x02;
  return [...bytes].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(':');
}

async function port(ports: EthdevPorts, params: string | undefined): Promise<EthDev | undefined> {
  const parsed = parsePortIdParam(params);
  if (parsed === undefined) return undefined;
  const dev = await ports.get(parsed.portId);
  return dev?.state === 'attached' ? dev : undefined;
}

function queueCounters(queues: EthQueueStats | undefined): EthQueueStats {
  const pad = (values: readonly number[] | undefined): number[] =>
    Array.from({ length: RTE_ETHDEV_QUEUE_STAT_CNTRS }, (_, i) => values?.[i] ?? 0);
  return {
    ipackets: pad(queues?.ipackets),
    opackets: pad(queues?.opackets),
    ibytes: pad(queues?.ibytes),
    obytes: pad(queues?.obytes),
    errors: pad(queues?.errors),
  };
}

function queueCount(queues: EthQueueStats | undefined, direction: 'rx' | 'tx'): number {
  if (queues === undefined) return 1;
  return Math.max(1, direction === 'rx' ? queues.ipackets.length : queues.opackets.length);
}

async function statsOf(dev: EthDev): Promise<TelemetryValue> {
  const stats = await dev.stats();
  const q = queueCounters(await dev.queueStats());
  return {
    ipackets: stats.ipackets,
    opackets: stats.opackets,
    ibytes: stats.ibytes,
    obytes: stats.obytes,
    imissed: stats.imissed,
    ierrors: stats.ierrors,
    oerrors: stats.oerrors,
    rx_nombuf: 0,
    q_ipackets: q.ipackets,
    q_opackets: q.opackets,
    q_ibytes: q.ibytes,
    q_obytes: q.obytes,
    q_errors: q.errors,
  };
}

/** The basic xstats every ethdev has (eth_dev_stats_strings), then per queue (rte_eth_xstats_get's queue part). */
async function xstatsOf(dev: EthDev): Promise<TelemetryValue> {
  const stats = await dev.stats();
  const queues = await dev.queueStats();
  const out: Record<string, number> = {
    rx_good_packets: stats.ipackets,
    tx_good_packets: stats.opackets,
    rx_good_bytes: stats.ibytes,
    tx_good_bytes: stats.obytes,
    rx_missed_errors: stats.imissed,
    rx_errors: stats.ierrors,
    tx_errors: stats.oerrors,
    rx_mbuf_allocation_errors: 0,
  };
  const rx = Math.min(queueCount(queues, 'rx'), RTE_ETHDEV_QUEUE_STAT_CNTRS);
  const tx = Math.min(queueCount(queues, 'tx'), RTE_ETHDEV_QUEUE_STAT_CNTRS);
  for (let i = 0; i < rx; i++) {
    out[`rx_q${i}_packets`] = queues?.ipackets[i] ?? (i === 0 ? stats.ipackets : 0);
    out[`rx_q${i}_bytes`] = queues?.ibytes[i] ?? (i === 0 ? stats.ibytes : 0);
    out[`rx_q${i}_errors`] = queues?.errors[i] ?? 0;
  }
  for (let i = 0; i < tx; i++) {
    out[`tx_q${i}_packets`] = queues?.opackets[i] ?? (i === 0 ? stats.opackets : 0);
    out[`tx_q${i}_bytes`] = queues?.obytes[i] ?? (i === 0 ? stats.obytes : 0);
  }
  return out;
}

async function infoOf(dev: EthDev): Promise<TelemetryValue> {
  const queues = await dev.queueStats();
  const rx = queueCount(queues, 'rx');
  const tx = queueCount(queues, 'tx');
  return {
    name: dev.name,
    state: RTE_ETH_DEV_ATTACHED,
    nb_rx_queues: rx,
    nb_tx_queues: tx,
    port_id: dev.portId,
    mtu: DEFAULT_MTU,
    rx_mbuf_size_min: 0,
    mac_addr: portMacAddress(dev.name),
    promiscuous: 1,
    scattered_rx: 0,
    all_multicast: 1,
    dev_started: 1,
    lro: 0,
    dev_configured: 1,
    rxq_state: new Array<number>(Math.min(rx, 512)).fill(1),
    txq_state: new Array<number>(Math.min(tx, 512)).fill(1),
    numa_node: 0,
    dev_flags: NULL_DEV_FLAGS,
    rx_offloads: 0,
    tx_offloads: 0,
    ethdev_rss_hf: 0,
  };
}

/**
 * Registers /ethdev/list, /ethdev/info, /ethdev/stats, /ethdev/xstats and
 * /ethdev/link_status for `ports`; returns a function that unregisters them.
 * A missing, malformed or unknown port id answers null, as in DPDK.
 */
export function registerEthdevTelemetry(registry: TelemetryRegistry, ports: EthdevPorts): () => void {
  const c = ETHDEV_TELEMETRY_COMMANDS;
  const withPort = (answer: (dev: EthDev) => Promise<TelemetryValue> | TelemetryValue) => async (params: string | undefined) => {
    const dev = await port(ports, params);
    return dev === undefined ? null : answer(dev);
  };
  registry.register('/ethdev/list', async () => (await ports.list()).filter((d) => d.state === 'attached').map((d) => d.portId).sort((a, b) => a - b), c['/ethdev/list']);
  registry.register('/ethdev/stats', withPort(statsOf), c['/ethdev/stats']);
  registry.register('/ethdev/xstats', withPort(xstatsOf), c['/ethdev/xstats']);
  registry.register(
    '/ethdev/link_status',
    withPort(() => ({ status: 'UP', speed: NULL_LINK_SPEED, duplex: 'full-duplex' })),
    c['/ethdev/link_status'],
  );
  registry.register('/ethdev/info', withPort(infoOf), c['/ethdev/info']);
  return () => {
    for (const command of Object.keys(c)) registry.unregister(command);
  };
}
