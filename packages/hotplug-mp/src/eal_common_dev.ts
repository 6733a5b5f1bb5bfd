/**
 * The hotplug entry points of any process (DPDK's rte_dev_probe,
 * rte_dev_remove, rte_eal_hotplug_add/remove in eal_common_dev.c) and the
 * action registration (eal_mp_dev_hotplug_init/cleanup), with one queue
 * per process so operations never interleave.
 */
import { EventEmitter } from 'node:events';
import { type BusRegistry, type Device, DevargsError, EalError, findDeviceByDevargs, parseDevargs } from '@eal-ts/bus';
import { errnoNameOf } from '@eal-ts/errno';
import { LogRegistry, type Logger } from '@eal-ts/log';
import type { ProcessType } from '@eal-ts/mp-channel';
import { EAL_DEV_MP_ACTION_REQUEST, EalDevReqType, checkDevargsLength, decodeEalDevMpReq, ealDevReqTypeName } from './eal_dev_mp_req.js';
import { HotplugError, type HotplugOp, describeError, describeResult } from './errors.js';
import {
  HOTPLUG_MP_TIMEOUT_MS,
  type HotplugChannel,
  type HotplugContext,
  type HotplugEvents,
  type HotplugObservedEvent,
} from './hotplug_context.js';
import { handlePrimaryRequest, handleSecondaryRequest, primaryAttach, primaryDetach } from './hotplug_mp.js';
import { echoReply, requestToPrimary, sendReply } from './hotplug_mp_request.js';
import { OperationQueue } from './operation_queue.js';

export interface HotplugOptions {
  role: ProcessType;
  /** This process's buses (with their drivers registered). */
  buses: BusRegistry;
  /** This process's mp channel; absent for an EAL without IPC (--in-memory, --no-shconf): hotplug is then local only. */
  channel?: HotplugChannel;
  /** How long every exchange waits (DPDK: 5 s), on the channel's clock. */
  timeoutMs?: number;
  /** Default: a fresh registry's `lib.eal` type with DPDK's `EAL` prefix. */
  logger?: Logger;
  /**
   * Observer mode (eal-ts, a secondary only): every request from the
   * primary is answered 0 without running a driver, and `mirror` follows
   * the primary's devices; an `observed` event tells each change.
   */
  observer?: boolean;
}

export interface HotplugCallOptions {
  /**
   * Stops waiting: an operation still queued is dropped; a secondary stops
   * waiting for the primary's answer (the primary still completes it). An
   * operation the primary has started always runs to its end, rollback
   * included. Rejects with HotplugError ECANCELED.
   */
  signal?: AbortSignal;
}

/** A successful attach. */
export interface HotplugAttachResult {
  /** The devargs as sent. */
  devargs: string;
  bus: string;
  name: string;
  /** The device in this process; null in a secondary that does not have it (it did not take part, e.g. not yet initialised). */
  device: Device | null;
}

function buildDevargs(bus: string, name: string, args: string): string {
  return `${bus}:${name},${args}`;
}

/**
 * Multi-process device hotplug for one process. In the primary, `probe`
 * and `remove` run DPDK's whole operation (local step, broadcast to every
 * secondary, rollback everywhere on failure); in a secondary they ask the
 * primary to run it and wait for its answer. Secondaries' requests and the
 * primary's own calls go through one queue, in arrival order. Underneath,
 * every local probe and remove (the primary's requests in a secondary,
 * rollbacks, the primary's local steps, the start-up probe through
 * `local`) goes through a second, per-process device queue, also in
 * arrival order; a secondary's own call never holds that queue while it
 * waits for the primary, whose broadcast for that very call needs it.
 *
 * Events, in every process: `attached` / `detached` when a device is probed
 * or removed here (`rollback` set when that undoes a failed operation), and
 * `rolled-back` when an operation was rolled back.
 */
export class Hotplug extends EventEmitter<HotplugEvents> {
  readonly role: ProcessType;
  readonly buses: BusRegistry;
  readonly channel: HotplugChannel | undefined;
  readonly timeoutMs: number;
  readonly log: Logger;
  readonly observer: boolean;
  readonly #mirror = new Map<string, string>();
  /** Whole operations: the primary's (broadcast and rollback included), a secondary's own calls. */
  readonly #queue = new OperationQueue();
  /** Every local probe and remove of this process, whatever asked for it, in arrival order. */
  readonly #devices = new OperationQueue({ immediate: true });
  readonly #ctx: HotplugContext;
  #started = false;

