import {
  Bus,
  type BusLookup,
  type BusOptions,
  type Devargs,
  Device,
  type Driver,
  EalError,
  type Kvargs,
  RTE_DEV_NAME_MAX_LEN,
  parseDevargs,
  parseKvargs,
} from '@eal-ts/bus';
import { LogLevel, LogRegistry } from '@eal-ts/log';
import type { ProcessType } from '@eal-ts/mp-channel';
import { VDEV_SCAN_TIMEOUT_MS, VdevMp, type VdevMpChannel } from './vdev_mp.js';

/**
 * A virtual device (struct rte_vdev_device): it exists because a `--vdev`
 * argument, a run-time `add`, a custom scan or the primary named it.
 */
export class VdevDevice extends Device {
  /** rte_vdev_device_args: the driver arguments after the name ('' when none). */
  get args(): string {
    return this.devargs?.args ?? '';
  }

  /** The arguments as kvargs, checked against `validKeys` when given (KvargsError EINVAL otherwise). */
  kvargs(validKeys?: readonly string[]): Kvargs {
    return parseKvargs(this.args, validKeys);
  }
}

/**
 * A vdev driver (struct rte_vdev_driver): it takes devices whose name starts
 * with its name or one of its aliases (DPDK has one alias; any number here).
 */
export interface VdevDriver extends Driver<VdevDevice> {
  readonly name: string;
  readonly aliases?: readonly string[];
  /**
   * The keys the driver accepts in its arguments. When given, a device whose
   * arguments carry another key is refused (EINVAL) before `probe` runs.
   */
  readonly validKeys?: readonly string[];
  probe(dev: VdevDevice): Promise<void>;
  remove(dev: VdevDevice): Promise<void>;
}

/** rte_vdev_scan_callback: runs at the start of every scan; it may add devargs (`bus.addVdevArg`). */
export type VdevScanCallback = (bus: VdevBus) => void | Promise<void>;

export interface VdevBusOptions extends BusOptions {
  /**
   * This process's mp channel. Without one (an `--in-memory` / `--no-shconf`
   * EAL) the bus works locally: no action, no start-up request.
   */
  readonly mp?: VdevMpChannel;
  /** Default: the channel's role, else 'primary'. */
  readonly processType?: ProcessType;
  /** How long a secondary's scan waits for the primary's SCAN_REP (default 5000, DPDK's). */
  readonly scanTimeoutMs?: number;
}

/** Devargs for a vdev as DPDK's alloc_devargs makes them: legacy form, bus vdev. */
export function vdevDevargs(name: string, args = ''): Devargs {
  return { form: 'legacy', bus: 'vdev', name, args, busArgs: '', className: null, classArgs: '', driver: null };
}

function checkName(name: string, what: string): void {
  if (typeof name !== 'string' || name.length === 0) throw new EalError('EINVAL', `${what}: the name is empty`);
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes >= RTE_DEV_NAME_MAX_LEN) {
    throw new EalError('EINVAL', `${what}: '${name}' is ${bytes} bytes; a device name must be shorter than ${RTE_DEV_NAME_MAX_LEN}`);
  }
}

/**
 * DPDK's virtual device bus (drivers/bus/vdev/vdev.c), one per EAL
 * instance. Devices come from `--vdev` arguments (`addVdevArg`), custom
 * scan callbacks, run-time `add`, and — in a secondary with an mp channel —
 * the primary's answer to the start-up scan request (`bus_vdev_mp`).
 */
export class VdevBus extends Bus<VdevDevice, VdevDriver> {
  readonly processType: ProcessType;
  readonly #mp: VdevMp | undefined;
  #askedPrimary = false;
  #scanGate: (<T>(answer: () => Promise<T>) => Promise<T>) | undefined;
  readonly #customScans: VdevScanCallback[] = [];

