import { EalError } from './errors.js';
import type { Devargs } from './rte_devargs.js';

/** RTE_DEV_ALLOWED / RTE_DEV_BLOCKED. */
export type DevargsPolicy = 'allowed' | 'blocked';

/** How a bus picks devices (enum rte_bus_scan_mode), set by the first -a or -b. */
export type ScanMode = 'undefined' | 'allowlist' | 'blocklist';

export interface DevargsEntry {
  readonly devargs: Devargs;
  readonly policy: DevargsPolicy;
  /** `user`: from -a/-b; `hotplug`: inserted by a probe, removed with the device. */
  readonly source: 'user' | 'hotplug';
}

/**
 * The devargs of one bus (DPDK keeps one global list and filters it by bus
 * name; one list per bus is the same thing without a global).
 */
export class DevargsList {
  private readonly list: DevargsEntry[] = [];
  private mode: ScanMode = 'undefined';

  constructor(readonly busName: string) {}

  get scanMode(): ScanMode {
    return this.mode;
  }

  entries(): readonly DevargsEntry[] {
    return this.list;
  }

  /**
   * rte_devargs_add for -a (allowed) and -b (blocked). The first one sets
   * the scan mode; the other kind on the same bus is refused, as EAL refuses
   * -a together with -b.
   */
  add(devargs: Devargs, policy: DevargsPolicy): void {
    const wanted: ScanMode = policy === 'allowed' ? 'allowlist' : 'blocklist';
    if (this.mode !== 'undefined' && this.mode !== wanted) {
      throw new EalError(
        'EINVAL',
        `bus '${this.busName}': allow (-a) and block (-b) lists cannot be mixed; '${devargs.name}' would be ${policy} but the bus already has a ${this.mode}`,
      );
    }
    if (this.find(devargs.name)) {
      throw new EalError('EEXIST', `bus '${this.busName}': device '${devargs.name}' is listed twice`);
    }
    this.mode = wanted;
    this.list.push({ devargs, policy, source: 'user' });
  }

  /**
   * rte_devargs_insert, used by hotplug: the new devargs replace those of the
   * same device. A blocked device stays blocked — DPDK would lift the block
   * here, but a blocked device is never to be probed. Returns the entry it
   * replaced so a failed probe can put it back.
   */
  insert(devargs: Devargs): DevargsEntry | undefined {
    const index = this.list.findIndex((e) => e.devargs.name === devargs.name);
    const previous = index >= 0 ? this.list[index] : undefined;
    const entry: DevargsEntry = {
      devargs,
      policy: previous?.policy ?? 'allowed',
      source: previous?.source ?? 'hotplug',
    };
    if (index >= 0) this.list[index] = entry;
    else this.list.push(entry);
    return previous;
  }

  /** Undoes an insert: puts `previous` back, or drops the entry for that name. */
  restore(name: string, previous: DevargsEntry | undefined): void {
    const index = this.list.findIndex((e) => e.devargs.name === name);
    if (previous && index >= 0) this.list[index] = previous;
    else if (previous) this.list.push(previous);
    else if (index >= 0) this.list.splice(index, 1);
  }

  /** rte_devargs_remove for entries a hotplug put there; -a/-b entries outlive the device. */
  removeHotplug(name: string): void {
    const index = this.list.findIndex((e) => e.devargs.name === name && e.source === 'hotplug');
    if (index >= 0) this.list.splice(index, 1);
  }

  /** rte_bus_find_devargs. */
  find(name: string): DevargsEntry | undefined {
    return this.list.find((e) => e.devargs.name === name);
  }

  /**
   * rte_bus_device_is_ignored: with an allow list only listed (or hotplugged)
   * devices count; otherwise all but the blocked ones.
   */
  isIgnored(name: string): boolean {
    const entry = this.find(name);
    if (this.mode === 'allowlist') return entry?.policy !== 'allowed';
    return entry?.policy === 'blocked';
  }

  isBlocked(name: string): boolean {
    return this.find(name)?.policy === 'blocked';
  }
}
