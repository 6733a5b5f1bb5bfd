/**
 * The real net_null driver of one simulated process, behind a switch that
 * can make its next probe or remove fail, or take virtual time first (a
 * slow driver, or a process stopped in the middle of one).
 */
import { EalError } from '@eal-ts/bus';
import type { VdevDevice, VdevDriver } from '@eal-ts/bus-vdev';
import type { Clock } from '@eal-ts/mp-channel';
import type { NullDriver } from '@eal-ts/net-null';

/** Starts the message of every injected driver failure. */
export const SIMULATED_FAULT = 'simulated fault';

export class FaultDriver implements VdevDriver {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly validKeys: readonly string[] | undefined;
  /** How many of the next probes fail (EIO, before the real driver runs). */
  refuseProbes = 0;
  /** How many of the next removes fail (EBUSY, the device stays). */
  refuseRemoves = 0;
  /** Virtual ms the next probe or remove waits before it runs (then back to 0). */
  slowMs = 0;
  /** Probes and removes begun and not yet finished here. */
  busy = 0;

  constructor(
    readonly inner: NullDriver,
    private readonly clock: Clock,
  ) {
    this.name = inner.name;
    this.aliases = inner.aliases;
    this.validKeys = inner.validKeys;
  }

  probe(dev: VdevDevice): Promise<void> {
    return this.#run(dev, 'refuseProbes', 'EIO', 'probe', () => this.inner.probe(dev));
  }

  remove(dev: VdevDevice): Promise<void> {
    return this.#run(dev, 'refuseRemoves', 'EBUSY', 'remove', () => this.inner.remove(dev));
  }

  /** One probe or remove: busy while it runs, slowed and refused as the switches say, else the real driver's. */
  async #run(
    dev: VdevDevice,
    refusals: 'refuseProbes' | 'refuseRemoves',
    code: 'EIO' | 'EBUSY',
    what: 'probe' | 'remove',
    real: () => Promise<void>,
  ): Promise<void> {
    this.busy++;
    try {
      await this.#slow();
      if (this[refusals] > 0) {
        this[refusals]--;
        throw new EalError(code, `${SIMULATED_FAULT}: the driver refuses to ${what} ${dev.name}`);
      }
      await real();
    } finally {
      this.busy--;
    }
  }

  async #slow(): Promise<void> {
    const ms = this.slowMs;
    if (ms <= 0) return;
    this.slowMs = 0;
    await new Promise<void>((resolve) => this.clock.setTimeout(resolve, ms));
  }
}
