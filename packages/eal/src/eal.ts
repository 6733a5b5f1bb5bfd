/**
 * rte_eal_init and rte_eal_cleanup (lib/eal/linux/eal.c, DPDK 22.11) for
 * eal-ts: the command line, log levels, the runtime directory, the process
 * type through the config lock, the mp channel, the ethdev port table, the
 * buses with their devargs and drivers, multi-process hotplug, and the
 * probe of every device — then all of it undone again, in reverse.
 */
import { readFileSync } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BusRegistry as BusRegistryType, BusRegistry, EalError } from '@eal-ts/bus';
import { PciBus, type PciBusOptions } from '@eal-ts/bus-pci';
import { VdevBus } from '@eal-ts/bus-vdev';
import { type EalTsErrorOptions, type ErrnoName, errnoNameOf } from '@eal-ts/errno';
import { EthdevPorts, MemoryPortTable, ETHDEV_DATA_FILE } from '@eal-ts/ethdev';
import { Hotplug } from '@eal-ts/hotplug-mp';
import { LogLevel, LogRegistry, type LogSink, type Logger } from '@eal-ts/log';
import {
  MpChannel,
  PrimaryLock,
  UnixTransport,
  configPath,
  createRuntimeDir,
  describePrimaryConfig,
  detectProcessType,
  formatDpdkVersion,
  primaryLockHolder,
  primaryMpLayout,
  readPrimaryConfig,
  type MpLayout,
  type MpTransport,
  type PrimaryConfig,
} from '@eal-ts/mp-channel';
import { NullDriver } from '@eal-ts/net-null';
import type { TelemetryRegistry, TelemetryServer } from '@eal-ts/telemetry';
import { type EalOptions, logLevelUsage, parseEalArgs, usage } from './eal_common_options.js';
import { type EalTelemetry, startEalTelemetry } from './eal_common_telemetry.js';
import { PrimaryPortIds } from './eal_primary_port_ids.js';
import { EalHelpRequested } from './errors.js';
import { registerTestpmdMp } from './testpmd_mp.js';

export type ProcessType = 'primary' | 'secondary';

/** Where in rte_eal_init a failure happened. */
export type EalInitStage =
  | 'runtime-dir'
  | 'proc-type'
  | 'mp-channel'
  | 'ethdev'
  | 'buses'
  | 'devargs'
  | 'scan'
  | 'hotplug'
  | 'probe'
  | 'telemetry';

