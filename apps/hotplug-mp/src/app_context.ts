import type { Eal } from '@eal-ts/eal';
import type { HotplugAppContext } from './commands.js';

/** What the commands need, taken from an initialised EAL. */
export function appContext(eal: Eal): HotplugAppContext {
  return {
    buses: eal.buses,
    hotplugAdd: (bus, name, args) => eal.hotplug.hotplugAdd(bus, name, args),
    hotplugRemove: (bus, name) => eal.hotplug.hotplugRemove(bus, name),
    ports: async () => (await eal.ports.list()).map((port) => ({ portId: port.portId, name: port.name })),
  };
}
