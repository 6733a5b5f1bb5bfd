/**
 * EAL's part of telemetry: rte_eal_init starts the telemetry socket unless
 * --no-telemetry, and EAL registers /eal/params and /eal/app_params
 * (eal_save_args and handle_eal_info_request in DPDK). eal-ts adds
 * /eal_ts/hotplug, the recent hotplug operations of this process.
 */
import { registerEthdevTelemetry, type EthdevPorts } from '@eal-ts/ethdev';
import type { Hotplug, HotplugDeviceEvent, HotplugRollbackEvent } from '@eal-ts/hotplug-mp';
import type { Logger } from '@eal-ts/log';
import { TelemetryRegistry, TelemetryServer, type TelemetryValue } from '@eal-ts/telemetry';

/** How many hotplug events /eal_ts/hotplug keeps. */
export const HOTPLUG_HISTORY_LENGTH = 64;

export const EAL_TELEMETRY_HELP = {
  '/eal/params': 'Returns EAL commandline parameters used. Takes no parameters',
  '/eal/app_params': 'Returns app commandline parameters used. Takes no parameters',
  '/eal_ts/hotplug':
    'Returns the last hotplug events of this process (attach, detach, rollback). Takes no parameters',
} as const;

/**
 * eal_save_args: argv[0] and the arguments up to "--" are EAL's, those after
 * it the application's; without "--", all of them are EAL's.
 */
export function splitSavedArgs(prgname: string, argv: readonly string[]): { eal: string[]; app: string[] } {
  const dash = argv.indexOf('--');
  if (dash < 0) return { eal: [prgname, ...argv], app: [] };
  return { eal: [prgname, ...argv.slice(0, dash)], app: argv.slice(dash + 1) };
}

type HistoryEntry = Record<string, TelemetryValue>;

/** A kept event: when (ms since the epoch) and what, formatted only when somebody asks. */
interface Kept {
  readonly at: number;
  /** A device event's fields (not the event: it holds the Device), or the rollback event as it came. */
  readonly event: Pick<HotplugDeviceEvent, 'devargs' | 'bus' | 'name' | 'rollback'> | HotplugRollbackEvent;
  readonly kind: 'attached' | 'detached' | 'rolled-back';
}

function describeKept({ at, event, kind }: Kept): HistoryEntry {
  const time = new Date(at).toISOString();
  if (kind !== 'rolled-back') {
    const e = event as Pick<HotplugDeviceEvent, 'devargs' | 'bus' | 'name' | 'rollback'>;
    return { time, event: kind, devargs: e.devargs, bus: e.bus, name: e.name, rollback: e.rollback ? 1 : 0 };
  }
  const e = event as HotplugRollbackEvent;
  return {
    time,
    event: 'rolled-back',
    op: e.op,
    devargs: e.devargs,
    ...(e.bus !== undefined ? { bus: e.bus } : {}),
    ...(e.name !== undefined ? { name: e.name } : {}),
    result: e.code,
    errno: e.errno,
    ...(e.peer !== undefined ? { peer: e.peer } : {}),
    reason: e.reason,
  };
}

/**
 * Keeps the last hotplug events of `hotplug` for /eal_ts/hotplug. An event
 * is kept as it came, with Date.now(); the entry (ISO time, fields) is built
 * when /eal_ts/hotplug is read, not on every attach and detach (issue 11).
 */
export class HotplugHistory {
  readonly #kept: Kept[] = [];
  readonly #detach: () => void;

  constructor(hotplug: Hotplug) {
    const device =
      (kind: 'attached' | 'detached') =>
      (e: HotplugDeviceEvent): void =>
        this.#add(kind, { devargs: e.devargs, bus: e.bus, name: e.name, rollback: e.rollback });
    const onAttached = device('attached');
    const onDetached = device('detached');
    const onRolledBack = (e: HotplugRollbackEvent): void => this.#add('rolled-back', e);
    hotplug.on('attached', onAttached);
    hotplug.on('detached', onDetached);
    hotplug.on('rolled-back', onRolledBack);
    this.#detach = () => {
      hotplug.off('attached', onAttached);
      hotplug.off('detached', onDetached);
      hotplug.off('rolled-back', onRolledBack);
    };
  }

  entries(): HistoryEntry[] {
    return this.#kept.map(describeKept);
  }

  close(): void {
    this.#detach();
  }

  #add(kind: Kept['kind'], event: Kept['event']): void {
    this.#kept.push({ at: Date.now(), event, kind });
    if (this.#kept.length > HOTPLUG_HISTORY_LENGTH) this.#kept.shift();
  }
}

export interface EalTelemetryOptions {
  runtimeDir: string;
  version: string;
  prgname: string;
  argv: readonly string[];
  ports: EthdevPorts;
  hotplug: Hotplug;
  logger: Logger;
}

/** What init leaves running; close() undoes it. */
export interface EalTelemetry {
  readonly registry: TelemetryRegistry;
  readonly server: TelemetryServer;
  close(): Promise<void>;
}

/** rte_telemetry_init plus the commands of EAL, ethdev and eal-ts's hotplug. */
export async function startEalTelemetry(options: EalTelemetryOptions): Promise<EalTelemetry> {
  const registry = new TelemetryRegistry({ version: options.version });
  const saved = splitSavedArgs(options.prgname, options.argv);
  registry.register('/eal/params', () => saved.eal, EAL_TELEMETRY_HELP['/eal/params']);
  registry.register('/eal/app_params', () => saved.app, EAL_TELEMETRY_HELP['/eal/app_params']);
  const history = new HotplugHistory(options.hotplug);
  registry.register('/eal_ts/hotplug', () => history.entries(), EAL_TELEMETRY_HELP['/eal_ts/hotplug']);
  const unregisterEthdev = registerEthdevTelemetry(registry, options.ports);
  let server: TelemetryServer;
  try {
    server = await TelemetryServer.start({ runtimeDir: options.runtimeDir, registry, logger: options.logger });
  } catch (error) {
    history.close();
    unregisterEthdev();
    throw error;
  }
  options.logger.debug(`TELEMETRY: serving ${server.path}`);
  return {
    registry,
    server,
    async close() {
      await server.close();
      history.close();
      unregisterEthdev();
    },
  };
}
