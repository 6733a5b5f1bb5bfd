/**
 * The process-local half of DPDK's lib/eal/common/eal_common_dev.c: probe and
 * remove a device in this process only (local_dev_probe, local_dev_remove),
 * and find or iterate devices (rte_dev_iterator). The multi-process half,
 * rte_dev_probe / rte_dev_remove with their broadcast and rollback, is
 * @eal-ts/hotplug-mp's eal_common_dev.ts.
 */
import { DevargsError, DeviceError, EalError } from './errors.js';
import type { BusRegistry } from './eal_common_bus.js';
import type { Bus } from './rte_bus.js';
import type { Device } from './rte_dev.js';
import { parseDevargs, splitDevargsLayers } from './rte_devargs.js';
import { parseKvargs } from './rte_kvargs.js';

/**
 * DPDK's local_dev_probe: parse the devargs, hand them to the bus (they
 * replace the device's earlier hotplug devargs), rescan, find the device by
 * name and plug it. Errors, all EalError:
 * - DevargsError for unparsable devargs;
 * - ENODEV when the scan does not find the device;
 * - DeviceError EEXIST, carrying the device, when it is already probed
 *   (DPDK returns the device with -EEXIST too; the hotplug layer needs it);
 * - the bus's or driver's error otherwise, with the device left unprobed.
 */
export async function localDevProbe(registry: BusRegistry, devargsText: string): Promise<Device> {
  const devargs = parseDevargs(registry, devargsText);
  const bus = registry.findByName(devargs.bus)!;
  const previous = bus.devargs.insert(devargs);
  let dev: Device | undefined;
  try {
    await bus.scan();
    dev = bus.findDeviceByName(devargs.name);
  } catch (err) {
    bus.devargs.restore(devargs.name, previous);
    throw EalError.from(err, 'EIO', `scan of bus '${bus.name}' failed`);
  }
  if (!dev) {
    bus.devargs.restore(devargs.name, previous);
    registry.log.err(`Cannot find device (${devargs.name})`);
    throw new EalError('ENODEV', `cannot find device ${devargs.name} on bus '${bus.name}'`);
  }
  try {
    await bus.plug(dev);
  } catch (err) {
    const failure = EalError.from(err, 'EIO');
    if (failure.code === 'EEXIST' && bus.isProbed(dev)) {
      throw new DeviceError('EEXIST', dev, failure.message, { cause: failure });
    }
    registry.log.err(`Driver cannot attach the device (${dev.name})`);
    throw failure;
  }
  return dev;
}

/**
 * DPDK's local_dev_remove: the bus unplugs the device. ENOENT when it is
 * not probed; a driver's failure is thrown and leaves it probed.
 */
export function localDevRemove(device: Device): Promise<void> {
  const bus: Bus = device.bus;
  // The bus's own promise, not one more async layer around it (issue 11).
  try {
    return bus.unplug(device);
  } catch (error) {
    // A bus whose unplug throws instead of rejecting: still a rejection here, as before.
    return Promise.reject(EalError.from(error, 'EIO'));
  }
}

/**
 * The device devargs designate, as DPDK's hotplug handlers find it
 * (rte_devargs_parse, then find_device by name); undefined when no such
 * device is on its bus. Unparsable devargs throw DevargsError.
 */
export function findDeviceByDevargs(registry: BusRegistry, devargsText: string): Device | undefined {
  const devargs = parseDevargs(registry, devargsText);
  return registry.findByName(devargs.bus)?.findDeviceByName(devargs.name);
}

/**
 * rte_dev_iterator over the bus layer: the devices a `bus=…[,key=value]` /
 * `class=…` string designates. At least one of the two layers is needed;
 * without a bus layer every bus is walked. A `class=` layer is answered by
 * the registered DeviceClass of that name (unknown → EFAULT, as DPDK).
 */
export function devIterate(registry: BusRegistry, text: string): Device[] {
  const layers = splitDevargsLayers(text);
  const busLayer = layers.find((l) => l.key === 'bus');
  const classLayer = layers.find((l) => l.key === 'class');
  if (!busLayer && !classLayer) {
    throw new DevargsError('EINVAL', 'syntax', text, `device filter '${text}' needs a bus= or class= layer`);
  }
  let buses: readonly Bus[] = registry.buses();
  if (busLayer) {
    const bus = registry.findByName(busLayer.value);
    if (!bus) throw new DevargsError('EFAULT', 'unknown-bus', text, `unknown bus '${busLayer.value}' in '${text}'`);
    buses = [bus];
  }
  const cls = classLayer ? registry.findClass(classLayer.value) : undefined;
  if (classLayer && !cls) {
    throw new DevargsError('EFAULT', 'unknown-class', text, `unknown device class '${classLayer.value}' in '${text}'`);
  }
  const busArgs = busLayer ? parseKvargs(busLayer.rest) : null;
  const classArgs = classLayer ? parseKvargs(classLayer.rest) : null;
  const found: Device[] = [];
  for (const bus of buses) {
    for (const dev of bus.iterate(busArgs)) {
      if (cls && classArgs && !cls.matches(dev, classArgs)) continue;
      found.push(dev);
    }
  }
  return found;
}