/** rte_eal_init failed after the command line was accepted; everything set up so far has been undone. */
export class EalInitError extends EalError {
  constructor(code: ErrnoName, readonly stage: EalInitStage, message: string, options?: EalTsErrorOptions) {
    super(code, message, options);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function initError(stage: EalInitStage, fallback: ErrnoName, context: string, error: unknown): EalInitError {
  if (error instanceof EalInitError) return error;
  return new EalInitError(errnoNameOf(error) ?? fallback, stage, `${context}: ${messageOf(error)}`, { cause: error, context });
}

/** The log types of one EAL instance, DPDK's names and prefixes. */
export interface EalLoggers {
  /** lib.eal, `EAL: ` — EAL itself, the mp channel and hotplug. */
  readonly eal: Logger;
  readonly pci: Logger;
  readonly vdev: Logger;
  readonly ethdev: Logger;
  readonly netNull: Logger;
}

function registerLogTypes(logs: LogRegistry): EalLoggers {
  return {
    eal: logs.register('lib.eal', { prefix: 'EAL' }),
    pci: logs.register('bus.pci', { prefix: 'PCI_BUS' }),
    vdev: logs.register('bus.vdev', { prefix: 'VDEV' }),
    ethdev: logs.register('lib.ethdev', { prefix: 'ETHDEV' }),
    netNull: logs.register('pmd.net.null', { prefix: 'NULL', level: LogLevel.NOTICE }),
  };
}

/** eal-ts's version, for -v. */
export function ealVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

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
  /** Where -h and --log-level=help text goes; default process.stdout. */
  stdout?: (text: string) => void;
  /** -h / --log-level=help: print, then exit(0) as DPDK does (default), or throw EalHelpRequested when false. */
  exitOnHelp?: boolean;
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

/** Runtime directories an Eal of this process holds: POSIX record locks cannot tell two of them apart. */
const heldDirs = new Set<string>();

/**
 * Written by an eal-ts primary once its init is complete (its pid), removed
 * by its cleanup: a secondary waits for it as DPDK's waits for the shared
 * config's magic (eal_mcfg_wait_complete), so it never scans a primary that
 * is still starting.
 */
export const READY_FILE = 'eal_ts_primary_ready';

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
  #processType: ProcessType = 'primary';
  #runtimeDir: string | null = null;
  #held: string | null = null;
  #lock: PrimaryLock | null = null;
  #channel: MpChannel | null = null;
  #ports: EthdevPorts | null = null;
  #portsShared = false;
  #buses: BusRegistryType | null = null;
  #pci: PciBus | null = null;
  #vdev: VdevBus | null = null;
  #nullDriver: NullDriver | null = null;
  #hotplug: Hotplug | null = null;
  #cleanup: Promise<void> | undefined;
  #readyFile: string | null = null;
  #telemetry: EalTelemetry | null = null;
  #argv: readonly string[] = [];
  /** The primary's config file says it is a DPDK process. */
  #dpdkPrimary = false;
  /** What a secondary read in the primary's config file; null in a primary. */
  #primaryConfig: PrimaryConfig | null = null;
  #mpLayout: MpLayout = '22.11';

  private constructor(options: EalOptions, consumed: number, args: readonly string[], logs: LogRegistry) {
    this.options = options;
    this.consumed = consumed;
    this.args = args;
    this.logs = logs;
    this.loggers = registerLogTypes(logs);
    this.log = this.loggers.eal;
  }

  /**
   * rte_eal_init. `argv` is the arguments without the program name
   * (`process.argv.slice(2)`). Rejects with EalArgsError (EINVAL) for a
   * command line DPDK refuses and with EalInitError (errno name, `stage`)
   * for a failure after it; in both cases nothing is left behind.
   */
  static async init(argv: readonly string[], init: EalInitOptions = {}): Promise<Eal> {
    const logs = init.logs ?? new LogRegistry(init.logSink ? { sink: init.logSink } : {});
    const print = init.stdout ?? ((t: string) => void process.stdout.write(t));
    let parsed: ReturnType<typeof parseEalArgs>;
    try {
      parsed = parseEalArgs(argv);
    } catch (error) {
      // As rte_eal_init: say what was wrong, then the usage, then fail.
      registerLogTypes(logs).eal.err(`Invalid 'command line' arguments: ${messageOf(error)}`);
      print(usage(init.prgname));
      throw error;
    }
    const eal = new Eal(parsed.options, parsed.consumed, parsed.args, logs);
    eal.#argv = [...argv];
    eal.#applyLogLevels();
    const opts = parsed.options;
    if (opts.help || opts.logLevelHelp) {
      const text = opts.help ? usage(init.prgname) : logLevelUsage(logs.list());
      print(text);
      if (init.exitOnHelp ?? true) process.exit(0);
      throw new EalHelpRequested(opts.help ? 'usage' : 'log-level', text);
    }
    if (opts.version) eal.log.crit(`RTE Version: 'eal-ts ${ealVersion()} (DPDK 22.11 EAL, multi-process hotplug)'`);
    eal.#noteNoEffect();
    try {
      await eal.#init(init);
    } catch (error) {
      eal.log.err(`Cannot init EAL: ${messageOf(error)}`);
      await eal.#teardown();
      // An abort rejects with the caller's own reason, whatever step noticed it.
      if (init.signal?.aborted) throw init.signal.reason as Error;
      throw error;
    }
    return eal;
  }

  /** 'primary' or 'secondary', once init has decided. */
  get processType(): ProcessType {
    return this.#processType;
  }

  /** `<base>/dpdk/<file-prefix>`; null with --no-shconf / --in-memory. */
  get runtimeDir(): string | null {
    return this.#runtimeDir;
  }

  /**
   * In a secondary, what the primary's config file said: a DPDK primary and
   * its version, an eal-ts primary, or unknown. Null in a primary.
   */
  get primaryConfig(): PrimaryConfig | null {
    return this.#primaryConfig;
  }

  /** The layout sent to peers not heard from yet: --mp-layout, or what the primary's version speaks. */
  get mpLayout(): MpLayout {
    return this.#mpLayout;
  }

  /** The mp channel; null with --no-shconf / --in-memory (hotplug is then local). */
  get channel(): MpChannel | null {
    return this.#channel;
  }

  get buses(): BusRegistryType {
    return this.#need(this.#buses, 'buses');
  }

  get pci(): PciBus {
    return this.#need(this.#pci, 'PCI bus');
  }

  get vdev(): VdevBus {
    return this.#need(this.#vdev, 'vdev bus');
  }

  get nullDriver(): NullDriver {
    return this.#need(this.#nullDriver, 'net_null driver');
  }

  /** This process's ethdev ports. */
  get ports(): EthdevPorts {
    return this.#need(this.#ports, 'ethdev ports');
  }

  /**
   * Whether port ids are shared with the other processes of the runtime
   * directory: false in a secondary whose primary is not eal-ts (a DPDK
   * primary keeps its port table in hugepage memory we cannot read).
   */
  get portsShared(): boolean {
    return this.#portsShared;
  }

  get hotplug(): Hotplug {
    return this.#need(this.#hotplug, 'hotplug');
  }

  /**
   * The telemetry command registry, where packages register their commands;
   * null with --no-telemetry or without a runtime directory.
   */
  get telemetry(): TelemetryRegistry | null {
    return this.#telemetry?.registry ?? null;
  }

  /** The telemetry socket this process serves (`dpdk_telemetry.v2` or `:N`); null when off. */
  get telemetryServer(): TelemetryServer | null {
    return this.#telemetry?.server ?? null;
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
    this.#cleanup ??= this.#teardown();
    return this.#cleanup;
  }

  #need<T>(value: T | null, what: string): T {
    if (value === null) throw new EalError('ENODEV', `EAL ${what} is not available (init did not get that far, or cleanup ran)`);
    return value;
  }

