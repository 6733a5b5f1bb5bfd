/**
 * One simulated EAL process: the real mp channel (over the shared in-memory
 * network and virtual clock), the real vdev bus with net_null behind a
 * FaultDriver, ethdev ports over the table every process shares, and the
 * real Hotplug — put together in the order @eal-ts/eal's init uses.
 */
import { BusRegistry } from '@eal-ts/bus';
import { VdevBus } from '@eal-ts/bus-vdev';
import { EthdevPorts, type PortTable } from '@eal-ts/ethdev';
import { Hotplug } from '@eal-ts/hotplug-mp';
import { LogLevel, LogRegistry } from '@eal-ts/log';
import { type Clock, type MemoryNetwork, MpChannel, type MpTrace, type ProcessType } from '@eal-ts/mp-channel';
import { NullDriver } from '@eal-ts/net-null';
import { FaultDriver, SIMULATED_FAULT } from './fault_driver.js';

export const SIM_DIR = '/run/sim/dpdk/rte';

export interface SimProcessOptions {
  /** P for the primary, S1, S2… for the secondaries. */
  name: string;
  role: ProcessType;
  network: MemoryNetwork;
  clock: Clock;
  table: PortTable;
  timeoutMs: number;
  /** Where log lines (notice and worse) and traffic go when tracing. */
  log?: (line: string) => void;
  /** Names a socket path for the trace. */
  nameOf?: (path: string) => string;
  describe?: (trace: MpTrace) => string;
}

export class SimProcess {
  readonly name: string;
  readonly role: ProcessType;
  readonly channel: MpChannel;
  readonly buses: BusRegistry;
  readonly vdev: VdevBus;
  readonly ports: EthdevPorts;
  readonly driver: FaultDriver;
  readonly hotplug: Hotplug;
  /** Killed (its socket gone without clean-up): it no longer takes part. */
  killed = false;
  /** Its start-up (scan and probe) is over. */
  ready = false;
  /**
   * Rollback steps here that an injected driver refusal made fail: the
   * process then keeps what the rollback should have undone, by design
   * (DPDK: "Devices in secondary may not sync with primary").
   */
  get refusedRollbacks(): readonly string[] {
    return this.#refused;
  }
  #refused: string[] = [];

  private constructor(init: {
    options: SimProcessOptions;
    channel: MpChannel;
    buses: BusRegistry;
    vdev: VdevBus;
    ports: EthdevPorts;
    driver: FaultDriver;
    hotplug: Hotplug;
  }) {
    this.name = init.options.name;
    this.role = init.options.role;
    this.channel = init.channel;
    this.buses = init.buses;
    this.vdev = init.vdev;
    this.ports = init.ports;
    this.driver = init.driver;
    this.hotplug = init.hotplug;
  }

  /**
   * Opens the channel and starts the process as rte_eal_init does: hotplug
   * action registered, start-up scan (a secondary asks the primary for its
   * vdevs), probe of what the scan found, then init complete.
   */
  static async start(options: SimProcessOptions): Promise<SimProcess> {
    const { name, role, clock, log } = options;
    const refusedRollbacks: string[] = [];
    const registry = new LogRegistry({
      sink: (line) => {
        if (/_ROLLBACK\)|Failed to rollback device/.test(line) && line.includes(SIMULATED_FAULT)) refusedRollbacks.push(line);
        log?.(`${name} ${line}`);
      },
    });
    const level = log ? LogLevel.NOTICE : LogLevel.EMERG;
    // Warnings and errors always: they tell a rollback the driver refused.
    const logger = registry.register('lib.eal', { prefix: 'EAL', level: log ? LogLevel.NOTICE : LogLevel.WARNING });
    const tap = log && options.describe;
    const channel = await MpChannel.open({
      transport: options.network.transport(),
      role,
      runtimeDir: SIM_DIR,
      // No config file in the simulated world: an explicit layout keeps the
      // secondary's open free of real file I/O, which virtual time cannot see.
      layout: '22.11',
      clock,
      logger,
      socketPath: role === 'secondary' ? `${SIM_DIR}/mp_socket_sim_${name}` : undefined,
      ...(tap ? { tap: (trace: MpTrace) => log(`${name} ${tap(trace)}`) } : {}),
    });
    const ports = new EthdevPorts({ processType: role, table: options.table, logger: registry.register('lib.ethdev', { level }) });
    await ports.init();
    const buses = new BusRegistry({ logger });
    const vdev = new VdevBus({
      logger: registry.register('bus.vdev', { level }),
      processType: role,
      scanTimeoutMs: 3 * options.timeoutMs,
      mp: channel,
    });
    buses.register(vdev);
    const driver = new FaultDriver(new NullDriver({ ports, logger: registry.register('pmd.net.null', { level }) }), clock);
    vdev.registerDriver(driver);
    const hotplug = new Hotplug({ role, buses, channel, timeoutMs: options.timeoutMs, logger });
    await hotplug.start();
    if (role === 'primary') vdev.setScanGate((answer) => hotplug.exclusive(answer));
    const proc = new SimProcess({ options, channel, buses, vdev, ports, driver, hotplug });
    proc.#refused = refusedRollbacks;
    await buses.scan();
    await startupProbe(hotplug, buses);
    channel.initComplete();
    proc.ready = true;
    return proc;
  }

  /** The devices probed here with their port ids, `name@port`, sorted. */
  async devices(): Promise<string[]> {
    const out: string[] = [];
    const ports = await this.ports.list();
    for (const dev of this.vdev.devices()) {
      if (dev.driver === null) continue;
      const port = ports.find((p) => p.name === dev.name);
      out.push(`${dev.name}@${port ? port.portId : '?'}`);
    }
    return out.sort();
  }
}

/** rte_bus_probe at start-up, in the device queue as @eal-ts/eal runs it. */
async function startupProbe(hotplug: Hotplug, buses: BusRegistry): Promise<void> {
  await hotplug.local(() => buses.probe());
}