  constructor(options: HotplugOptions) {
    super();
    if (options.role !== 'primary' && options.role !== 'secondary') {
      throw new EalError('EINVAL', `invalid hotplug role ${String(options.role)}: expected 'primary' or 'secondary'`);
    }
    if (options.channel && options.channel.role !== options.role) {
      throw new EalError('EINVAL', `hotplug role ${options.role} does not match the channel's role ${options.channel.role}`);
    }
    const timeoutMs = options.timeoutMs ?? HOTPLUG_MP_TIMEOUT_MS;
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
      throw new EalError('EINVAL', `invalid hotplug timeout ${String(timeoutMs)}: expected a non-negative number of ms`);
    }
    if (options.observer === true && options.role !== 'secondary') {
      throw new EalError('EINVAL', 'hotplug observer mode is for a secondary: the primary runs the operations');
    }
    this.role = options.role;
    this.observer = options.observer === true;
    this.buses = options.buses;
    this.channel = options.channel;
    this.timeoutMs = timeoutMs;
    this.log = options.logger ?? new LogRegistry().register('lib.eal', { prefix: 'EAL' });
    this.#ctx = {
      buses: this.buses,
      channel: this.channel,
      log: this.log,
      timeoutMs,
      emit: (event, ...args) => {
        try {
          (this as EventEmitter).emit(event, ...args);
        } catch (error) {
          this.log.err(`hotplug ${event} listener failed: ${describeError(error)}`);
        }
      },
      local: (step) => this.#devices.run(step),
    };
  }

  /** Whether the eal_dev_mp_request action is registered. */
  get started(): boolean {
    return this.#started;
  }

  /**
   * Runs `fn` between hotplug operations, in the same queue: what another
   * layer must never see half done (the vdev bus's answer to a joining
   * secondary) waits for the operation in flight, rollback included.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.#queue.run(fn);
  }

  /**
   * Runs `fn` in this process's device queue, where every local probe and
   * remove runs (the primary's requests in a secondary, rollbacks, the local
   * step of the primary's operations): the start-up probe (rte_bus_probe)
   * goes through it, so a request from the primary that arrives meanwhile is
   * applied before or after it, never in the middle. `fn` must not wait for
   * a hotplug operation (that would wait for itself).
   */
  local<T>(fn: () => Promise<T>): Promise<T> {
    return this.#devices.run(fn);
  }

  /** Operations queued or running in this process: whole operations plus local probe/remove steps. */
  get queued(): number {
    return this.#queue.length + this.#devices.length;
  }

  /** Observer mode: the primary's devices as this process last heard of them, by name, in the order they came. */
  get mirror(): string[] {
    return [...this.#mirror.keys()];
  }

  /** Observer mode: the devices the primary had when this process joined (its vdev scan). */
  seedMirror(names: Iterable<string>): void {
    for (const name of names) if (!this.#mirror.has(name)) this.#mirror.set(name, name);
  }

  /** The device name in devargs: without a bus prefix this process knows, without arguments. */
  #deviceName(devargs: string): string {
    const comma = devargs.indexOf(',');
    const head = comma >= 0 ? devargs.slice(0, comma) : devargs;
    const colon = head.indexOf(':');
    return colon > 0 && this.buses.findByName(head.slice(0, colon)) ? head.slice(colon + 1) : head;
  }

  /** Observer mode's action: mirror the request, answer 0, run no driver. */
  async #observe(channel: HotplugChannel, msg: Parameters<typeof handlePrimaryRequest>[2], peer: string): Promise<void> {
    let result = 0;
    let event: HotplugObservedEvent | undefined;
    try {
      const req = decodeEalDevMpReq(msg.param);
      const name = this.#deviceName(req.devargs);
      const adds = req.t === EalDevReqType.ATTACH || req.t === EalDevReqType.DETACH_ROLLBACK;
      if (adds) this.#mirror.set(name, req.devargs);
      else this.#mirror.delete(name);
      event = {
        type: ealDevReqTypeName(req.t),
        op: req.t === EalDevReqType.ATTACH || req.t === EalDevReqType.ATTACH_ROLLBACK ? 'attach' : 'detach',
        rollback: req.t === EalDevReqType.ATTACH_ROLLBACK || req.t === EalDevReqType.DETACH_ROLLBACK,
        devargs: req.devargs,
        name,
        devices: this.mirror,
      };
      this.log.info(`observer: ${event.type} ${req.devargs} from the primary: answered 0 (devices: ${event.devices.join(' ') || 'none'})`);
    } catch (error) {
      result = EalError.from(error).errno;
      this.log.err(`observer: malformed ${EAL_DEV_MP_ACTION_REQUEST} from ${peer}: ${describeError(error)}`);
    }
    await sendReply(this.#ctx, channel, echoReply(msg.param, result), peer);
    if (event) this.#ctx.emit('observed', event);
  }

  /**
   * eal_mp_dev_hotplug_init: registers the eal_dev_mp_request action (the
   * primary's answers secondaries, a secondary's answers the primary).
   * Without a channel there is nothing to register. An action already
   * registered: HotplugError EEXIST.
   */
  start(): Promise<void> {
    const channel = this.channel;
    if (!channel || this.#started) return Promise.resolve();
    const action = this.observer
      ? (msg: Parameters<typeof handlePrimaryRequest>[2], peer: string) => this.#observe(channel, msg, peer)
      : this.role === 'primary'
        ? (msg: Parameters<typeof handleSecondaryRequest>[3], peer: string) =>
            handleSecondaryRequest(this.#ctx, channel, (op) => this.#queue.run(op), msg, peer)
        : (msg: Parameters<typeof handlePrimaryRequest>[2], peer: string) => handlePrimaryRequest(this.#ctx, channel, msg, peer);
    try {
      channel.register(EAL_DEV_MP_ACTION_REQUEST, action);
    } catch (error) {
      this.log.err(`Couldn't register '${EAL_DEV_MP_ACTION_REQUEST}' action`);
      const code = errnoNameOf(error) === 'EEXIST' ? 'EEXIST' : 'EINVAL';
      return Promise.reject(
        new HotplugError(code, `cannot register the '${EAL_DEV_MP_ACTION_REQUEST}' action: ${describeError(error)}`, {
          op: 'attach',
          devargs: '',
          stage: 'local',
          cause: error,
        }),
      );
    }
    this.#started = true;
    return Promise.resolve();
  }

  /**
   * eal_mp_dev_hotplug_cleanup: unregisters the action, then waits for the
   * operations already queued (their answers still go out).
   */
  async stop(): Promise<void> {
    if (this.#started) {
      this.channel?.unregister(EAL_DEV_MP_ACTION_REQUEST);
      this.#started = false;
    }
    await this.#queue.run(() => Promise.resolve());
    await this.#devices.run(() => Promise.resolve());
  }

  /**
   * rte_dev_probe: attaches the device the devargs name in every process.
   * Resolves with the device (in a secondary: as this process has it once
   * the primary answered); rejects with HotplugError (errno, and the
   * failing secondary in `peer` when one caused it).
   */
  probe(devargs: string, options: HotplugCallOptions = {}): Promise<HotplugAttachResult> {
    return this.#run('attach', devargs, options.signal, async () => {
      this.#checkDevargs('attach', devargs);
      if (this.role === 'primary' || !this.channel) {
        const device = await primaryAttach(this.#ctx, devargs);
        return { devargs, bus: device.bus.name, name: device.name, device };
      }
      await this.#askPrimary('attach', devargs, options.signal);
      return this.#attached(devargs);
    });
  }

  /**
   * rte_dev_remove: detaches a device in every process. Takes the device,
   * or devargs naming it (`bus:name,…` or anything parseDevargs accepts);
   * it must be probed here (ENOENT otherwise, nothing sent). What travels is
   * DPDK's `<bus>:<name>,`.
   */
  remove(devargsOrDevice: string | Device, options: HotplugCallOptions = {}): Promise<void> {
    const label = typeof devargsOrDevice === 'string' ? devargsOrDevice : `${devargsOrDevice.bus.name}:${devargsOrDevice.name},`;
    return this.#run('detach', label, options.signal, async () => {
      const device = this.#findProbed(devargsOrDevice, label);
      const devargs = buildDevargs(device.bus.name, device.name, '');
      this.#checkDevargs('detach', devargs);
      // `return await`: an async function's returned promise costs two more ticks than an awaited one.
      if (this.role === 'primary' || !this.channel) return await primaryDetach(this.#ctx, devargs, device);
      return await this.#askPrimary('detach', devargs, options.signal);
    });
  }

  /** rte_eal_hotplug_add: probe(`<bus>:<name>,<args>`). */
  hotplugAdd(bus: string, name: string, args = '', options: HotplugCallOptions = {}): Promise<HotplugAttachResult> {
    return this.probe(buildDevargs(bus, name, args), options);
  }

  /** rte_eal_hotplug_remove: unknown bus ENOENT, no such device EINVAL (DPDK's codes), then remove(device). */
  hotplugRemove(bus: string, name: string, options: HotplugCallOptions = {}): Promise<void> {
    const devargs = buildDevargs(bus, name, '');
    const found = this.buses.findByName(bus);
    if (!found) {
      this.log.err(`Cannot find bus (${bus})`);
      return Promise.reject(new HotplugError('ENOENT', `no bus '${bus}'`, { op: 'detach', devargs, stage: 'local' }));
    }
    const device = found.findDeviceByName(name);
    if (!device) {
      this.log.err(`Cannot find plugged device (${name})`);
      return Promise.reject(new HotplugError('EINVAL', `no device ${name} on bus '${bus}'`, { op: 'detach', devargs, stage: 'local' }));
    }
    return this.remove(device, options);
  }

  #run<T>(op: HotplugOp, devargs: string, signal: AbortSignal | undefined, operation: () => Promise<T>): Promise<T> {
    return this.#queue.run(operation, signal, { op, devargs });
  }

  /** A secondary's operation: the primary runs it; its non-zero result becomes the HotplugError. */
  async #askPrimary(op: HotplugOp, devargs: string, signal: AbortSignal | undefined): Promise<void> {
    const t = op === 'attach' ? EalDevReqType.ATTACH : EalDevReqType.DETACH;
    const { result, peer } = await requestToPrimary(this.#ctx, { t, devargs, result: 0 }, op, signal);
    if (result === 0) return;
    this.log.err(op === 'attach' ? 'Failed to hotplug add device' : 'Failed to hotplug remove device');
    throw HotplugError.fromResult(result, `${op} of ${devargs} failed: the primary ${peer} answered ${describeResult(result)}`, {
      op,
      devargs,
      stage: 'primary',
      peer,
    });
  }

  #checkDevargs(op: HotplugOp, devargs: string): void {
    try {
      checkDevargsLength(devargs);
    } catch (error) {
      const code = error instanceof DevargsError ? error.code : 'EINVAL';
      throw new HotplugError(code, `${op} refused before sending anything: ${describeError(error)}`, {
        op,
        devargs,
        stage: 'local',
        cause: error,
      });
    }
  }

  #findProbed(devargsOrDevice: string | Device, label: string): Device {
    let device: Device | undefined;
    if (typeof devargsOrDevice === 'string') {
      this.#checkDevargs('detach', devargsOrDevice);
      try {
        const parsed = parseDevargs(this.buses, devargsOrDevice);
        device = this.buses.findByName(parsed.bus)?.findDeviceByName(parsed.name);
      } catch (error) {
        const code = error instanceof EalError ? error.code : 'EINVAL';
        throw new HotplugError(code, `detach of ${label}: ${describeError(error)}`, { op: 'detach', devargs: label, stage: 'local', cause: error });
      }
    } else device = devargsOrDevice;
    if (!device || device.driver === null) {
      this.log.err('Device is not probed');
      throw new HotplugError('ENOENT', `detach of ${label}: ${device ? `device ${device.name} is not probed` : 'no such device'} in this process`, {
        op: 'detach',
        devargs: label,
        stage: 'local',
      });
    }
    return device;
  }

  #attached(devargs: string): HotplugAttachResult {
    let device: Device | undefined;
    let bus = '';
    let name = devargs.split(',')[0] ?? devargs;
    try {
      const parsed = parseDevargs(this.buses, devargs);
      bus = parsed.bus;
      name = parsed.name;
      device = findDeviceByDevargs(this.buses, devargs);
    } catch {
      // The primary knew these devargs; we cannot parse them here.
    }
    return { devargs, bus, name, device: device?.driver ? device : null };
  }
}
