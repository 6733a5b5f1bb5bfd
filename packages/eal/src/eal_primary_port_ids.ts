/**
 * The port ids of a DPDK primary, for an eal-ts secondary beside it. DPDK
 * keeps its port table (rte_eth_dev_data) in hugepage memory eal-ts cannot
 * read, but a primary that serves telemetry says which id each port has:
 * /ethdev/list, then /ethdev/info,N gives the name. The secondary's local
 * table then gives each device the primary's id, so `list` shows the same
 * ids as testpmd's `show port summary all`, also after the primary reused a
 * lower free id. Without telemetry, ids are local and that is logged once.
 */
import type { Logger } from '@eal-ts/log';
import { TelemetryClient, telemetrySocketName } from '@eal-ts/telemetry';
import { join } from 'node:path';
import { messageOf } from '@eal-ts/errno';

export interface PrimaryPortIdsOptions {
  runtimeDir: string;
  /** The primary's pid (the config lock holder): only its telemetry socket is believed. */
  primaryPid: number;
  logger: Logger;
  /** Bound on one lookup (connect and all requests); default 2000 ms. */
  timeoutMs?: number;
}

export class PrimaryPortIds {
  readonly #path: string;
  readonly #primaryPid: number;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  #warned = false;
  /** Why the last lookup found no answer. */
  lastError: string | undefined;

  constructor(options: PrimaryPortIdsOptions) {
    // DPDK's primary is the first process of its prefix: the socket without a suffix.
    this.#path = join(options.runtimeDir, telemetrySocketName(0));
    this.#primaryPid = options.primaryPid;
    this.#logger = options.logger;
    this.#timeoutMs = options.timeoutMs ?? 2000;
  }

  /** Every port of the primary, id → name; null when its telemetry does not answer. */
  async ports(): Promise<Map<number, string> | null> {
    const deadline = AbortSignal.timeout(this.#timeoutMs);
    let client: TelemetryClient | undefined;
    try {
      client = await TelemetryClient.connect({ path: this.#path, timeoutMs: this.#timeoutMs, signal: deadline });
      if (client.info.pid !== this.#primaryPid) {
        throw new Error(`${this.#path} is served by pid ${client.info.pid}, not by the primary (pid ${this.#primaryPid})`);
      }
      const ports = new Map<number, string>();
      for (const id of await client.ethdevList({ signal: deadline })) {
        const name = (await client.request(`/ethdev/info,${id}`, { signal: deadline }) as { name?: unknown } | null)?.name;
        if (typeof name === 'string') ports.set(id, name);
      }
      return ports;
    } catch (error) {
      this.lastError = messageOf(error);
      return null;
    } finally {
      client?.close();
    }
  }

  /** The primary's id for the port called `name`; undefined when unknown. */
  async portIdOf(name: string): Promise<number | undefined> {
    const ports = await this.ports();
    if (ports === null) {
      if (!this.#warned) {
        this.#warned = true;
        this.#logger.warning(
          `the DPDK primary's telemetry stopped answering (${this.lastError ?? 'no reason'}): ` +
            "new ports of this secondary get local ids, which may differ from the primary's",
        );
      }
      return undefined;
    }
    for (const [id, portName] of ports) if (portName === name) return id;
    return undefined;
  }
}
