/**
 * What rte_eal_init sets up after the command line (lib/eal/linux/eal.c,
 * DPDK 22.11), in order, and how rte_eal_cleanup undoes it in reverse: the
 * runtime directory, the process type through the config lock, the mp
 * channel, the ethdev port table, the buses with their devargs and drivers,
 * multi-process hotplug, the probe of every device, telemetry. `Eal` (eal.ts)
 * is its public face.
 */
import { unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BusRegistry, Driver } from '@eal-ts/bus';
import type { PciBus } from '@eal-ts/bus-pci';
import type { VdevBus } from '@eal-ts/bus-vdev';
import { errnoNameOf } from '@eal-ts/errno';
import type { EthdevPorts } from '@eal-ts/ethdev';
import { Hotplug } from '@eal-ts/hotplug-mp';
import type { LogRegistry, Logger } from '@eal-ts/log';
import {
  MpChannel,
  type PrimaryLock,
  READY_FILE,
  UnixTransport,
  createRuntimeDir,
  decideProcessType,
  formatDpdkVersion,
  primaryMpLayout,
  writeReadyFile,
  type MpLayout,
  type PrimaryConfig,
  type ProcessType,
} from '@eal-ts/mp-channel';
import type { EalInitOptions } from './eal.js';
import { type EalDriver, composeDrivers, createBuses, unclaimedDevargsHint } from './eal_buses.js';
import type { EalOptions } from './eal_common_options.js';
import { type EalTelemetry, startEalTelemetry } from './eal_common_telemetry.js';
import { openEalPorts } from './eal_ethdev_ports.js';
import { EalInitError, initError, messageOf } from './eal_init_error.js';
import type { EalLoggers } from './eal_log.js';
import { registerTestpmdMp } from './testpmd_mp.js';
import { ealVersion } from './version.js';

/** Runtime directories an Eal of this process holds: POSIX record locks cannot tell two of them apart. */
const heldDirs = new Set<string>();

/** What EalSetup is made from: the parsed command line and the logs of its Eal. */
export interface EalSetupContext {
  readonly options: EalOptions;
  readonly argv: readonly string[];
  readonly logs: LogRegistry;
  readonly loggers: EalLoggers;
  readonly drivers: readonly EalDriver[];
}

/** @internal The components of one EAL, as far as init got. */
export class EalSetup {
  readonly options: EalOptions;
  readonly argv: readonly string[];
  readonly logs: LogRegistry;
  readonly loggers: EalLoggers;
  readonly log: Logger;
  readonly driverSpecs: readonly EalDriver[];
  processType: ProcessType = 'primary';
  runtimeDir: string | null = null;
  held: string | null = null;
  lock: PrimaryLock | null = null;
  channel: MpChannel | null = null;
  ports: EthdevPorts | null = null;
  portsShared = false;
  buses: BusRegistry | null = null;
  pci: PciBus | null = null;
  vdev: VdevBus | null = null;
  drivers = new Map<string, Driver>();
  hotplug: Hotplug | null = null;
  readyFile: string | null = null;
  telemetry: EalTelemetry | null = null;
  /** What a secondary read in the primary's config file; null in a primary. */
  primaryConfig: PrimaryConfig | null = null;
  mpLayout: MpLayout = '22.11';

  constructor(context: EalSetupContext) {
    this.options = context.options;
    this.argv = context.argv;
    this.logs = context.logs;
    this.loggers = context.loggers;
    this.log = context.loggers.eal;
    this.driverSpecs = context.drivers;
  }

  async run(init: EalInitOptions): Promise<void> {
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
      this.held = dir;
      this.runtimeDir = dir;
    }

    const { foreignPrimary } = await this.#decideProcessType(signal);
    signal?.throwIfAborted();
    const dir = this.runtimeDir;
    const loggers = this.loggers;

    // rte_mp_channel_init, in the layout the primary reads: a DPDK primary
    // drops every datagram not of its own size, and a secondary speaks first.
    this.mpLayout = this.#chooseMpLayout();
    if (dir !== null) {
      try {
        this.channel = await MpChannel.open({
          transport: init.transport ?? new UnixTransport(),
          role: this.processType,
          runtimeDir: dir,
          logger: loggers.eal,
          layout: this.mpLayout,
          signal: init.signal,
        });
      } catch (error) {
        throw initError('mp-channel', 'EFAULT', 'failed to init mp channel', error);
      }
      // A quitting DPDK testpmd (25.11; 22.11.11+, 23.11.6+, 24.11.4+) asks every secondary first.
      if (this.processType === 'secondary') registerTestpmdMp(this.channel, loggers.eal);
    } else {
      this.log.debug('mp channel disabled (no shared config): hotplug acts in this process only');
    }

