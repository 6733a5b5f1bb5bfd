// The EAL this example runs (DPDK's EAL composed with the net_null driver,
// as DPDK's hotplug_mp links it in) and the view of it the commands use.
import { Eal, type EalInitOptions } from '@eal-ts/eal';
import { netNull } from '@eal-ts/net-null';
import type { HotplugAppContext } from './commands.js';

/** The program name in EAL's usage text. */
export const PRGNAME = 'hotplug-mp';

/** rte_eal_init for this application. */
export function initEal(argv: readonly string[], options: EalInitOptions = {}): Promise<Eal> {
  return Eal.init(argv, { prgname: PRGNAME, drivers: [netNull], ...options });
}

export function appContext(eal: Eal): HotplugAppContext {
  return {
    buses: eal.buses,
    hotplugAdd: (bus, name, args) => eal.hotplug.hotplugAdd(bus, name, args),
    hotplugRemove: (bus, name) => eal.hotplug.hotplugRemove(bus, name),
    ports: async () => (await eal.ports.list()).map((port) => ({ portId: port.portId, name: port.name })),
  };
}
