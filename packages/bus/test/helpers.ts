import { LogRegistry, type Logger } from '@eal-ts/log';
import { Bus, BusRegistry, Device, type Driver, type Kvargs } from '../src/index.js';

/** A logger that keeps its lines, so tests stay quiet and can look at them. */
export function quietLogger(type = 'test'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = new LogRegistry({ sink: (line) => lines.push(line) }).register(type);
  return { logger, lines };
}

/**
 * A vdev-like bus for tests: it claims names that start with one of its
 * drivers' names, and its scan creates a device for every devargs listed on
 * it, as DPDK's vdev bus does (plus any name in `present`).
 */
export class ToyVdevBus extends Bus {
  present: string[] = [];
  scans = 0;

  constructor(logger?: Logger) {
    super('vdev', { logger: logger ?? quietLogger('bus.vdev').logger });
  }

  scan(): Promise<void> {
    this.scans++;
    const names = [...this.present, ...this.devargs.entries().map((e) => e.devargs.name)];
    for (const name of names) {
      if (!this.findDeviceByName(name)) this.addDevice(new Device({ name, bus: this }));
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

/** A PCI-like bus claiming `DDDD:BB:DD.F` and `BB:DD.F`, normalized to the long form. */
export class ToyPciBus extends Bus {
  present: string[] = [];

  constructor(logger?: Logger) {
    super('pci', { logger: logger ?? quietLogger('bus.pci').logger });
  }

  scan(): Promise<void> {
    for (const name of this.present) this.addDevice(new Device({ name, bus: this, numaNode: 0 }));
    return Promise.resolve();
  }

  parse(name: string): string | undefined {
    const m = /^(?:([0-9a-f]{4}):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(name);
    if (!m) return undefined;
    return `${m[1] ?? '0000'}:${m[2]}:${m[3]}.${m[4]}`.toLowerCase();
  }

  override layeredName(busArgs: Kvargs): string | undefined {
    const addr = busArgs.get('addr');
    return addr === undefined ? undefined : this.parse(addr);
  }

  protected match(): boolean {
    return true;
  }
}

/** A driver recording its calls; `failProbe` makes probe reject with that error. */
export class RecordingDriver implements Driver {
  readonly calls: string[] = [];
  failProbe: Error | null = null;
  failRemove: Error | null = null;

  constructor(readonly name: string) {}

  probe(dev: Device): Promise<void> {
    this.calls.push(`probe ${dev.name}`);
    return this.failProbe ? Promise.reject(this.failProbe) : Promise.resolve();
  }

  remove(dev: Device): Promise<void> {
    this.calls.push(`remove ${dev.name}`);
    return this.failRemove ? Promise.reject(this.failRemove) : Promise.resolve();
  }
}

export function setup(): { registry: BusRegistry; pci: ToyPciBus; vdev: ToyVdevBus; null: RecordingDriver; ring: RecordingDriver; pciDrv: RecordingDriver } {
  const registry = new BusRegistry({ logger: quietLogger('lib.eal').logger });
  const pci = new ToyPciBus();
  const vdev = new ToyVdevBus();
  registry.register(pci);
  registry.register(vdev);
  const nullDrv = new RecordingDriver('net_null');
  const ring = new RecordingDriver('net_ring');
  const pciDrv = new RecordingDriver('net_toy_pci');
  vdev.registerDriver(nullDrv);
  vdev.registerDriver(ring);
  pci.registerDriver(pciDrv);
  return { registry, pci, vdev, null: nullDrv, ring, pciDrv };
}