    signal?.throwIfAborted();
    const ports = await this.#openPorts(dir, foreignPrimary);
    signal?.throwIfAborted();

    // Buses, then the application's buses and drivers.
    let buses: BusRegistry;
    let vdev: VdevBus;
    try {
      ({ buses, pci: this.pci, vdev } = createBuses({
        logger: loggers.eal,
        noPci: opts.noPci,
        pci: { logger: loggers.pci, env, ...(init.sysfsDir !== undefined ? { sysfsDir: init.sysfsDir } : {}) },
        vdevLogger: loggers.vdev,
        processType: this.processType,
        hotplugTimeoutMs: opts.hotplugTimeoutMs,
        channel: this.channel,
      }));
      this.buses = buses;
      this.vdev = vdev;
      for (const bus of init.buses ?? []) buses.register(bus.create({ processType: this.processType, logs: this.logs, channel: this.channel }));
      this.drivers = composeDrivers(buses, this.driverSpecs, { ports, processType: this.processType, logs: this.logs, ealLogger: loggers.eal });
    } catch (error) {
      throw initError('buses', 'EINVAL', 'Cannot set up the buses', error);
    }

    // eal_option_device_parse: -a, -b and --vdev, in command-line order.
    for (const device of opts.devices) {
      try {
        if (device.type === 'virtual') vdev.addVdevArg(device.devargs);
        else buses.addDevargs(device.type, device.devargs);
      } catch (error) {
        const context = `invalid ${device.option} ${device.devargs}`;
        const hint = unclaimedDevargsHint(error, buses, this.driverSpecs);
        if (!hint) throw initError('devargs', 'ENODEV', context, error);
        throw new EalInitError(errnoNameOf(error) ?? 'ENODEV', 'devargs', `${context}: ${messageOf(error)}; ${hint}`, { cause: error });
      }
    }

    // eal_mp_dev_hotplug_init, before the scan (see below).
    if (opts.hotplugObserver && (this.processType !== 'secondary' || !this.channel)) {
      throw initError(
        'hotplug',
        'EINVAL',
        '--hotplug-observer needs a secondary process',
        new Error(`this process is ${this.channel ? 'the primary' : 'without an mp channel'}; an observer follows a primary's hotplug`),
      );
    }
    const hotplug = new Hotplug({
      role: this.processType,
      buses,
      timeoutMs: opts.hotplugTimeoutMs,
      logger: loggers.eal,
      observer: opts.hotplugObserver,
      ...(this.channel ? { channel: this.channel } : {}),
    });
    try {
      await hotplug.start();
    } catch (error) {
      throw initError('hotplug', 'EINVAL', 'failed to register mp callback for hotplug', error);
    }
    this.hotplug = hotplug;
    // The primary answers a joining secondary's vdev scan between hotplug
    // operations only, never with an attach half done.
    if (this.processType === 'primary') vdev.setScanGate((answer) => hotplug.exclusive(answer));

    // rte_bus_scan (a secondary's vdev scan asks the primary for its vdevs).
    // Unlike DPDK, the hotplug action is already registered: a broadcast that
    // arrives between our bind and our scan is handled, not answered IGN and
    // missed.
    await buses.scan();
    signal?.throwIfAborted();

    if (opts.hotplugObserver) {
      // An observer runs no driver: it mirrors the devices the primary reported.
      hotplug.seedMirror(vdev.devices().map((device) => device.name));
    } else {
      // rte_bus_probe: failures are logged per device, as DPDK goes on with the next.
      // It runs in hotplug's device queue, so a request from the primary that
      // arrives meanwhile is applied before or after it, never in the middle.
      await hotplug.local(() => buses.probe());
    }

