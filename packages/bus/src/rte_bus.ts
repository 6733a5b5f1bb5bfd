import { LogLevel, LogRegistry, type Logger } from '@eal-ts/log';
import { DevargsList } from './devargs_list.js';
import { EalError } from './errors.js';
import type { Device, Driver } from './rte_dev.js';
import type { Kvargs } from './rte_kvargs.js';

export interface BusOptions {
  /** Where this bus logs; defaults to a private `bus.<name>` logger. */
  readonly logger?: Logger;
}

/** Result of probing every device of a bus. */
export interface BusProbeSummary {
  /** Devices a probe was attempted on. */
  readonly attempted: number;
  readonly probed: number;
  readonly failed: number;
}

/**
 * A bus (struct rte_bus): its devices, its drivers and the operations EAL
 * calls on it. Subclasses supply `scan`, `parse` and `match`; the rest
 * follows DPDK's common behaviour and can be overridden.
 *
 * Comparators passed to `findDevice` answer true for a match (DPDK's
 * comparators answer 0).
 */
export abstract class Bus<D extends Device = Device, R extends Driver<D> = Driver<D>> {
  /** This bus's allow/block list and hotplug devargs. */
  readonly devargs: DevargsList;
  protected readonly log: Logger;
  private readonly deviceList: D[] = [];
  private readonly driverList: R[] = [];

  constructor(
    readonly name: string,
    options: BusOptions = {},
  ) {
    if (name === '' || name.includes(':') || name.includes(',')) {
      throw new EalError('EINVAL', `invalid bus name '${name}'`);
    }
    this.devargs = new DevargsList(name);
    this.log = options.logger ?? new LogRegistry().register(`bus.${name}`, { prefix: name.toUpperCase() });
  }

  /** Finds the devices present now; keeps devices already known (and probed) in place. */
  abstract scan(): Promise<void>;

  /** rte_bus.parse: the normalized device name if this bus claims `name`, else undefined. */
  abstract parse(name: string): string | undefined;

  /** Whether `driver` can drive `dev` (id tables, name prefixes …). */
  protected abstract match(driver: R, dev: D): boolean;

  /**
   * The device name a layered `bus=` layer designates (rte_bus.devargs_parse);
   * `busArgs` is the layer without its `bus=` pair. DPDK's default reads `name`.
   */
  layeredName(busArgs: Kvargs): string | undefined {
    return busArgs.get('name');
  }

  /**
   * Whether a device matches the arguments of a `bus=` layer when iterating
   * (rte_bus.dev_iterate); DPDK's generic iterator knows only `name`.
   */
  iterateFilter(dev: D, busArgs: Kvargs): boolean {
    busArgs.checkKeys(['name']);
    const name = busArgs.get('name');
    return name === undefined || name === dev.name;
  }

  /**
   * Why `driver`, although it matches, will not take `dev` (undefined when it
   * will). DPDK's PCI bus declines drivers needing a mapping this way.
   */
  protected declineReason(_driver: R, _dev: D): string | undefined {
    return undefined;
  }

  /** Order of the device list; DPDK's PCI bus keeps it sorted by address. */
  protected compareDevices(_a: D, _b: D): number {
    return 0;
  }

  devices(): readonly D[] {
    return this.deviceList;
  }

  drivers(): readonly R[] {
    return this.driverList;
  }

  registerDriver(driver: R): void {
    if (this.driverList.some((d) => d.name === driver.name)) {
      throw new EalError('EEXIST', `bus '${this.name}': driver '${driver.name}' is already registered`);
    }
    this.driverList.push(driver);
    this.#driversGeneration++;
  }

  unregisterDriver(driver: R): void {
    const index = this.driverList.indexOf(driver);
    if (index >= 0) this.driverList.splice(index, 1);
    this.#driversGeneration++;
  }

  /** Moves whenever a driver is registered or unregistered (what this bus's parse claims may change). */
  get driversGeneration(): number {
    return this.#driversGeneration;
  }

  #driversGeneration = 0;

  /**
   * Adds a scanned device (rte_bus_add_device) and attaches its devargs
   * (rte_bus_find_devargs). A device of the same name already known is
   * replaced when not probed — fresh scan data — and kept when probed.
   * Returns the device now in the list.
   */
  protected addDevice(dev: D): D {
    dev.devargs = this.devargs.find(dev.name)?.devargs ?? null;
    const index = this.deviceList.findIndex((d) => d.name === dev.name);
    const existing = index >= 0 ? this.deviceList[index] : undefined;
    if (existing) {
      if (this.isProbed(existing)) return existing;
      this.deviceList[index] = dev;
      return dev;
    }
    const before = this.deviceList.findIndex((d) => this.compareDevices(dev, d) < 0);
    if (before < 0) this.deviceList.push(dev);
    else this.deviceList.splice(before, 0, dev);
    return dev;
  }

