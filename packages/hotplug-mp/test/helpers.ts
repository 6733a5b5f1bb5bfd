import { Bus, BusRegistry, Device, type Driver } from '@eal-ts/bus';
import { LogLevel, LogRegistry, type Logger } from '@eal-ts/log';
import { MemoryNetwork, MpChannel, type MpTrace, VirtualClock } from '@eal-ts/mp-channel';
import { decodeEalDevMpReq, ealDevReqTypeName, EAL_DEV_MP_ACTION_REQUEST } from '../src/eal_dev_mp_req.js';
import { Hotplug } from '../src/eal_common_dev.js';
import type { HotplugDeviceEvent, HotplugRollbackEvent } from '../src/hotplug_context.js';

export const DIR = '/run/test/dpdk/rte';
export const PRIMARY = `${DIR}/mp_socket`;

/**
 * A vdev-like bus: it claims names starting with one of its drivers' names
 * and its scan creates a device for every devargs listed on it, as DPDK's
 * vdev bus does.
 */
export class TestVdevBus extends Bus {
  constructor(logger: Logger) {
    super('vdev', { logger });
  }

  scan(): Promise<void> {
    for (const { devargs } of this.devargs.entries()) {
      if (!this.findDeviceByName(devargs.name)) this.addDevice(new Device({ name: devargs.name, bus: this }));
    }
    return Promise.resolve();
  }

  parse(name: string): string | undefined {
    return this.drivers().some((d) => name.startsWith(d.name)) ? name : undefined;
  }

  protected match(driver: Driver, dev: Device): boolean {
    return dev.name.startsWith(driver.name);
  }
}

/** A driver of one process that can be told to fail its probe or its remove. */
export class TestDriver implements Driver {
  readonly calls: string[] = [];
  failProbe: Error | null = null;
  failRemove: Error | null = null;
  /** Makes every probe and remove take this long on `clock` (a slow driver, or a stopped process). */
  slow: { clock: VirtualClock; ms: number } | null = null;

  constructor(readonly name: string) {}

  async probe(dev: Device): Promise<void> {
    this.calls.push(`probe ${dev.name}`);
    await this.#wait();
    if (this.failProbe) throw this.failProbe;
  }

  async remove(dev: Device): Promise<void> {
    this.calls.push(`remove ${dev.name}`);
    await this.#wait();
    if (this.failRemove) throw this.failRemove;
  }

  #wait(): Promise<void> {
    const slow = this.slow;
    return slow ? new Promise<void>((resolve) => slow.clock.setTimeout(resolve, slow.ms)) : Promise.resolve();
  }
}

export type RecordedEvent =
  | { kind: 'attached' | 'detached'; name: string; rollback: boolean; devargs: string }
  | ({ kind: 'rolled-back' } & HotplugRollbackEvent);

/** One process of a test: its channel, buses, driver, hotplug, and what it logged and emitted. */
export interface Proc {
  role: 'primary' | 'secondary';
  channel: MpChannel;
  buses: BusRegistry;
  vdev: TestVdevBus;
  driver: TestDriver;
  hotplug: Hotplug;
  events: RecordedEvent[];
  lines: string[];
  /** Hotplug datagrams this process sent and received, decoded: `out REQ ATTACH net_null0 -> peer`. */
  traffic: string[];
  /** Names of the devices probed here, sorted. */
  probed(): string[];
}

export function describeTrace(trace: MpTrace): string {
  let body: string;
  try {
    const req = decodeEalDevMpReq(trace.param);
    body = `${ealDevReqTypeName(req.t)} ${req.devargs}${trace.type === 'REP' ? ` = ${req.result}` : ''}`;
  } catch {
    body = `(${trace.param.length} bytes)`;
  }
  return `${trace.dir} ${trace.type} ${body} ${trace.dir === 'out' ? '->' : '<-'} ${trace.peer.slice(DIR.length + 1)}`;
}

/** One runtime directory in memory on virtual time. */
export function world(options: { timeoutMs?: number } = {}) {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock });
  const procs: Proc[] = [];
  const channels: MpChannel[] = [];
  /** Every hotplug datagram any process sent, in order, on one timeline. */
  const wire: string[] = [];
  let n = 0;

  const open = async (role: 'primary' | 'secondary', extra: { start?: boolean; observer?: boolean } = {}): Promise<Proc> => {
    const lines: string[] = [];
    const logger = new LogRegistry({ sink: (line) => lines.push(line) }).register('lib.eal', {
      prefix: 'EAL',
      level: LogLevel.DEBUG,
    });
    const traffic: string[] = [];
    const channel = await MpChannel.open({
      transport: network.transport(),
      role,
      runtimeDir: DIR,
      clock,
      logger,
      socketPath: role === 'secondary' ? `${DIR}/mp_socket_${1000 + n++}_a` : undefined,
      tap: (trace) => {
        if (trace.name !== EAL_DEV_MP_ACTION_REQUEST) return;
        const line = describeTrace(trace);
        traffic.push(line);
        if (trace.dir === 'out') wire.push(`${role === 'primary' ? 'primary' : channel.path.slice(DIR.length + 1)} ${line}`);
      },
    });
    channels.push(channel);
    const buses = new BusRegistry({ logger });
    const vdev = new TestVdevBus(logger);
    buses.register(vdev);
    const driver = new TestDriver('net_null');
    vdev.registerDriver(driver);
    const hotplug = new Hotplug({ role, buses, channel, timeoutMs: options.timeoutMs ?? 5000, logger, observer: extra.observer === true });
    const events: RecordedEvent[] = [];
    const device = (kind: 'attached' | 'detached') => (e: HotplugDeviceEvent) =>
      events.push({ kind, name: e.name, rollback: e.rollback, devargs: e.devargs });
    hotplug.on('attached', device('attached'));
    hotplug.on('detached', device('detached'));
    hotplug.on('rolled-back', (e) => events.push({ kind: 'rolled-back', ...e }));
    if (extra.start !== false) await hotplug.start();
    channel.initComplete();
    const proc: Proc = {
      role,
      channel,
      buses,
      vdev,
      driver,
      hotplug,
      events,
      lines,
      traffic,
      probed: () => vdev.devices().filter((d) => d.driver !== null).map((d) => d.name).sort(),
    };
    procs.push(proc);
    return proc;
  };

  /** Lets virtual time run until nothing is scheduled, then gives p's outcome. */
  const run = async <T>(p: Promise<T>): Promise<T> => {
    p.catch(() => undefined);
    await clock.runAll();
    return p;
  };

  const closeAll = () => Promise.all(channels.map((c) => c.close()));
  return { clock, network, procs, wire, open, run, closeAll };
}

export type World = ReturnType<typeof world>;

/** Runs `p` to completion and returns what it rejected with (fails if it resolved). */
export async function rejection(w: World, p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await w.run(p);
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}
