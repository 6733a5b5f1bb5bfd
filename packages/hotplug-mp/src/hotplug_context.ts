/**
 * What the hotplug protocol works with in one process (hotplug_mp.ts and
 * hotplug_mp_request.ts): its buses, channel, logger, event sink and device
 * queue (HotplugContext), the events, and the local probe and remove steps
 * that fire them (DPDK's local_dev_probe / local_dev_remove).
 */
import { type BusRegistry, type Devargs, type Device, localDevProbe, localDevRemove, parseDevargs } from '@eal-ts/bus';
import type { ErrnoName } from '@eal-ts/errno';
import type { Logger } from '@eal-ts/log';
import type { MpChannel } from '@eal-ts/mp-channel';
import { type HotplugOp } from './errors.js';

/** DPDK's MP_TIMEOUT_S: every hotplug exchange waits at most 5 s. */
export const HOTPLUG_MP_TIMEOUT_MS = 5000;

/** What hotplug needs of an mp channel; an MpChannel fits, and tests may pass anything shaped like it. */
export type HotplugChannel = Pick<MpChannel, 'role' | 'path' | 'primaryPath' | 'register' | 'unregister' | 'request' | 'reply' | 'surelyAlone'>;

/** A device was probed (`attached`) or removed (`detached`) in this process. */
export interface HotplugDeviceEvent {
  /** The devargs of the operation, as they travelled. */
  devargs: string;
  bus: string;
  name: string;
  device: Device;
  /** True when this probe/remove undid part of a failed operation. */
  rollback: boolean;
}

/** An attach or a detach failed somewhere and was rolled back; fired in the primary and in every secondary asked to roll back. */
export interface HotplugRollbackEvent {
  op: HotplugOp;
  devargs: string;
  /** Bus and device name, when this process could parse the devargs. */
  bus: string | undefined;
  name: string | undefined;
  /** The failure that caused the rollback. */
  code: ErrnoName;
  errno: number;
  /** The socket of the process that refused or did not answer, when known (the primary knows; a secondary does not). */
  peer: string | undefined;
  reason: string;
}

/**
 * Observer mode (eal-ts): a request from the primary, answered 0 without
 * running a driver, and the mirror of the primary's devices after it.
 */
export interface HotplugObservedEvent {
  /** ATTACH, DETACH, ATTACH_ROLLBACK or DETACH_ROLLBACK. */
  type: string;
  /** What the request means for the primary's device list. */
  op: HotplugOp;
  rollback: boolean;
  devargs: string;
  /** The device name: the devargs without a known bus prefix and without arguments. */
  name: string;
  /** The mirror after this request: the primary's devices, by name, in the order they came. */
  devices: string[];
}

export interface HotplugEvents {
  attached: [HotplugDeviceEvent];
  detached: [HotplugDeviceEvent];
  'rolled-back': [HotplugRollbackEvent];
  observed: [HotplugObservedEvent];
}

/** Everything the protocol functions work with: one process's buses, channel, logger and event sink. */
export interface HotplugContext {
  readonly buses: BusRegistry;
  /** Absent: an EAL without IPC (--in-memory / --no-shconf); everything is local. */
  readonly channel: HotplugChannel | undefined;
  readonly log: Logger;
  readonly timeoutMs: number;
  emit<K extends keyof HotplugEvents>(event: K, ...args: HotplugEvents[K]): void;
  /**
   * Runs `step` in this process's device queue: every local probe and
   * remove, whatever asked for it, one after the other in the order they
   * were queued.
   */
  local<T>(step: () => Promise<T>): Promise<T>;
}

export function tryParse(ctx: HotplugContext, devargs: string): Devargs | undefined {
  try {
    return parseDevargs(ctx.buses, devargs);
  } catch {
    return undefined;
  }
}

/** local_dev_probe plus the `attached` event, run now: the caller holds the device queue. */
export async function probeNow(ctx: HotplugContext, devargs: string, rollback: boolean): Promise<Device> {
  const device = await localDevProbe(ctx.buses, devargs);
  ctx.emit('attached', { devargs, bus: device.bus.name, name: device.name, device, rollback });
  return device;
}

/** local_dev_remove plus the `detached` event, run now: the caller holds the device queue. */
export async function removeNow(ctx: HotplugContext, device: Device, devargs: string, rollback: boolean): Promise<void> {
  await localDevRemove(device);
  ctx.emit('detached', { devargs, bus: device.bus.name, name: device.name, device, rollback });
}

/** local_dev_probe plus the `attached` event, in the device queue. Throws the bus's EalError (DeviceError EEXIST carries the device). */
export function localProbe(ctx: HotplugContext, devargs: string, rollback: boolean): Promise<Device> {
  return ctx.local(() => probeNow(ctx, devargs, rollback));
}

/** local_dev_remove plus the `detached` event, in the device queue. */
export function localRemove(ctx: HotplugContext, device: Device, devargs: string, rollback: boolean): Promise<void> {
  return ctx.local(() => removeNow(ctx, device, devargs, rollback));
}
