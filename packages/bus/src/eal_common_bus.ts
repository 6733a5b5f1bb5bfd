import { LogRegistry, type Logger } from '@eal-ts/log';
import type { DevargsPolicy } from './devargs_list.js';
import { EalError } from './errors.js';
import type { Bus, BusProbeSummary } from './rte_bus.js';
import type { Device, DeviceClass } from './rte_dev.js';
import { type BusLookup, type Devargs, findBusByDeviceName, parseDevargs } from './rte_devargs.js';

export interface BusRegistryOptions {
  readonly logger?: Logger;
}

/**
 * The list of buses of one process (DPDK's rte_bus_list) plus the device
 * classes the `class=` layer may name. One registry per EAL instance; there
 * is no module-level default.
 */
export class BusRegistry implements BusLookup {
  private readonly busList: Bus[] = [];
  private readonly classList: DeviceClass[] = [];
  readonly log: Logger;

  constructor(options: BusRegistryOptions = {}) {
    this.log = options.logger ?? new LogRegistry().register('lib.eal', { prefix: 'EAL' });
  }

  /** rte_bus_register; a second bus with the same name is EEXIST. */
  register(bus: Bus): void {
    if (this.findByName(bus.name)) throw new EalError('EEXIST', `bus '${bus.name}' is already registered`);
    this.busList.push(bus);
    this.#generation++;
    this.log.debug(`Registered [${bus.name}] bus.`);
  }

  unregister(bus: Bus): void {
    const index = this.busList.indexOf(bus);
    if (index >= 0) this.busList.splice(index, 1);
    this.#generation++;
  }

  /** Moves whenever a bus or a device class is registered or unregistered (see BusLookup.generation). */
  get generation(): number {
    return this.#generation;
  }

  #generation = 0;

  buses(): readonly Bus[] {
    return this.busList;
  }

  /** rte_bus_find: the first bus after `start` that `cmp` accepts. */
  find(start: Bus | null, cmp: (bus: Bus) => boolean): Bus | undefined {
    let index = start === null ? 0 : this.busList.indexOf(start) + 1;
    if (start !== null && index === 0) return undefined;
    for (; index < this.busList.length; index++) if (cmp(this.busList[index]!)) return this.busList[index];
    return undefined;
  }

  findByName(name: string): Bus | undefined {
    for (const bus of this.busList) if (bus.name === name) return bus;
    return undefined;
  }

  /** rte_bus_find_by_device_name: the first bus whose parse claims the name. */
  findByDeviceName(name: string): Bus | undefined {
    return findBusByDeviceName(this, name)?.bus;
  }

  /** rte_bus_find_by_device. */
  findByDevice(dev: Device): Bus | undefined {
    return this.find(null, (b) => b.devices().includes(dev));
  }

  registerClass(cls: DeviceClass): void {
    if (this.findClass(cls.name)) throw new EalError('EEXIST', `device class '${cls.name}' is already registered`);
    this.classList.push(cls);
    this.#generation++;
  }

  findClass(name: string): DeviceClass | undefined {
    return this.classList.find((c) => c.name === name);
  }

  classes(): readonly DeviceClass[] {
    return this.classList;
  }

  /**
   * rte_devargs_add for EAL's -a (allowed) and -b (blocked): parses the
   * devargs and lists them on their bus, whose scan and probe then honour
   * them. Mixing -a and -b on one bus is refused.
   */
  addDevargs(policy: DevargsPolicy, text: string): Devargs {
    const devargs = parseDevargs(this, text);
    this.findByName(devargs.bus)!.devargs.add(devargs, policy);
    return devargs;
  }

  /** rte_bus_scan: every bus; a failing bus is logged and the others still scanned. */
  async scan(): Promise<void> {
    for (const bus of [...this.busList]) {
      try {
        await bus.scan();
      } catch (err) {
        this.log.err(`Scan for (${bus.name}) bus failed: ${(err as Error).message}`);
      }
    }
  }

  /** rte_bus_probe: every bus, the vdev bus last (its devices may sit on top of others). */
  async probe(): Promise<Map<string, BusProbeSummary>> {
    const results = new Map<string, BusProbeSummary>();
    const ordered = [...this.busList.filter((b) => b.name !== 'vdev'), ...this.busList.filter((b) => b.name === 'vdev')];
    for (const bus of ordered) {
      try {
        results.set(bus.name, await bus.probe());
      } catch (err) {
        this.log.err(`Bus (${bus.name}) probe failed: ${(err as Error).message}`);
      }
    }
    return results;
  }
}
