/**
 * rte_eal_init and rte_eal_cleanup (lib/eal/linux/eal.c, DPDK 22.11) for
 * eal-ts, the public face: the command line parsed, log levels applied, -h
 * and -v answered, then the components set up (eal_setup.ts) and exposed —
 * the composition root of an eal-ts application.
 */
import type { BusRegistry, Driver } from '@eal-ts/bus';
import type { PciBus } from '@eal-ts/bus-pci';
import type { VdevBus } from '@eal-ts/bus-vdev';
import type { EthdevPorts } from '@eal-ts/ethdev';
import type { Hotplug } from '@eal-ts/hotplug-mp';
import { EalError } from '@eal-ts/bus';
import { LogRegistry, type LogSink, type Logger } from '@eal-ts/log';
import type { MpChannel, MpLayout, MpTransport, PrimaryConfig, ProcessType } from '@eal-ts/mp-channel';
import type { TelemetryRegistry, TelemetryServer } from '@eal-ts/telemetry';
import type { EalBus, EalDriver } from './eal_buses.js';
import { type EalOptions, type ParsedEalArgs, parseEalArgs } from './eal_common_options.js';
import { messageOf } from './eal_init_error.js';
import { type EalLoggers, applyLogLevels, noteNoEffect, registerLogTypes } from './eal_log.js';
import { EalSetup } from './eal_setup.js';
import { logLevelUsage, usage } from './eal_usage.js';
import { EalHelpRequested } from './errors.js';
import { ealVersion } from './version.js';

export { EalInitError, type EalInitStage } from './eal_init_error.js';
export { ealVersion } from './version.js';

export interface EalInitOptions {
  /** Environment for the runtime directory ($RUNTIME_DIRECTORY, $XDG_RUNTIME_DIR) and the PCI scan ($SYSFS_PCI_DEVICES); default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Effective uid deciding /var/run vs $XDG_RUNTIME_DIR; default process.getuid(). */
  uid?: number;
  /** The PCI bus's sysfs devices directory (default $SYSFS_PCI_DEVICES, else /sys/bus/pci/devices). */
  sysfsDir?: string;
  /** The log registry to use; default a fresh one writing `PREFIX: message` lines to stderr (or to `logSink`). */
  logs?: LogRegistry;
  /** Where a fresh registry's lines go (ignored with `logs`). */
  logSink?: LogSink;
  /**
   * The drivers this EAL registers on its buses, e.g. `[netNull]` from
   * @eal-ts/net-null; default none. A `--vdev` or `-a` no composed driver
   * claims fails init (EalInitError, stage 'devargs', EFAULT) naming them.
   */
  drivers?: readonly EalDriver[];
  /** Buses besides PCI and vdev (always there: the command line speaks of them); default none. */
  buses?: readonly EalBus[];
  /**
   * Also print the usage text here, as DPDK's rte_eal_init prints it on
   * stdout: for -h and --log-level=help (init then rejects with
   * EalHelpRequested carrying the text) and after a refused command line
   * (EalArgsError). Default: not printed; the application prints
   * EalHelpRequested's text, and `usage()` after an EalArgsError.
   */
  stdout?: (text: string) => void;
  /** The program name in the usage text. */
  prgname?: string;
  /** The mp transport; default a new UnixTransport (tests may pass another). */
  transport?: MpTransport;
  /**
   * Gives up init: its waits (the runtime directory's flock, bounded anyway by
   * the transport's lockTimeoutMs, 10 s by default; a secondary's wait for the
   * primary to complete its init) end at once, and between steps init stops.
   * Init then rejects with the signal's reason, after undoing what it did.
   */
  signal?: AbortSignal;
  /** argv[0] for /eal/params; default process.argv[1] (the script), else prgname. */
  argv0?: string;
}

/**
 * One initialised EAL (what rte_eal_init leaves behind in a DPDK process).
 * Several may live in one Node process, each with its own runtime directory
 * (or without one: --no-shconf / --in-memory).
 */
export class Eal {
  /** The command line, parsed. */
  readonly options: EalOptions;
  /** argv entries EAL used, the `--` included (rte_eal_init's return value). */
  readonly consumed: number;
  /** The application's arguments (after `--`, and any non-option words among EAL's). */
  readonly args: readonly string[];
  readonly logs: LogRegistry;
  /** The lib.eal logger (`EAL: `). */
  readonly log: Logger;
  readonly loggers: EalLoggers;
  readonly #setup: EalSetup;
  #cleanup: Promise<void> | undefined;

  private constructor(parsed: ParsedEalArgs, argv: readonly string[], logs: LogRegistry, drivers: readonly EalDriver[]) {
    this.options = parsed.options;
    this.consumed = parsed.consumed;
    this.args = parsed.args;
    this.logs = logs;
    this.loggers = registerLogTypes(logs, drivers);
    this.log = this.loggers.eal;
    this.#setup = new EalSetup({ options: parsed.options, argv, logs, loggers: this.loggers, drivers });
  }

