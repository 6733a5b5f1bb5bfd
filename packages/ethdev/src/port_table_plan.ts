/**
 * The decision logic both table kinds share: given the decoded slots, which
 * port an allocation gets and which slots to write (DPDK's
 * eth_dev_find_free_port, eth_dev_allocated and the slot updates of
 * rte_eth_dev_allocate / rte_eth_dev_release_port in ethdev_driver.c).
 */
import { EthdevError } from './errors.js';
import { type PortTableSnapshot, type SharedPort, type TableAllocateOptions, type TableReleaseOptions } from './port_table.js';
import { type DecodedSlot, encodeAllocatedSlot, encodeFreeSlot } from './port_table_layout.js';

export interface SlotWrite {
  readonly portId: number;
  readonly slot: DecodedSlot;
}

/**
 * The table's highest generation plus one. A corrupt slot's raw field counts
 * too: a write torn after its first bytes holds the old or the new
 * generation there, so the slot's next lifetime differs from both.
 */
export function nextGeneration(slots: readonly DecodedSlot[]): number {
  let max = 0;
  for (const slot of slots) {
    const generation =
      slot.kind === 'allocated' ? slot.port.generation : slot.kind === 'free' ? slot.generation : slot.rawGeneration;
    if (generation > max) max = generation;
  }
  return (max + 1) >>> 0;
}

export function snapshotOf(slots: readonly DecodedSlot[]): PortTableSnapshot {
  const ports: SharedPort[] = [];
  const corrupt: number[] = [];
  slots.forEach((slot, portId) => {
    if (slot.kind === 'allocated') ports.push(slot.port);
    else if (slot.kind === 'corrupt') corrupt.push(portId);
  });
  return { maxPorts: slots.length, ports, corrupt };
}

export function findByName(slots: readonly DecodedSlot[], name: string): SharedPort | undefined {
  for (const slot of slots) if (slot.kind === 'allocated' && slot.port.name === name) return slot.port;
  return undefined;
}

/** Plans an allocation: the writes (repairs first, the new slot last) and the port. */
export function planAllocate(
  slots: DecodedSlot[],
  name: string,
  options: TableAllocateOptions,
): { writes: SlotWrite[]; port: SharedPort } {
  // One pass over the slots (issue 11): the name's owner, the first free id, any corrupt slot.
  let firstFree = -1;
  let corrupt = 0;
  for (let portId = 0; portId < slots.length; portId++) {
    const slot = slots[portId]!;
    if (slot.kind === 'allocated') {
      if (slot.port.name === name) throw new EthdevError('EEXIST', `Ethernet device with name ${name} already allocated`);
    } else if (slot.kind === 'free') {
      if (firstFree < 0) firstFree = portId;
    } else corrupt++;
  }
  // A repair frees the corrupt slots first, and the lowest free id is looked for again after it.
  const writes = options.repair === true && corrupt > 0 ? planRepair(slots) : [];
  if (writes.length > 0) {
    corrupt = 0;
    firstFree = slots.findIndex((slot) => slot.kind === 'free');
  }
  const preferred = options.preferredPortId;
  const portId =
    preferred !== undefined && Number.isInteger(preferred) && slots[preferred]?.kind === 'free' ? preferred : firstFree;
  if (portId < 0) {
    throw new EthdevError(
      'ENOSPC',
      `Reached maximum number of Ethernet ports (${slots.length})` +
        (corrupt > 0 ? `; ${corrupt} corrupt slot(s) await the primary's repair` : ''),
    );
  }
  const port: SharedPort = {
    portId,
    name,
    generation: nextGeneration(slots),
    ownerPid: options.ownerPid ?? process.pid,
  };
  const slot: DecodedSlot = { kind: 'allocated', port };
  slots[portId] = slot;
  writes.push({ portId, slot });
  return { writes, port };
}

/** Marks every corrupt slot free in `slots`; the writes that do it. */
export function planRepair(slots: DecodedSlot[]): SlotWrite[] {
  const writes: SlotWrite[] = [];
  slots.forEach((slot, portId) => {
    if (slot.kind !== 'corrupt') return;
    const free: DecodedSlot = { kind: 'free', generation: nextGeneration(slots) };
    slots[portId] = free;
    writes.push({ portId, slot: free });
  });
  return writes;
}

export function planRelease(slots: DecodedSlot[], portId: number, options: TableReleaseOptions): SlotWrite {
  const current = slots[portId];
  if (current === undefined || current.kind === 'free') {
    throw new EthdevError('ENODEV', `port ${portId} is not allocated`);
  }
  if (
    current.kind === 'allocated' &&
    options.generation !== undefined &&
    current.port.generation !== options.generation
  ) {
    throw new EthdevError(
      'ENODEV',
      `port ${portId} now holds ${current.port.name} (generation ${current.port.generation}), ` +
        `not generation ${options.generation}`,
    );
  }
  const free: DecodedSlot = { kind: 'free', generation: nextGeneration(slots) };
  slots[portId] = free;
  return { portId, slot: free };
}

/** The bytes of a planned write; into `into` (a slot-sized buffer the caller reuses) when given. */
export function encodeSlot(write: SlotWrite, into?: Buffer): Buffer {
  const { slot, portId } = write;
  if (slot.kind === 'allocated') return encodeAllocatedSlot(slot.port, into);
  if (slot.kind === 'free') return encodeFreeSlot(portId, slot.generation, into);
  throw new Error('internal error: cannot encode a corrupt slot');
}
