/**
 * The buses and drivers an EAL composes: PCI and vdev (the command line
 * speaks of them), the application's extra buses and its drivers. DPDK links its drivers in and registers them
 * from constructors (RTE_PMD_REGISTER_VDEV, RTE_PMD_REGISTER_PCI) before
 * rte_eal_init runs; eal-ts's application names them instead, in
 * `Eal.init`'s `drivers` option, and init registers each on its bus once the
 * port table exists, before the command line's devargs are added.
 */
import { type Bus, BusRegistry, DevargsError, type Driver, EalError } from '@eal-ts/bus';
import { PciBus, type PciBusOptions } from '@eal-ts/bus-pci';
import { VdevBus } from '@eal-ts/bus-vdev';
import type { EthdevPorts } from '@eal-ts/ethdev';
import type { LogLevel, LogRegistry, Logger } from '@eal-ts/log';
import type { MpChannel, ProcessType } from '@eal-ts/mp-channel';

/** What a driver is built from: this EAL's port table, process type and logs. */
export interface EalDriverContext {
  readonly ports: EthdevPorts;
  readonly processType: ProcessType;
  /** The driver's own log type (its `logType`), else lib.eal's. */
  readonly logger: Logger;
  readonly logs: LogRegistry;
}

/**
 * A driver for `Eal.init(argv, { drivers: [...] })`, e.g. `netNull` from
 * `@eal-ts/net-null`. Structural: a driver package need not depend on
 * `@eal-ts/eal` to provide one.
 */
export interface EalDriver {
  /** The bus it goes on: 'vdev', 'pci', or the name of another registered bus. */
  readonly bus: string;
  /** Its name as devargs use it (a vdev's name starts with it: `net_null0`). */
  readonly name: string;
  /** Other names it answers to (e.g. `eth_null`), for the error that lists what was composed. */
  readonly aliases?: readonly string[];
  /**
   * Its log type, registered when the Eal is made (before --log-level is
   * applied and --log-level=help lists the types), as DPDK's
   * RTE_LOG_REGISTER_DEFAULT does at load time.
   */
  readonly logType?: { readonly type: string; readonly prefix?: string; readonly level?: LogLevel };
  create(context: EalDriverContext): Driver;
}

/** Registers each driver's log type; call before the command line's levels are applied. */
export function registerDriverLogTypes(logs: LogRegistry, drivers: readonly EalDriver[]): void {
  for (const { logType } of drivers) {
    if (!logType) continue;
    const { type, prefix, level } = logType;
    logs.register(type, { ...(prefix !== undefined ? { prefix } : {}), ...(level !== undefined ? { level } : {}) });
  }
}

/** Builds every driver and registers it on its bus; returns them by name. */
export function composeDrivers(
  buses: BusRegistry,
  drivers: readonly EalDriver[],
  context: Omit<EalDriverContext, 'logger'> & { readonly ealLogger: Logger },
): Map<string, Driver> {
  const made = new Map<string, Driver>();
  for (const spec of drivers) {
    const bus = buses.findByName(spec.bus);
    if (!bus) {
      const known = buses.buses().map((b) => b.name).join(', ');
      throw new EalError('EINVAL', `driver '${spec.name}' goes on bus '${spec.bus}', which this EAL does not have (buses: ${known})`);
    }
    const logger = spec.logType ? context.logs.register(spec.logType.type) : context.ealLogger;
    const driver = spec.create({ ports: context.ports, processType: context.processType, logs: context.logs, logger });
    bus.registerDriver(driver);
    made.set(spec.name, driver);
  }
  return made;
}

/** The names of the composed drivers of one bus, aliases in brackets, for error messages. */
function describeDrivers(drivers: readonly EalDriver[], bus: string): string {
  const names = drivers.filter((d) => d.bus === bus).map((d) => (d.aliases?.length ? `${d.name} (${d.aliases.join(', ')})` : d.name));
  return names.length > 0 ? names.join(', ') : 'none';
}

/**
 * A bus beyond the PCI and vdev buses EAL's command line speaks of (-a/-b,
 * --vdev): registered after them, scanned and probed with them, and `-a`
 * devargs can name it (`-a mybus:dev0`). Its drivers go in `drivers`.
 */
export interface EalBus {
  readonly name: string;
  create(context: { readonly processType: ProcessType; readonly logs: LogRegistry; readonly channel: MpChannel | null }): Bus;
}

/** The PCI bus under --no-pci: registered (so `-a <pci addr>` still parses, as in DPDK) but never scanned. */
class DisabledPciBus extends PciBus {
  override scan(): Promise<void> {
    this.log.debug('PCI is disabled, skipping scan');
    return Promise.resolve();
  }
}

export interface CreateBusesOptions {
  /** lib.eal, for the registry. */
  readonly logger: Logger;
  readonly noPci: boolean;
  readonly pci: PciBusOptions;
  readonly vdevLogger: Logger;
  readonly processType: ProcessType;
  readonly hotplugTimeoutMs: number;
  readonly channel: MpChannel | null;
}

/** The bus registry of one EAL with PCI and vdev (over the mp channel when there is one); the application's buses come after. */
export function createBuses(options: CreateBusesOptions): { buses: BusRegistry; pci: PciBus; vdev: VdevBus } {
  const buses = new BusRegistry({ logger: options.logger });
  const pci = options.noPci ? new DisabledPciBus(options.pci) : new PciBus(options.pci);
  buses.register(pci);
  const vdev = new VdevBus({
    logger: options.vdevLogger,
    processType: options.processType,
    // The primary answers a scan between hotplug operations, so a scan may
    // wait out one in flight: its request and its rollback, each up to the
    // hotplug timeout. Hence three of them, not one.
    scanTimeoutMs: 3 * options.hotplugTimeoutMs,
    ...(options.channel ? { mp: options.channel } : {}),
  });
  buses.register(vdev);
  return { buses, pci, vdev };
}

/**
 * For a devargs no bus claimed (DevargsError 'no-bus'): which drivers were
 * composed, since the one it names may just be missing; '' otherwise.
 */
export function unclaimedDevargsHint(error: unknown, buses: BusRegistry, drivers: readonly EalDriver[]): string {
  if (!(error instanceof DevargsError) || error.reason !== 'no-bus') return '';
  const composed = buses.buses().map((bus) => `${bus.name}: ${describeDrivers(drivers, bus.name)}`).join('; ');
  return `drivers composed into this EAL: ${composed} (a driver is composed by passing it in Eal.init's drivers option, e.g. netNull from @eal-ts/net-null)`;
}