  /**
   * rte_eal_init. `argv` is the arguments without the program name
   * (`process.argv.slice(2)`). Rejects with EalArgsError (EINVAL) for a
   * command line DPDK refuses and with EalInitError (errno name, `stage`)
   * for a failure after it; in both cases nothing is left behind. -h and
   * --log-level=help reject with EalHelpRequested carrying the text: the
   * application prints it and exits 0, as DPDK does (the library never
   * exits the process).
   */
  static async init(argv: readonly string[], init: EalInitOptions = {}): Promise<Eal> {
    const logs = init.logs ?? new LogRegistry(init.logSink ? { sink: init.logSink } : {});
    const drivers = init.drivers ?? [];
    let parsed: ReturnType<typeof parseEalArgs>;
    try {
      parsed = parseEalArgs(argv);
    } catch (error) {
      // As rte_eal_init: say what was wrong (the application prints the usage), then fail.
      registerLogTypes(logs, drivers).eal.err(`Invalid 'command line' arguments: ${messageOf(error)}`);
      init.stdout?.(usage(init.prgname));
      throw error;
    }
    const eal = new Eal(parsed, [...argv], logs, drivers);
    applyLogLevels(logs, eal.log, parsed.options);
    const opts = parsed.options;
    if (opts.help || opts.logLevelHelp) {
      const text = opts.help ? usage(init.prgname) : logLevelUsage(logs.list());
      init.stdout?.(text);
      throw new EalHelpRequested(opts.help ? 'usage' : 'log-level', text);
    }
    if (opts.version) eal.log.crit(`RTE Version: 'eal-ts ${ealVersion()} (DPDK 22.11 EAL, multi-process hotplug)'`);
    noteNoEffect(eal.log, opts);
    try {
      await eal.#setup.run(init);
    } catch (error) {
      eal.log.err(`Cannot init EAL: ${messageOf(error)}`);
      await eal.#setup.teardown();
      // An abort rejects with the caller's own reason, whatever step noticed it.
      if (init.signal?.aborted) throw init.signal.reason as Error;
      throw error;
    }
    return eal;
  }

  /** 'primary' or 'secondary', once init has decided. */
  get processType(): ProcessType {
    return this.#setup.processType;
  }

  /** `<base>/dpdk/<file-prefix>`; null with --no-shconf / --in-memory. */
  get runtimeDir(): string | null {
    return this.#setup.runtimeDir;
  }

  /**
   * In a secondary, what the primary's config file said: a DPDK primary and
   * its version, an eal-ts primary, or unknown. Null in a primary.
   */
  get primaryConfig(): PrimaryConfig | null {
    return this.#setup.primaryConfig;
  }

  /** The layout sent to peers not heard from yet: --mp-layout, or what the primary's version speaks. */
  get mpLayout(): MpLayout {
    return this.#setup.mpLayout;
  }

  /** The mp channel; null with --no-shconf / --in-memory (hotplug is then local). */
  get channel(): MpChannel | null {
    return this.#setup.channel;
  }

  get buses(): BusRegistry {
    return this.#need(this.#setup.buses, 'buses');
  }

  get pci(): PciBus {
    return this.#need(this.#setup.pci, 'PCI bus');
  }

  get vdev(): VdevBus {
    return this.#need(this.#setup.vdev, 'vdev bus');
  }

  /** The driver composed under that name (Eal.init's `drivers`), as built for this EAL. */
  driver(name: string): Driver {
    const driver = this.#setup.drivers.get(name);
    if (!driver) throw new EalError('ENODEV', `no driver '${name}' was composed into this EAL (drivers: ${[...this.#setup.drivers.keys()].join(', ') || 'none'})`);
    return driver;
  }

  /** This process's ethdev ports. */
  get ports(): EthdevPorts {
    return this.#need(this.#setup.ports, 'ethdev ports');
  }

  /**
   * Whether port ids are shared with the other processes of the runtime
   * directory: false in a secondary whose primary is not eal-ts (a DPDK
   * primary keeps its port table in hugepage memory we cannot read).
   */
  get portsShared(): boolean {
    return this.#setup.portsShared;
  }

  get hotplug(): Hotplug {
    return this.#need(this.#setup.hotplug, 'hotplug');
  }

  /**
   * The telemetry command registry, where packages register their commands;
   * null with --no-telemetry or without a runtime directory.
   */
  get telemetry(): TelemetryRegistry | null {
    return this.#setup.telemetry?.registry ?? null;
  }

  /** The telemetry socket this process serves (`dpdk_telemetry.v2` or `:N`); null when off. */
  get telemetryServer(): TelemetryServer | null {
    return this.#setup.telemetry?.server ?? null;
  }

  /** Whether cleanup() has been called. */
  get closed(): boolean {
    return this.#cleanup !== undefined;
  }

  /**
   * rte_eal_cleanup: hotplug stopped (its action unregistered, queued
   * operations finished), the vdev action unregistered, the mp channel
   * closed (socket closed and unlinked), the buses' devices removed (a
   * primary frees their ports), the port table closed, the config lock
   * released. Idempotent; never rejects (failures are logged).
   */
  cleanup(): Promise<void> {
    this.#cleanup ??= this.#setup.teardown();
    return this.#cleanup;
  }

  #need<T>(value: T | null, what: string): T {
    if (value === null) throw new EalError('ENODEV', `EAL ${what} is not available (init did not get that far, or cleanup ran)`);
    return value;
  }
}

/** rte_eal_init as a function: `const eal = await init(process.argv.slice(2))`. */
export function init(argv: readonly string[], options?: EalInitOptions): Promise<Eal> {
  return Eal.init(argv, options);
}
