/**
 * EAL's log types and what the command line does to them: DPDK's names and
 * prefixes (lib.eal `EAL`, bus.pci `PCI_BUS`, …), the composed drivers'
 * types, --log-level applied before anything logs, and the one debug line
 * listing the options accepted without effect.
 */
import { LogLevel, type LogRegistry, type Logger } from '@eal-ts/log';
import type { EalOptions } from './eal_common_options.js';
import { type EalDriver, registerDriverLogTypes } from './eal_buses.js';

/** The log types of one EAL instance, DPDK's names and prefixes. */
export interface EalLoggers {
  /** lib.eal, `EAL: ` — EAL itself, the mp channel and hotplug. */
  readonly eal: Logger;
  readonly pci: Logger;
  readonly vdev: Logger;
  readonly ethdev: Logger;
}

/** EAL's own log types and the composed drivers' (DPDK registers them all before parsing). */
export function registerLogTypes(logs: LogRegistry, drivers: readonly EalDriver[]): EalLoggers {
  const loggers = {
    eal: logs.register('lib.eal', { prefix: 'EAL' }),
    pci: logs.register('bus.pci', { prefix: 'PCI_BUS' }),
    // DPDK registers bus.vdev at NOTICE (RTE_LOG_REGISTER_DEFAULT): its info lines (a probe, the vdevs a
    // secondary receives) are not printed unless asked for with --log-level=bus.vdev:info.
    vdev: logs.register('bus.vdev', { prefix: 'VDEV', level: LogLevel.NOTICE }),
    ethdev: logs.register('lib.ethdev', { prefix: 'ETHDEV' }),
  };
  registerDriverLogTypes(logs, drivers);
  return loggers;
}

/** --log-level, in command-line order; a level above debug is clamped with a warning, as DPDK's. */
export function applyLogLevels(logs: LogRegistry, log: Logger, options: EalOptions): void {
  for (const option of options.logLevels) {
    logs.applyLogLevelOption(option);
    if (option.clampedFrom !== undefined) {
      log.warning(`Log level ${option.clampedFrom} higher than maximum (${LogLevel.DEBUG}) in --log-level ${option.text}: using ${LogLevel.DEBUG}`);
    }
  }
}

/** One debug line naming the options accepted without effect. */
export function noteNoEffect(log: Logger, options: EalOptions): void {
  const list = options.noEffect;
  if (list.length === 0) return;
  const text = list.map((o) => (o.value === null ? o.option : `${o.option} ${o.value}`)).join(', ');
  log.debug(`accepted without effect in eal-ts (DPDK's memory, lcore and other subsystems): ${text}`);
}