  constructor(options: VdevBusOptions = {}) {
    super('vdev', { logger: options.logger ?? new LogRegistry().register('bus.vdev', { prefix: 'VDEV', level: LogLevel.NOTICE }) });
    const processType = options.processType ?? options.mp?.role ?? 'primary';
    if (processType !== 'primary' && processType !== 'secondary') {
      throw new EalError('EINVAL', `invalid process type ${String(processType)}: expected 'primary' or 'secondary'`);
    }
    if (options.mp && options.mp.role !== processType) {
      throw new EalError('EINVAL', `vdev bus: process type '${processType}' but the mp channel is a ${options.mp.role}'s`);
    }
    this.processType = processType;
    const timeoutMs = options.scanTimeoutMs ?? VDEV_SCAN_TIMEOUT_MS;
    if (!(timeoutMs >= 0)) throw new EalError('EINVAL', `vdev bus: invalid scan timeout ${timeoutMs} ms`);
    this.#mp =
      options.mp &&
      new VdevMp(
        options.mp,
        processType,
        {
          deviceNames: () => this.devices().map((d) => d.name),
          insertAnnounced: (name) => this.#insertAnnounced(name),
          exclusive: (answer) => (this.#scanGate ? this.#scanGate(answer) : answer()),
        },
        this.log,
        timeoutMs,
      );
  }

  /**
   * In the primary, makes every SCAN_REQ answer wait for `gate` (the hotplug
   * queue): a secondary joining while an attach is half done must learn the
   * devices as they are after it, rolled back or not, never in between.
   */
  setScanGate(gate: (<T>(answer: () => Promise<T>) => Promise<T>) | undefined): void {
    this.#scanGate = gate;
  }

  /** Whether this bus answers bus_vdev_mp on its channel (registered by the first scan). */
  get mpRegistered(): boolean {
    return this.#mp?.registered ?? false;
  }

  /** rte_vdev_register. Names and aliases must be non-empty; a second driver of one name is EEXIST. */
  override registerDriver(driver: VdevDriver): void {
    checkName(driver.name, 'vdev driver');
    for (const alias of driver.aliases ?? []) checkName(alias, `vdev driver ${driver.name} alias`);
    super.registerDriver(driver);
  }

  /**
   * The driver for a device name: the first driver whose name or an alias
   * equals it, else the first (in registration order) whose name or an alias
   * starts it (vdev_parse).
   */
  findDriver(name: string): VdevDriver | undefined {
    const drivers = this.drivers();
    const names = (d: VdevDriver): string[] => [d.name, ...(d.aliases ?? [])];
    return (
      drivers.find((d) => names(d).includes(name)) ?? drivers.find((d) => names(d).some((n) => name.startsWith(n)))
    );
  }

  /** rte_bus.parse (vdev_parse): the name itself when a driver's name or alias starts it. */
  parse(name: string): string | undefined {
    return this.findDriver(name) ? name : undefined;
  }

  protected match(driver: VdevDriver, dev: VdevDevice): boolean {
    return this.findDriver(dev.name) === driver;
  }

  /**
   * EAL's `--vdev <name>[,args]` (also `vdev:<name>,…` and
   * `bus=vdev,name=…/driver=…,…`): lists the devargs on this bus, for the
   * next scan to turn into a device. A later argument for the same name
   * replaces the earlier one, as rte_devargs_add does. The name must be
   * claimed by a registered driver (DevargsError EFAULT otherwise), so
   * register drivers first, as DPDK's constructors do before EAL parses.
   */
  addVdevArg(text: string): Devargs {
    const lookup: BusLookup = { buses: () => [this], findByName: (n) => (n === this.name ? this : undefined) };
    const devargs = parseDevargs(lookup, text);
    this.devargs.insert(devargs);
    return devargs;
  }

  /** rte_vdev_add_custom_scan; adding the same callback twice keeps one. Returns whether it was added. */
  addCustomScan(callback: VdevScanCallback): boolean {
    if (this.#customScans.includes(callback)) return false;
    this.#customScans.push(callback);
    return true;
  }

  /** rte_vdev_remove_custom_scan. Returns whether it was there. */
  removeCustomScan(callback: VdevScanCallback): boolean {
    const index = this.#customScans.indexOf(callback);
    if (index < 0) return false;
    this.#customScans.splice(index, 1);
    return true;
  }

  /**
   * vdev_scan: registers the bus_vdev_mp action (once; EEXIST is fine); a
   * secondary then asks the primary for its vdevs and waits up to 5 s (a
   * failure is logged, and the scan goes on); custom scan callbacks run;
   * every devargs of this bus not yet a device becomes one. Devices already
   * known stay as they are, except that an unprobed one takes up fresh
   * devargs listed for it.
   */
  async scan(): Promise<void> {
    if (this.#mp) {
      this.#mp.register();
      // Only the start-up scan asks the primary (DPDK asks on every scan).
      // Later scans run inside hotplug handlers, which already carry the
      // devargs; asking then would wait on the very operation being handled.
      if (this.processType === 'secondary' && !this.#askedPrimary) {
        this.#askedPrimary = true;
        await this.#mp.requestScan();
      }
    }
    for (const callback of [...this.#customScans]) {
      try {
        await callback(this);
      } catch (error) {
        this.log.err(`vdev custom scan callback failed: ${(error as Error).message}`);
      }
    }
    for (const { devargs } of [...this.devargs.entries()]) {
      const existing = this.findDeviceByName(devargs.name);
      if (existing) {
        if (!this.isProbed(existing)) existing.devargs = devargs;
        continue;
      }
      this.addDevice(new VdevDevice({ name: devargs.name, bus: this, devargs }));
    }
  }

  /**
   * rte_bus.plug (vdev_probe_all_drivers): the device's driver, chosen as
   * `findDriver` does, probes it. Already probed → EEXIST; blocked → EPERM;
   * no driver → ENOTSUP; arguments outside the driver's `validKeys` → EINVAL.
   */
  override async plug(dev: VdevDevice): Promise<void> {
    const driver = this.findDriver(dev.name);
    if (driver?.validKeys && !this.isProbed(dev) && !this.devargs.isBlocked(dev.name)) {
      try {
        dev.kvargs(driver.validKeys);
      } catch (error) {
        throw EalError.from(error, 'EINVAL', `driver ${driver.name} cannot take device ${dev.name}`);
      }
    }
    if (this.log.isEnabled(LogLevel.DEBUG)) this.log.debug(`Search driver to probe device ${dev.name}`);
    await super.plug(dev);
  }

  /**
   * rte_bus.unplug (rte_vdev_uninit): the driver's remove, then the device
   * leaves the list together with its devargs, whatever put them there (a
   * detached `--vdev` device does not come back at the next scan, as in DPDK).
   * Not probed → ENOENT.
   */
  override async unplug(dev: VdevDevice): Promise<void> {
    await super.unplug(dev);
    this.devargs.restore(dev.name, undefined);
  }

  /**
   * rte_vdev_init: creates the device `name` with `args` and probes it.
   * A device of that name already known (probed or not) → EEXIST; no driver
   * claims the name → ENODEV; empty or 64-byte name → EINVAL; a failing probe
   * is thrown and leaves nothing behind.
   */
  async add(name: string, args = ''): Promise<VdevDevice> {
    checkName(name, 'rte_vdev_init');
    if (this.findDeviceByName(name)) {
      throw new EalError('EEXIST', `vdev ${name} already exists (a vdev is not probed again, even with new arguments)`);
    }
    if (!this.findDriver(name)) {
      this.log.err(`no driver found for ${name}`);
      throw new EalError('ENODEV', `no vdev driver claims '${name}' (drivers: ${this.drivers().map((d) => d.name).join(', ') || 'none'})`);
    }
    const devargs = vdevDevargs(name, args);
    const previous = this.devargs.insert(devargs);
    const dev = this.addDevice(new VdevDevice({ name, bus: this, devargs }));
    try {
      await this.plug(dev);
    } catch (error) {
      this.removeDevice(dev);
      this.devargs.restore(name, previous);
      throw error;
    }
    return dev;
  }

  /**
   * rte_vdev_uninit: removes the device `name`. Unknown → ENOENT. Known but
   * not probed → resolves false and leaves it (DPDK returns 1). A failing
   * driver remove is thrown and leaves the device probed. True when removed.
   */
  async remove(name: string): Promise<boolean> {
    const dev = this.findDeviceByName(name);
    if (!dev) throw new EalError('ENOENT', `no vdev named ${name}`);
    if (!this.isProbed(dev)) {
      this.log.debug(`no driver attach to device ${name}`);
      return false;
    }
    await this.unplug(dev);
    return true;
  }

  /**
   * rte_bus.cleanup (vdev_cleanup), for EAL shutdown: every probed device is
   * removed by its driver and every device leaves the list. Failures are
   * logged, and thrown together (EIO) once all devices were handled.
   */
  async cleanup(): Promise<void> {
    const failures: string[] = [];
    for (const dev of [...this.devices()]) {
      const driver = dev.driver;
      if (driver) {
        try {
          await driver.remove(dev);
        } catch (error) {
          failures.push(`${dev.name}: ${(error as Error).message}`);
          this.log.err(`driver ${driver.name} failed to remove ${dev.name}: ${(error as Error).message}`);
        }
        dev.driver = null;
      }
      this.removeDevice(dev);
    }
    if (failures.length > 0) throw new EalError('EIO', `vdev cleanup: ${failures.join('; ')}`);
  }

  /** Unregisters the bus_vdev_mp action if this bus registered it (the channel itself stays open). */
  close(): void {
    this.#mp?.unregister();
  }

  /** SCAN_ONE from the primary: insert_vdev(name, NULL, NULL, false). */
  #insertAnnounced(name: string): boolean {
    if (this.findDeviceByName(name)) return false;
    const dev = this.addDevice(new VdevDevice({ name, bus: this }));
    dev.devargs ??= vdevDevargs(name);
    return true;
  }
}
