/**
 * Which ethdev port table an EAL opens (rte_eth_dev_shared_data_prepare's
 * place in init): the shared file of the runtime directory, a table in
 * memory without one, or — in a secondary of a primary that is not eal-ts,
 * which keeps rte_eth_dev_data in hugepage memory we cannot read — a local
 * table whose ids come from the primary's telemetry when it answers.
 */
import { errnoNameOf } from '@eal-ts/errno';
import { EthdevPorts, MemoryPortTable, ETHDEV_DATA_FILE } from '@eal-ts/ethdev';
import type { Logger } from '@eal-ts/log';
import { primaryLockHolder, type ProcessType } from '@eal-ts/mp-channel';
import { PrimaryPortIds } from './eal_primary_port_ids.js';

export interface OpenEalPortsOptions {
  /** The runtime directory; null with --no-shconf / --in-memory. */
  readonly runtimeDir: string | null;
  readonly processType: ProcessType;
  /** A secondary whose primary is not eal-ts (ProcessTypeDecision.foreignPrimary). */
  readonly foreignPrimary: boolean;
  /** lib.ethdev, for the table. */
  readonly logger: Logger;
  /** lib.eal, for what init says about the choice. */
  readonly ealLogger: Logger;
}

export interface EalPorts {
  readonly ports: EthdevPorts;
  /** Whether port ids are shared with the other processes of the runtime directory. */
  readonly shared: boolean;
}

/**
 * Opens this EAL's port table. A failure other than "a foreign primary has
 * no eal-ts table" (ENOENT) rejects with the table's own error; nothing is
 * left open then.
 */
export async function openEalPorts(options: OpenEalPortsOptions): Promise<EalPorts> {
  const { runtimeDir: dir, logger } = options;
  if (dir === null) return { ports: new EthdevPorts({ processType: 'primary', inMemory: true, logger }), shared: false };
  const ports = new EthdevPorts({ processType: options.processType, runtimeDir: dir, logger });
  try {
    await ports.init();
    return { ports, shared: true };
  } catch (error) {
    await ports.close().catch(() => undefined);
    if (!options.foreignPrimary || errnoNameOf(error) !== 'ENOENT') throw error;
  }
  return { ports: await foreignPrimaryPorts(dir, options), shared: false };
}

/** A local table; its ids are the primary's (from its telemetry) when that answers, else allocated here. */
async function foreignPrimaryPorts(dir: string, options: OpenEalPortsOptions): Promise<EthdevPorts> {
  const { logger, ealLogger: log } = options;
  const holder = await primaryLockHolder(dir).catch(() => null);
  const primaryIds = holder ? new PrimaryPortIds({ runtimeDir: dir, primaryPid: holder.pid, logger: log }) : null;
  const known = await primaryIds?.ports();
  if (known) {
    log.info(
      `no eal-ts port table (${ETHDEV_DATA_FILE}) in ${dir}: the primary is a DPDK process; ` +
        `port ids are taken from its telemetry (${known.size} port(s))`,
    );
  } else {
    log.warning(
      `no eal-ts port table (${ETHDEV_DATA_FILE}) in ${dir}: the primary is not an eal-ts process ` +
        `and its telemetry does not answer (${primaryIds?.lastError ?? 'no primary pid'}); ` +
        'ethdev ports of this secondary are local to it and their ids are not shared',
    );
  }
  const table = new MemoryPortTable({
    logger,
    ...(known && primaryIds ? { resolvePortId: (name: string) => primaryIds.portIdOf(name) } : {}),
  });
  return new EthdevPorts({ processType: 'primary', table, logger });
}