  protected removeDevice(dev: D): void {
    const index = this.deviceList.indexOf(dev);
    if (index >= 0) this.deviceList.splice(index, 1);
  }

  /** rte_bus.find_device: the first device after `start` (or from the head) that `cmp` accepts. */
  findDevice(start: D | null, cmp: (dev: D) => boolean): D | undefined {
    let index = 0;
    if (start !== null) {
      index = this.deviceList.indexOf(start) + 1;
      if (index === 0) return undefined;
    }
    for (; index < this.deviceList.length; index++) {
      const dev = this.deviceList[index]!;
      if (cmp(dev)) return dev;
    }
    return undefined;
  }

  findDeviceByName(name: string): D | undefined {
    return this.findDevice(null, (d) => d.name === name);
  }

  /** rte_dev_is_probed. */
  isProbed(dev: D): boolean {
    return dev.driver !== null;
  }

  /** rte_bus_device_is_ignored: not on the allow list, or on the block list. */
  isIgnored(name: string): boolean {
    return this.devargs.isIgnored(name);
  }

  /** Devices matching a `bus=` layer's arguments (rte_dev_iterator over this bus). */
  *iterate(busArgs: Kvargs | null = null): Generator<D> {
    for (const dev of [...this.deviceList]) if (busArgs === null || this.iterateFilter(dev, busArgs)) yield dev;
  }

  /**
   * rte_bus.probe: every device not ignored and not yet probed is plugged.
   * Failures are logged and counted, never thrown, as DPDK's bus probe goes
   * on with the next device.
   */
  async probe(): Promise<BusProbeSummary> {
    let attempted = 0;
    let probed = 0;
    let failed = 0;
    for (const dev of [...this.deviceList]) {
      if (this.isIgnored(dev.name) || this.isProbed(dev)) continue;
      const candidates = this.driverList.filter((d) => this.match(d, dev));
      if (candidates.length === 0) continue;
      attempted++;
      try {
        await this.plug(dev);
        probed++;
      } catch (err) {
        failed++;
        this.log.err(`Requested device ${dev.name} cannot be used: ${(err as Error).message}`);
      }
    }
    return { attempted, probed, failed };
  }

  /**
   * rte_bus.plug: offers the device to each matching driver in turn until one
   * takes it. Blocked → EPERM; already probed → EEXIST; no driver takes it →
   * ENOTSUP (DPDK turns a bus's "no driver" into -ENOTSUP); a driver's own
   * failure is thrown as an EalError and leaves the device unprobed.
   */
  async plug(dev: D): Promise<void> {
    if (this.devargs.isBlocked(dev.name)) {
      throw new EalError('EPERM', `device ${dev.name} is blocked (-b) on bus '${this.name}' and is never probed`);
    }
    if (this.isProbed(dev)) {
      throw new EalError('EEXIST', `device ${dev.name} is already probed by driver ${dev.driver?.name}`);
    }
    const declined: string[] = [];
    for (const driver of this.driverList) {
      if (!this.match(driver, dev)) continue;
      const reason = this.declineReason(driver, dev);
      if (reason !== undefined) {
        declined.push(reason);
        continue;
      }
      if (this.log.isEnabled(LogLevel.INFO)) this.log.info(`Probe driver: ${driver.name} device: ${dev.name} (socket ${dev.numaNode})`);
      try {
        await driver.probe(dev);
      } catch (err) {
        dev.driver = null;
        throw EalError.from(err, 'EIO', `driver ${driver.name} cannot attach device ${dev.name}`);
      }
      dev.driver = driver;
      return;
    }
    throw new EalError(
      'ENOTSUP',
      declined.length > 0 ? declined.join('; ') : `no driver on bus '${this.name}' supports device ${dev.name}`,
    );
  }

  /**
   * rte_bus.unplug: the driver's remove, then the device leaves the bus list
   * (a later scan finds it again) with the devargs a hotplug attached.
   * Not probed → ENOENT; a failing remove leaves the device probed.
   */
  async unplug(dev: D): Promise<void> {
    const driver = dev.driver as R | null;
    if (driver === null) throw new EalError('ENOENT', `device ${dev.name} is not probed`);
    try {
      await driver.remove(dev);
    } catch (err) {
      throw EalError.from(err, 'EIO', `driver ${driver.name} cannot detach device ${dev.name}`);
    }
    dev.driver = null;
    this.removeDevice(dev);
    this.devargs.removeHotplug(dev.name);
  }
}
