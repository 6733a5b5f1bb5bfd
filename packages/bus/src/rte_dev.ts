import type { Bus } from './rte_bus.js';
import type { Devargs } from './rte_devargs.js';
import type { Kvargs } from './rte_kvargs.js';

/** DPDK's SOCKET_ID_ANY: the NUMA node is not known. */
export const SOCKET_ID_ANY = -1;

export interface DeviceInit {
  readonly name: string;
  readonly bus: Bus;
  readonly numaNode?: number;
  readonly devargs?: Devargs | null;
}

/**
 * A device found by a bus scan (struct rte_device). `driver` is set only
 * once a probe succeeded, so it is the "is probed" flag, as in DPDK.
 */
export class Device {
  readonly name: string;
  readonly bus: Bus;
  numaNode: number;
  driver: Driver | null = null;
  devargs: Devargs | null;

  constructor(init: DeviceInit) {
    this.name = init.name;
    this.bus = init.bus;
    this.numaNode = init.numaNode ?? SOCKET_ID_ANY;
    this.devargs = init.devargs ?? null;
  }
}

/**
 * A driver (struct rte_driver with its bus-specific probe/remove). Drivers
 * are plain objects built with whatever they depend on; nothing is looked
 * up in a global context. A probe that rejects leaves the device unprobed.
 */
export interface Driver<D extends Device = Device> {
  readonly name: string;
  readonly aliases?: readonly string[];
  probe(dev: D): Promise<void>;
  remove(dev: D): Promise<void>;
}

/**
 * A device class (struct rte_class, e.g. `eth`) as far as the bus layer
 * needs it: whether a device matches the arguments of a `class=` layer.
 */
export interface DeviceClass {
  readonly name: string;
  matches(dev: Device, classArgs: Kvargs): boolean;
}