  #applyLogLevels(): void {
    for (const option of this.options.logLevels) {
      if (option.kind === 'global') this.logs.setGlobalLevel(option.level);
      else if (option.kind === 'pattern') this.logs.setLevelPattern(option.match, option.level);
      else this.logs.setLevelRegexp(option.match, option.level);
      if (option.clampedFrom !== undefined) {
        this.log.warning(`Log level ${option.clampedFrom} higher than maximum (${LogLevel.DEBUG}) in --log-level ${option.text}: using ${LogLevel.DEBUG}`);
      }
    }
  }

  #noteNoEffect(): void {
    const list = this.options.noEffect;
    if (list.length === 0) return;
    const text = list.map((o) => (o.value === null ? o.option : `${o.option} ${o.value}`)).join(', ');
    this.log.debug(`accepted without effect in eal-ts (DPDK's memory, lcore and other subsystems): ${text}`);
  }

  async #init(init: EalInitOptions): Promise<void> {
    const opts = this.options;
    const env = init.env ?? process.env;
    const runtimeEnv = { env, ...(init.uid !== undefined ? { uid: init.uid } : {}) };
    const signal = init.signal;
    signal?.throwIfAborted();

    // Runtime directory (eal_create_runtime_dir), not in --no-shconf / --in-memory.
    if (!opts.noShconf) {
      let dir: string;
      try {
        dir = resolve(await createRuntimeDir(opts.filePrefix, runtimeEnv));
      } catch (error) {
        throw initError('runtime-dir', 'EIO', 'Cannot create runtime directory', error);
      }
      if (heldDirs.has(dir)) {
        throw new EalInitError(
          'EBUSY',
          'runtime-dir',
          `an EAL of this process already uses ${dir}: one process can be only one primary or secondary of a runtime directory (use another --file-prefix)`,
        );
      }
      heldDirs.add(dir);
      this.#held = dir;
      this.#runtimeDir = dir;
    }

    await this.#decideProcessType(signal);
    signal?.throwIfAborted();
    const dir = this.#runtimeDir;
    const loggers = this.loggers;

    // rte_mp_channel_init, in the layout the primary reads: a DPDK primary
    // drops every datagram not of its own size, and a secondary speaks first.
    this.#mpLayout = this.#chooseMpLayout();
    if (dir !== null) {
      try {
        this.#channel = await MpChannel.open({
          transport: init.transport ?? new UnixTransport(),
          role: this.#processType,
          runtimeDir: dir,
          logger: loggers.eal,
          layout: this.#mpLayout,
          signal: init.signal,
        });
      } catch (error) {
        throw initError('mp-channel', 'EFAULT', 'failed to init mp channel', error);
      }
      // A quitting DPDK testpmd (25.11; 22.11.11+, 23.11.6+, 24.11.4+) asks every secondary first.
      if (this.#processType === 'secondary') registerTestpmdMp(this.#channel, loggers.eal);
    } else {
      this.log.debug('mp channel disabled (no shared config): hotplug acts in this process only');
    }

    signal?.throwIfAborted();
    await this.#openPorts(dir);
    signal?.throwIfAborted();

    // Buses and the drivers eal-ts ships.
    try {
      const buses = new BusRegistry({ logger: loggers.eal });
      this.#buses = buses;
      const pciOptions: PciBusOptions = {
        logger: loggers.pci,
        ...(init.sysfsDir !== undefined ? { sysfsDir: init.sysfsDir } : {}),
        env,
      };
      const pci = opts.noPci ? new DisabledPciBus(pciOptions) : new PciBus(pciOptions);
      buses.register(pci);
      this.#pci = pci;
      const vdev = new VdevBus({
        logger: loggers.vdev,
        processType: this.#processType,
        // The primary answers a scan between hotplug operations, so a scan may
        // wait out one in flight: its request and its rollback, each up to the
        // hotplug timeout. Hence three of them, not one.
        scanTimeoutMs: 3 * opts.hotplugTimeoutMs,
        ...(this.#channel ? { mp: this.#channel } : {}),
      });
      buses.register(vdev);
      this.#vdev = vdev;
      const nullDriver = new NullDriver({ ports: this.ports, logger: loggers.netNull });
      vdev.registerDriver(nullDriver);
      this.#nullDriver = nullDriver;
    } catch (error) {
      throw initError('buses', 'EINVAL', 'Cannot set up the buses', error);
    }

    // eal_option_device_parse: -a, -b and --vdev, in command-line order.
    for (const device of opts.devices) {
      try {
        if (device.type === 'virtual') this.vdev.addVdevArg(device.devargs);
        else this.buses.addDevargs(device.type, device.devargs);
      } catch (error) {
        throw initError('devargs', 'ENODEV', `invalid ${device.option} ${device.devargs}`, error);
      }
    }

    // eal_mp_dev_hotplug_init, before the scan (see below).
    if (opts.hotplugObserver && (this.#processType !== 'secondary' || !this.#channel)) {
      throw initError(
        'hotplug',
        'EINVAL',
        '--hotplug-observer needs a secondary process',
        new Error(`this process is ${this.#channel ? 'the primary' : 'without an mp channel'}; an observer follows a primary's hotplug`),
      );
    }
    const hotplug = new Hotplug({
      role: this.#processType,
      buses: this.buses,
      timeoutMs: opts.hotplugTimeoutMs,
      logger: loggers.eal,
      observer: opts.hotplugObserver,
      ...(this.#channel ? { channel: this.#channel } : {}),
    });
    try {
      await hotplug.start();
    } catch (error) {
      throw initError('hotplug', 'EINVAL', 'failed to register mp callback for hotplug', error);
    }
    this.#hotplug = hotplug;
    // The primary answers a joining secondary's vdev scan between hotplug
    // operations only, never with an attach half done.
    if (this.#processType === 'primary') this.vdev.setScanGate((answer) => hotplug.exclusive(answer));

    // rte_bus_scan (a secondary's vdev scan asks the primary for its vdevs).
    // Unlike DPDK, the hotplug action is already registered: a broadcast that
    // arrives between our bind and our scan is handled, not answered IGN and
    // missed.
    await this.buses.scan();
    signal?.throwIfAborted();

    if (opts.hotplugObserver) {
      // An observer runs no driver: it mirrors the devices the primary reported.
      hotplug.seedMirror(this.vdev.devices().map((device) => device.name));
    } else {
      // rte_bus_probe: failures are logged per device, as DPDK goes on with the next.
      // It runs in hotplug's device queue, so a request from the primary that
      // arrives meanwhile is applied before or after it, never in the middle.
      await hotplug.local(() => this.buses.probe());
    }

    // rte_telemetry_init, unless --no-telemetry (DPDK fails rte_eal_init when it cannot start).
    if (dir !== null && opts.telemetry) {
      try {
        this.#telemetry = await startEalTelemetry({
          runtimeDir: dir,
          version: `eal-ts ${ealVersion()}`,
          prgname: init.argv0 ?? process.argv[1] ?? init.prgname ?? 'eal-ts',
          argv: this.#argv,
          ports: this.ports,
          hotplug,
          logger: loggers.eal,
        });
      } catch (error) {
        throw initError('telemetry', 'EIO', 'Cannot init telemetry', error);
      }
    } else if (opts.telemetry) {
      this.log.debug('telemetry disabled: no runtime directory (--no-shconf / --in-memory)');
    }

    // From here on, requests for unknown actions are no longer answered with IGN.
    this.#channel?.initComplete();
    if (dir !== null && this.#processType === 'primary') {
      const ready = join(dir, READY_FILE);
      const temp = `${ready}.${process.pid}`;
      try {
        await writeFile(temp, `${process.pid}\n`, { mode: 0o600 });
        await rename(temp, ready);
        this.#readyFile = ready;
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw initError('probe', 'EIO', `Cannot write ${ready}`, error);
      }
    }
    this.log.debug(
      `EAL initialised: ${this.#processType.toUpperCase()} process` +
        (dir !== null ? ` in ${dir}` : ' without shared config') +
        `, ${(await this.ports.count()).toString()} port(s)`,
    );
  }

  /** rte_config_init's choice: explicit, or auto through the config lock (eal_proc_type_detect). */
  async #decideProcessType(signal: AbortSignal | undefined): Promise<void> {
    const opts = this.options;
    const dir = this.#runtimeDir;
    if (dir === null) {
      if (opts.procType === 'secondary') {
        throw new EalInitError(
          'EINVAL',
          'proc-type',
          `--proc-type=secondary cannot run with ${opts.inMemory ? '--in-memory' : '--no-shconf'}: a secondary attaches to a primary's shared config, and there is none`,
        );
      }
      if (opts.procType === 'auto') this.log.info('Auto-detected process type: PRIMARY');
      this.#processType = 'primary';
      return;
    }
    const config = configPath(dir);
    try {
      if (opts.procType === 'auto') {
        const detected = await detectProcessType(dir);
        if (detected.type === 'primary') this.#lock = detected.lock;
        this.#processType = detected.type;
        this.log.info(`Auto-detected process type: ${detected.type.toUpperCase()}`);
      } else if (opts.procType === 'primary') {
        const lock = await PrimaryLock.acquire(dir);
        if (!lock) {
          const holder = await primaryLockHolder(dir).catch(() => null);
          throw new EalInitError(
            'EBUSY',
            'proc-type',
            `Cannot create lock on '${config}'. Is another primary process running?` +
              (holder ? ` (pid ${holder.pid} holds it)` : '') +
              ' Use --proc-type=secondary or auto to join it, or another --file-prefix.',
          );
        }
        this.#lock = lock;
        this.#processType = 'primary';
      } else {
        const holder = await primaryLockHolder(dir);
        if (!holder) {
          throw new EalInitError(
            'ENOENT',
            'proc-type',
            `no primary process is running in ${dir} (nobody holds the lock on '${config}'): ` +
              'start a primary first, or use --proc-type=auto or primary',
          );
        }
        this.#processType = 'secondary';
        this.log.debug(`primary process: pid ${holder.pid}`);
      }
    } catch (error) {
      throw initError('proc-type', 'EIO', 'Cannot init config', error);
    }
    if (this.#processType === 'secondary') await this.#waitPrimaryComplete(dir, signal);
  }

  /**
   * eal_mcfg_wait_complete, and what the primary is: its config file starts
   * with rte_mem_config's magic and version (eal_memcfg.ts). A DPDK primary
   * is taken as it is (its version is written right after its lock, so only
   * an all-zero header makes us poll); a secondary of an eal-ts primary waits
   * until that primary has finished its init (READY_FILE holds its pid). An
   * empty config is an eal-ts primary from before the header.
   */
  async #waitPrimaryComplete(dir: string, signal: AbortSignal | undefined): Promise<void> {
    const timeoutMs = this.options.hotplugTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    try {
      let config = await readPrimaryConfig(dir);
      while (config.kind === 'unknown' && config.pending && Date.now() < deadline) {
        await sleep(10, undefined, { signal });
        config = await readPrimaryConfig(dir);
      }
      this.#primaryConfig = config;
      this.log.info(`Primary process: ${describePrimaryConfig(config)}`);
      if (config.kind === 'dpdk' || (config.kind === 'unknown' && config.size > 0)) {
        // Anything sized but not ours is taken for DPDK, as before the header existed.
        this.#dpdkPrimary = true;
        return;
      }
      for (;;) {
        const holder = await primaryLockHolder(dir);
        if (!holder) {
          throw new EalInitError('ENOENT', 'proc-type', `the primary process of ${dir} exited while this secondary was starting`);
        }
        const text = await readFile(join(dir, READY_FILE), 'utf8').catch(() => '');
        if (Number.parseInt(text, 10) === holder.pid) return;
        if (Date.now() >= deadline) {
          throw new EalInitError(
            'ETIMEDOUT',
            'proc-type',
            `the primary process (pid ${holder.pid}) of ${dir} did not complete its initialisation within ${timeoutMs} ms`,
          );
        }
        await sleep(10, undefined, { signal });
      }
    } catch (error) {
      throw initError('proc-type', 'EIO', 'Cannot attach to the primary process', error);
    }
  }

  /** --mp-layout, or auto: a secondary speaks its DPDK primary's layout; everyone else starts with 22.11. */
  #chooseMpLayout(): MpLayout {
    const forced = this.options.mpLayout;
    const config = this.#primaryConfig;
    if (forced !== 'auto') {
      if (config?.kind === 'dpdk' && config.layout !== forced) {
        this.log.warning(
          `--mp-layout=${forced}, but the primary is DPDK ${formatDpdkVersion(config.version)}, ` +
            `which takes only the ${config.layout} layout: it will drop what we send`,
        );
      }
      return forced;
    }
    return config ? primaryMpLayout(config, '22.11') : '22.11';
  }

  /** The ethdev port table: the shared file, or in memory without shared config. */
  async #openPorts(dir: string | null): Promise<void> {
    const logger = this.loggers.ethdev;
    if (dir === null) {
      this.#ports = new EthdevPorts({ processType: 'primary', inMemory: true, logger });
      this.#portsShared = false;
      return;
    }
    const ports = new EthdevPorts({ processType: this.#processType, runtimeDir: dir, logger });
    try {
      await ports.init();
      this.#ports = ports;
      this.#portsShared = true;
      return;
    } catch (error) {
      await ports.close().catch(() => undefined);
      if (!this.#dpdkPrimary || errnoNameOf(error) !== 'ENOENT') {
        throw initError('ethdev', 'EIO', 'Cannot init the ethdev port table', error);
      }
    }
    // A secondary of a primary that is not eal-ts (DPDK keeps rte_eth_dev_data in hugepages):
    // a local table whose ids come from the primary's telemetry when it answers.
    const holder = await primaryLockHolder(dir).catch(() => null);
    const primaryIds = holder ? new PrimaryPortIds({ runtimeDir: dir, primaryPid: holder.pid, logger: this.log }) : null;
    const known = await primaryIds?.ports();
    if (known) {
      this.log.info(
        `no eal-ts port table (${ETHDEV_DATA_FILE}) in ${dir}: the primary is a DPDK process; ` +
          `port ids are taken from its telemetry (${known.size} port(s))`,
      );
    } else {
      this.log.warning(
        `no eal-ts port table (${ETHDEV_DATA_FILE}) in ${dir}: the primary is not an eal-ts process ` +
          `and its telemetry does not answer (${primaryIds?.lastError ?? 'no primary pid'}); ` +
          'ethdev ports of this secondary are local to it and their ids are not shared',
      );
    }
    const table = new MemoryPortTable({
      logger,
      ...(known && primaryIds ? { resolvePortId: (name: string) => primaryIds.portIdOf(name) } : {}),
    });
    this.#ports = new EthdevPorts({ processType: 'primary', table, logger });
    this.#portsShared = false;
  }

  /** Undoes whatever init set up, in reverse; logs failures and goes on. */
  async #teardown(): Promise<void> {
    const step = async (what: string, work: () => unknown): Promise<void> => {
      try {
        await work();
      } catch (error) {
        this.log.err(`cleanup: ${what} failed: ${messageOf(error)}`);
      }
    };
    const telemetry = this.#telemetry;
    if (telemetry) await step('telemetry close', () => telemetry.close());
    this.#telemetry = null;
    const ready = this.#readyFile;
    if (ready !== null) await step(`removing ${ready}`, () => unlink(ready));
    this.#readyFile = null;
    const hotplug = this.#hotplug;
    if (hotplug) await step('hotplug stop', () => hotplug.stop());
    const vdev = this.#vdev;
    if (vdev) await step('vdev mp action unregister', () => vdev.close());
    const channel = this.#channel;
    if (channel) await step('mp channel close', () => channel.close());
    if (vdev) await step('vdev bus cleanup', () => vdev.cleanup());
    const ports = this.#ports;
    if (ports) await step('ethdev port table close', () => ports.close());
    const lock = this.#lock;
    if (lock) await step('config lock release', () => lock.release());
    if (this.#held !== null) heldDirs.delete(this.#held);
    this.#lock = null;
    this.#held = null;
  }
}

/** The PCI bus under --no-pci: registered (so `-a <pci addr>` still parses, as in DPDK) but never scanned. */
class DisabledPciBus extends PciBus {
  override scan(): Promise<void> {
    this.log.debug('PCI is disabled, skipping scan');
    return Promise.resolve();
  }
}

/** rte_eal_init as a function: `const eal = await init(process.argv.slice(2))`. */
export function init(argv: readonly string[], options?: EalInitOptions): Promise<Eal> {
  return Eal.init(argv, options);
}