    // rte_telemetry_init, unless --no-telemetry (DPDK fails rte_eal_init when it cannot start).
    if (dir !== null && opts.telemetry) {
      try {
        this.telemetry = await startEalTelemetry({
          runtimeDir: dir,
          version: `eal-ts ${ealVersion()}`,
          prgname: init.argv0 ?? process.argv[1] ?? init.prgname ?? 'eal-ts',
          argv: this.argv,
          ports: ports,
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
    this.channel?.initComplete();
    if (dir !== null && this.processType === 'primary') {
      try {
        this.readyFile = await writeReadyFile(dir);
      } catch (error) {
        throw initError('probe', 'EIO', `Cannot write ${join(dir, READY_FILE)}`, error);
      }
    }
    this.log.debug(
      `EAL initialised: ${this.processType.toUpperCase()} process` +
        (dir !== null ? ` in ${dir}` : ' without shared config') +
        `, ${(await ports.count()).toString()} port(s)`,
    );
  }

  /** rte_config_init's choice: explicit, or auto through the config lock (eal_proc_type_detect, in @eal-ts/mp-channel). */
  async #decideProcessType(signal: AbortSignal | undefined): Promise<{ foreignPrimary: boolean }> {
    const opts = this.options;
    const dir = this.runtimeDir;
    if (dir === null) {
      if (opts.procType === 'secondary') {
        throw new EalInitError(
          'EINVAL',
          'proc-type',
          `--proc-type=secondary cannot run with ${opts.inMemory ? '--in-memory' : '--no-shconf'}: a secondary attaches to a primary's shared config, and there is none`,
        );
      }
      if (opts.procType === 'auto') this.log.info('Auto-detected process type: PRIMARY');
      this.processType = 'primary';
      return { foreignPrimary: false };
    }
    try {
      const decision = await decideProcessType(dir, {
        requested: opts.procType,
        timeoutMs: opts.hotplugTimeoutMs,
        logger: this.log,
        signal,
      });
      this.processType = decision.type;
      this.lock = decision.lock;
      this.primaryConfig = decision.primaryConfig;
      return { foreignPrimary: decision.foreignPrimary };
    } catch (error) {
      // Its messages are complete sentences already (errno name kept).
      throw new EalInitError(errnoNameOf(error) ?? 'EIO', 'proc-type', messageOf(error), { cause: error });
    }
  }

  /** --mp-layout, or auto: a secondary speaks its DPDK primary's layout; everyone else starts with 22.11. */
  #chooseMpLayout(): MpLayout {
    const forced = this.options.mpLayout;
    const config = this.primaryConfig;
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

  /** The ethdev port table: the shared file, in memory without shared config, or local beside a DPDK primary. */
  async #openPorts(dir: string | null, foreignPrimary: boolean): Promise<EthdevPorts> {
    try {
      const { ports, shared } = await openEalPorts({
        runtimeDir: dir,
        processType: this.processType,
        foreignPrimary,
        logger: this.loggers.ethdev,
        ealLogger: this.log,
      });
      this.ports = ports;
      this.portsShared = shared;
      return ports;
    } catch (error) {
      throw initError('ethdev', 'EIO', 'Cannot init the ethdev port table', error);
    }
  }


  /** Undoes whatever init set up, in reverse; logs failures and goes on. */
  async teardown(): Promise<void> {
    const step = async (what: string, work: () => unknown): Promise<void> => {
      try {
        await work();
      } catch (error) {
        this.log.err(`cleanup: ${what} failed: ${messageOf(error)}`);
      }
    };
    const telemetry = this.telemetry;
    if (telemetry) await step('telemetry close', () => telemetry.close());
    this.telemetry = null;
    const ready = this.readyFile;
    if (ready !== null) await step(`removing ${ready}`, () => unlink(ready));
    this.readyFile = null;
    const hotplug = this.hotplug;
    if (hotplug) await step('hotplug stop', () => hotplug.stop());
    const vdev = this.vdev;
    if (vdev) await step('vdev mp action unregister', () => vdev.close());
    const channel = this.channel;
    if (channel) await step('mp channel close', () => channel.close());
    if (vdev) await step('vdev bus cleanup', () => vdev.cleanup());
    const ports = this.ports;
    if (ports) await step('ethdev port table close', () => ports.close());
    const lock = this.lock;
    if (lock) await step('config lock release', () => lock.release());
    if (this.held !== null) heldDirs.delete(this.held);
    this.lock = null;
    this.held = null;
  }
}

