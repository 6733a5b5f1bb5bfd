import { Bus, BusRegistry, Device, type Driver } from '@eal-ts/bus';
import type { Logger } from '@eal-ts/log';
import { MemoryNetwork, MpChannel, type MpTrace, VirtualClock } from '@eal-ts/mp-channel';
import { quietLogger, RecordingDriver, VirtualWorld } from '@eal-ts/test-kit';
import { afterEach } from 'vitest';
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

/** A driver of one process that can be told to fail its probe or its remove, or to be slow. */
export { RecordingDriver as TestDriver };

export type RecordedEvent =
  | { kind: 'attached' | 'detached'; name: string; rollback: boolean; devargs: string }
  | ({ kind: 'rolled-back' } & HotplugRollbackEvent);

/** One process of a test: its channel, buses, driver, hotplug, and what it logged and emitted. */
export interface Proc {
  role: 'primary' | 'secondary';
  channel: MpChannel;
  buses: BusRegistry;
  vdev: TestVdevBus;
  driver: RecordingDriver;
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
  const base = new VirtualWorld<VirtualClock, MpChannel>(clock, DIR);
  const procs: Proc[] = [];
  /** Every hotplug datagram any process sent, in order, on one timeline. */
  const wire: string[] = [];

  const open = async (role: 'primary' | 'secondary', extra: { start?: boolean; observer?: boolean } = {}): Promise<Proc> => {
    const { logger, lines } = quietLogger('lib.eal', { prefix: 'EAL' });
    const traffic: string[] = [];
    const channel: MpChannel = await base.track(
      MpChannel.open({
        ...base.channelOptions(role),
        transport: network.transport(),
        logger,
        tap: (trace) => {
          if (trace.name !== EAL_DEV_MP_ACTION_REQUEST) return;
          const line = describeTrace(trace);
          traffic.push(line);
          if (trace.dir === 'out') wire.push(`${role === 'primary' ? 'primary' : channel.path.slice(DIR.length + 1)} ${line}`);
        },
      }),
    );
    const buses = new BusRegistry({ logger });
    const vdev = new TestVdevBus(logger);
    buses.register(vdev);
    const driver = new RecordingDriver('net_null');
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

  return { clock, network, procs, wire, open, run: base.run, closeAll: base.closeAll, base };
}

export type World = ReturnType<typeof world>;

/** Runs `p` to completion and returns what it rejected with (fails if it resolved). */
export function rejection(w: World, p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  return w.base.rejection(p);
}

/**
 * One world per test, closed after it: `fresh()` makes it, `trio()` makes it
 * with a primary and two secondaries started, `w` is the current one.
 */
export function worldPerTest() {
  let current: World | undefined;
  afterEach(async () => {
    await current?.closeAll();
    current = undefined;
  });
  return {
    get w(): World {
      if (!current) throw new Error('no world in this test yet: call fresh() or trio() first');
      return current;
    },
    fresh(options: { timeoutMs?: number } = {}): World {
      current = world(options);
      return current;
    },
    async trio(options: { timeoutMs?: number } = {}): Promise<[Proc, Proc, Proc]> {
      const w = this.fresh(options);
      return [await w.open('primary'), await w.open('secondary'), await w.open('secondary')];
    },
    /** Asks the primary as a bare secondary channel would (a DPDK secondary, or a hand-made datagram). */
    rawRequest(channel: MpChannel, param: Uint8Array) {
      return this.w.run(channel.request({ name: EAL_DEV_MP_ACTION_REQUEST, param, fds: [] }, { timeoutMs: 5000 }));
    },
  };
}

/** The names of the devices probed in each process. */
export const everywhere = (procs: Proc[]): string[][] => procs.map((p) => p.probed());
