/**
 * The port table every process of a runtime directory shares — eal-ts's
 * counterpart of DPDK's `eth_dev_shared_data` memzone (lib/ethdev/ethdev_private.c).
 *
 * DPDK keeps `rte_eth_dev_data[RTE_MAX_ETHPORTS]` in hugepage memory mapped
 * by every process and guards it with a spinlock in the shared EAL config.
 * Node cannot map that memory, so eal-ts keeps the table in a file of the
 * runtime directory, `eal_ts_ethdev_data`, guarded by fcntl record locks:
 *
 *   offset 0     header, 128 bytes (never rewritten after creation)
 *   offset 128   slot 0, 128 bytes
 *   offset 256   slot 1 …  slot i at 128 * (i + 1)
 *
 * Header (little endian): magic "EALTSETH"[8], u32 version, u32 header size,
 * u32 slot size, u32 slot count, u32 creator pid, u32 reserved, f64 creation
 * time (ms since the epoch), zeros, u32 CRC-32 of bytes 0..123 at 124.
 *
 * Slot: u32 state (0 free, 1 allocated), u16 port id (= slot index),
 * u16 reserved, u32 generation, u32 owner pid, name[64] (UTF-8, NUL padded,
 * at most 63 bytes as RTE_ETH_NAME_MAX_LEN), zeros, u32 CRC-32 of bytes
 * 0..123 at 124.
 *
 * Updates: a writer holds the write lock over the whole file, reads the whole
 * table, and changes exactly one slot with ONE positional write of 128 bytes.
 * Slots are 128-byte aligned, so none crosses a page boundary. Readers hold
 * the read lock, so they never see a write in progress; the kernel drops the
 * lock of a process that dies. A writer killed in the middle of its write can
 * leave at most one torn slot, which fails its checksum: every reader reports
 * it and skips it (neither a port nor free), and only the primary's repair
 * path rewrites it as free. The header is written once, into a temporary file
 * that is renamed into place, so a table under the final name is always whole.
 *
 * Synchronous I/O under the lock (issue 11): the lock is tried with a
 * non-blocking F_SETLK (@eal-ts/sys retries with backoff on timers only when
 * another process holds it), and once held, the whole-table pread (4 KiB for
 * 32 ports, at most 512 KiB for MAX_ETHPORTS_LIMIT) and the one 128-byte slot
 * pwrite are made synchronously on the fd. The file lives in the runtime
 * directory (tmpfs under /run or $XDG_RUNTIME_DIR, or the page cache of /tmp),
 * is never fsync'ed and has just been read or written by a peer, so these
 * calls copy memory to or from the page cache: 1.5 µs for the 4 KiB read on
 * the 2-vCPU bench VM, a few µs for the write — less than the two thread
 * wake-ups a libuv threadpool round trip costs (15–300 µs there), and far
 * below anything that would delay other work on the event loop. The crash
 * semantics do not change: same lock, same single positional slot write.
 */
import { randomBytes } from 'node:crypto';
import { readSync, writeSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

import { LogRegistry, type Logger } from '@eal-ts/log';
import { setRecordLock } from '@eal-ts/sys';

import { EthdevError } from './errors.js';
import { AsyncMutex } from './mutex.js';

/** The table's file name in the runtime directory (DPDK has no such file; the name avoids DPDK's own). */
export const ETHDEV_DATA_FILE = 'eal_ts_ethdev_data';
/** DPDK's default build-time port count. */
export const RTE_MAX_ETHPORTS = 32;
/** The most ports a table may have here (port ids are uint16 in DPDK; the file stays small). */
export const MAX_ETHPORTS_LIMIT = 4096;
/** Port name size with its NUL, as DPDK: names have 1..63 bytes. */
export const RTE_ETH_NAME_MAX_LEN = 64;

export const TABLE_MAGIC = 'EALTSETH';
export const TABLE_VERSION = 1;
export const HEADER_SIZE = 128;
export const SLOT_SIZE = 128;

const CRC_OFFSET = 124;
const NAME_OFFSET = 16;

export const SLOT_STATE = { FREE: 0, ALLOCATED: 1 } as const;

/** One allocated port as the table holds it. */
export interface SharedPort {
  readonly portId: number;
  readonly name: string;
  /**
   * Changes on every allocation and release anywhere in the table (the
   * highest generation in the table plus one), so (portId, generation) names
   * one port's lifetime: a later port reusing the id has another generation.
   */
  readonly generation: number;
  /** The process that allocated the port. */
  readonly ownerPid: number;
}

export interface PortTableSnapshot {
  readonly maxPorts: number;
  /** Allocated ports, by port id. */
  readonly ports: readonly SharedPort[];
  /** Ids of slots whose contents failed validation (a writer died mid-write). */
  readonly corrupt: readonly number[];
}

export interface TableAllocateOptions {
  /**
   * Rewrite corrupt slots as free in the same locked update before choosing
   * (the primary's repair path). Without it corrupt slots are never handed out.
   */
  readonly repair?: boolean;
  /** Recorded as the slot's owner; defaults to process.pid. */
  readonly ownerPid?: number;
  /**
   * The id to take when its slot is free (a secondary of a DPDK primary
   * mirroring the primary's ids); otherwise the lowest free one, as always.
   */
  readonly preferredPortId?: number;
}

export interface TableReleaseOptions {
  /** Release only if the slot still holds this generation of the port (ENODEV otherwise). */
  readonly generation?: number;
}

/**
 * The operations both table kinds offer; EthdevPorts works on either. All
 * updates are atomic with respect to every other user of the same table.
 */
export interface PortTable {
  /** The shared file; null for a process-local table. */
  readonly path: string | null;
  readonly maxPorts: number;
  readonly closed: boolean;
  /** Every slot, under the read lock. */
  read(): Promise<PortTableSnapshot>;
  /** The lowest free id for `name` (EEXIST when taken, ENOSPC when full; EINVAL/ENAMETOOLONG for a bad name). */
  allocate(name: string, options?: TableAllocateOptions): Promise<SharedPort>;
  /** The allocated port called `name` (ENODEV when there is none). */
  attach(name: string): Promise<SharedPort>;
  /** Frees `portId` (ENODEV when free; a corrupt slot is rewritten free). */
  release(portId: number, options?: TableReleaseOptions): Promise<void>;
  /** Rewrites every corrupt slot as free; the ids repaired. */
  repair(): Promise<number[]>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Validation shared by both kinds

/** Checks a port name as rte_eth_dev_allocate does; returns its UTF-8 bytes. */
export function checkPortName(name: unknown): Buffer {
  if (typeof name !== 'string') throw new EthdevError('EINVAL', `port name must be a string, got ${typeof name}`);
  if (name.length === 0) throw new EthdevError('EINVAL', 'zero length Ethernet device name');
  if (name.includes('\0')) throw new EthdevError('EINVAL', `Ethernet device name ${JSON.stringify(name)} contains NUL`);
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length >= RTE_ETH_NAME_MAX_LEN) {
    throw new EthdevError(
      'ENAMETOOLONG',
      `Ethernet device name is too long: ${bytes.length} bytes, at most ${RTE_ETH_NAME_MAX_LEN - 1}`,
    );
  }
  return bytes;
}

export function checkMaxPorts(maxPorts: unknown): number {
  if (typeof maxPorts !== 'number' || !Number.isInteger(maxPorts) || maxPorts < 1 || maxPorts > MAX_ETHPORTS_LIMIT) {
    throw new EthdevError('EINVAL', `maxPorts must be an integer 1..${MAX_ETHPORTS_LIMIT}, got ${String(maxPorts)}`);
  }
  return maxPorts;
}

export function checkPortId(portId: unknown, maxPorts: number): number {
  if (typeof portId !== 'number' || !Number.isInteger(portId) || portId < 0 || portId >= maxPorts) {
    throw new EthdevError('EINVAL', `invalid port id ${String(portId)}: expected an integer 0..${maxPorts - 1}`);
  }
  return portId;
}

// ---------------------------------------------------------------------------
// On-disk format

export interface TableHeader {
  readonly version: number;
  readonly maxPorts: number;
  readonly creatorPid: number;
  /** ms since the epoch. */
  readonly createdAt: number;
}

/** A slot as decoded: a valid free or allocated slot, or corrupt with its raw generation field. */
export type DecodedSlot =
  | { readonly kind: 'free'; readonly generation: number }
  | { readonly kind: 'allocated'; readonly port: SharedPort }
  | { readonly kind: 'corrupt'; readonly rawGeneration: number; readonly reason: string };

/** Byte offset of a port's slot in the table file. */
export function slotOffset(portId: number): number {
  return HEADER_SIZE + portId * SLOT_SIZE;
}

/** Size of the table file for `maxPorts` ports. */
export function tableSize(maxPorts: number): number {
  return HEADER_SIZE + maxPorts * SLOT_SIZE;
}

function sealed(buffer: Buffer): Buffer {
  buffer.writeUInt32LE(crc32(buffer.subarray(0, CRC_OFFSET)), CRC_OFFSET);
  return buffer;
}

function checksumOk(bytes: Buffer): boolean {
  return bytes.readUInt32LE(CRC_OFFSET) === crc32(bytes.subarray(0, CRC_OFFSET));
}

export function encodeHeader(header: TableHeader): Buffer {
  const buffer = Buffer.alloc(HEADER_SIZE);
  buffer.write(TABLE_MAGIC, 0, 'latin1');
  buffer.writeUInt32LE(header.version, 8);
  buffer.writeUInt32LE(HEADER_SIZE, 12);
  buffer.writeUInt32LE(SLOT_SIZE, 16);
  buffer.writeUInt32LE(header.maxPorts, 20);
  buffer.writeUInt32LE(header.creatorPid >>> 0, 24);
  buffer.writeDoubleLE(header.createdAt, 32);
  return sealed(buffer);
}

/** Decodes and checks a header; `path` only labels the error. */
export function decodeHeader(bytes: Buffer, path: string): TableHeader {
  const bad = (what: string): EthdevError =>
    new EthdevError('EBADMSG', `${path} is not an eal-ts ethdev port table: ${what}`);
  if (bytes.length < HEADER_SIZE) throw bad(`${bytes.length} bytes, the header alone has ${HEADER_SIZE}`);
  const header = bytes.subarray(0, HEADER_SIZE);
  if (header.toString('latin1', 0, 8) !== TABLE_MAGIC) throw bad('bad magic');
  if (!checksumOk(header)) throw bad('header checksum mismatch');
  const version = header.readUInt32LE(8);
  if (version !== TABLE_VERSION) throw bad(`version ${version}, this build reads version ${TABLE_VERSION}`);
  if (header.readUInt32LE(12) !== HEADER_SIZE || header.readUInt32LE(16) !== SLOT_SIZE) throw bad('unexpected sizes');
  const maxPorts = header.readUInt32LE(20);
  if (maxPorts < 1 || maxPorts > MAX_ETHPORTS_LIMIT) throw bad(`slot count ${maxPorts}`);
  return { version, maxPorts, creatorPid: header.readUInt32LE(24), createdAt: header.readDoubleLE(32) };
}

export function encodeFreeSlot(portId: number, generation: number): Buffer {
  const buffer = Buffer.alloc(SLOT_SIZE);
  buffer.writeUInt32LE(SLOT_STATE.FREE, 0);
  buffer.writeUInt16LE(portId, 4);
  buffer.writeUInt32LE(generation >>> 0, 8);
  return sealed(buffer);
}

export function encodeAllocatedSlot(port: SharedPort): Buffer {
  const name = checkPortName(port.name);
  const buffer = Buffer.alloc(SLOT_SIZE);
  buffer.writeUInt32LE(SLOT_STATE.ALLOCATED, 0);
  buffer.writeUInt16LE(port.portId, 4);
  buffer.writeUInt32LE(port.generation >>> 0, 8);
  buffer.writeUInt32LE(port.ownerPid >>> 0, 12);
  name.copy(buffer, NAME_OFFSET);
  return sealed(buffer);
}

/** Decodes the slot of `portId`; anything inconsistent is 'corrupt' with the reason. */
export function decodeSlot(bytes: Buffer, portId: number): DecodedSlot {
  const rawGeneration = bytes.length >= 12 ? bytes.readUInt32LE(8) : 0;
  const corrupt = (reason: string): DecodedSlot => ({ kind: 'corrupt', rawGeneration, reason });
  if (bytes.length !== SLOT_SIZE) return corrupt(`short slot (${bytes.length} bytes)`);
  if (!checksumOk(bytes)) return corrupt('checksum mismatch');
  if (bytes.readUInt16LE(4) !== portId) return corrupt(`slot holds port id ${bytes.readUInt16LE(4)}`);
  const state = bytes.readUInt32LE(0);
  const nameField = bytes.subarray(NAME_OFFSET, NAME_OFFSET + RTE_ETH_NAME_MAX_LEN);
  const nul = nameField.indexOf(0);
  if (state === SLOT_STATE.FREE) {
    if (nul !== 0) return corrupt('free slot with a name');
    return { kind: 'free', generation: rawGeneration };
  }
  if (state !== SLOT_STATE.ALLOCATED) return corrupt(`unknown state ${state}`);
  if (nul <= 0) return corrupt('allocated slot without a name');
  return {
    kind: 'allocated',
    port: {
      portId,
      name: nameField.toString('utf8', 0, nul),
      generation: rawGeneration,
      ownerPid: bytes.readUInt32LE(12),
    },
  };
}

// ---------------------------------------------------------------------------
// The decision logic both kinds share: given decoded slots, what to write.

interface SlotWrite {
  readonly portId: number;
  readonly slot: DecodedSlot;
}

/**
 * The table's highest generation plus one. A corrupt slot's raw field counts
 * too: a write torn after its first bytes holds the old or the new
 * generation there, so the slot's next lifetime differs from both.
 */
function nextGeneration(slots: readonly DecodedSlot[]): number {
  let max = 0;
  for (const slot of slots) {
    const generation =
      slot.kind === 'allocated' ? slot.port.generation : slot.kind === 'free' ? slot.generation : slot.rawGeneration;
    if (generation > max) max = generation;
  }
  return (max + 1) >>> 0;
}

function snapshotOf(slots: readonly DecodedSlot[]): PortTableSnapshot {
  const ports: SharedPort[] = [];
  const corrupt: number[] = [];
  slots.forEach((slot, portId) => {
    if (slot.kind === 'allocated') ports.push(slot.port);
    else if (slot.kind === 'corrupt') corrupt.push(portId);
  });
  return { maxPorts: slots.length, ports, corrupt };
}

function findByName(slots: readonly DecodedSlot[], name: string): SharedPort | undefined {
  for (const slot of slots) if (slot.kind === 'allocated' && slot.port.name === name) return slot.port;
  return undefined;
}

/** Plans an allocation: the writes (repairs first, the new slot last) and the port. */
function planAllocate(
  slots: DecodedSlot[],
  name: string,
  options: TableAllocateOptions,
): { writes: SlotWrite[]; port: SharedPort } {
  if (findByName(slots, name)) {
    throw new EthdevError('EEXIST', `Ethernet device with name ${name} already allocated`);
  }
  const writes = options.repair === true ? planRepair(slots) : [];
  const preferred = options.preferredPortId;
  const portId =
    preferred !== undefined && Number.isInteger(preferred) && slots[preferred]?.kind === 'free'
      ? preferred
      : slots.findIndex((slot) => slot.kind === 'free');
  if (portId < 0) {
    const corrupt = slots.filter((slot) => slot.kind === 'corrupt').length;
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
function planRepair(slots: DecodedSlot[]): SlotWrite[] {
  const writes: SlotWrite[] = [];
  slots.forEach((slot, portId) => {
    if (slot.kind !== 'corrupt') return;
    const free: DecodedSlot = { kind: 'free', generation: nextGeneration(slots) };
    slots[portId] = free;
    writes.push({ portId, slot: free });
  });
  return writes;
}

function planRelease(slots: DecodedSlot[], portId: number, options: TableReleaseOptions): SlotWrite {
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

function encodeSlot(write: SlotWrite): Buffer {
  const { slot, portId } = write;
  if (slot.kind === 'allocated') return encodeAllocatedSlot(slot.port);
  if (slot.kind === 'free') return encodeFreeSlot(portId, slot.generation);
  throw new Error('internal error: cannot encode a corrupt slot');
}

function defaultLogger(): Logger {
  return new LogRegistry().register('lib.ethdev', { prefix: 'ETHDEV' });
}

/** Logs each corrupt slot once while it stays corrupt. */
class CorruptionReporter {
  private readonly reported = new Set<number>();

  constructor(
    private readonly logger: Logger,
    private readonly where: string,
  ) {}

  note(slots: readonly DecodedSlot[]): void {
    slots.forEach((slot, portId) => {
      if (slot.kind === 'corrupt') {
        if (!this.reported.has(portId)) {
          this.reported.add(portId);
          this.logger.warning(
            `${this.where}: slot of port ${portId} is corrupt (${slot.reason}); ` +
              'skipped until the primary repairs it',
          );
        }
      } else this.reported.delete(portId);
    });
  }
}

// ---------------------------------------------------------------------------
// The file table

/**
 * fcntl record locks belong to the process: they never conflict between two
 * fds of one process, and closing ANY fd of the file drops them all. So the
 * users of one table file inside a process must queue behind one mutex — kept
 * per file identity (device, inode) here, the one piece of process-wide state
 * this package has, and it mirrors state the kernel already keeps per process.
 */
const fileMutexes = new Map<string, { mutex: AsyncMutex; users: number }>();

function acquireFileMutex(key: string): AsyncMutex {
  let entry = fileMutexes.get(key);
  if (!entry) {
    entry = { mutex: new AsyncMutex(), users: 0 };
    fileMutexes.set(key, entry);
  }
  entry.users++;
  return entry.mutex;
}

function releaseFileMutex(key: string): void {
  const entry = fileMutexes.get(key);
  if (entry && --entry.users === 0) fileMutexes.delete(key);
}

const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

export interface SharedDataOptions {
  /** The runtime directory (`<base>/dpdk/<file-prefix>`); must exist. */
  readonly runtimeDir: string;
  /** The file name in it; defaults to ETHDEV_DATA_FILE. */
  readonly fileName?: string;
  readonly logger?: Logger;
  /**
   * Longest wait for another process's record lock on the table (default
   * 10 s; a holder only keeps it for one read or write). Past it, the
   * operation rejects with @eal-ts/sys's LockTimeoutError (ETIMEDOUT) naming
   * the table's path and the holder's pid: a stopped or hung process, not a
   * stalled threadpool.
   */
  readonly lockTimeoutMs?: number;
}

export interface SharedDataCreateOptions extends SharedDataOptions {
  /** Slot count (RTE_MAX_ETHPORTS); defaults to 32. */
  readonly maxPorts?: number;
}

/** The port table in a file of the runtime directory, under fcntl record locks. */
export class EthdevSharedData implements PortTable {
  readonly path: string;
  readonly maxPorts: number;
  readonly header: TableHeader;
  private readonly reporter: CorruptionReporter;
  private isClosed = false;

  private constructor(
    private readonly handle: FileHandle,
    path: string,
    header: TableHeader,
    private readonly mutex: AsyncMutex,
    private readonly mutexKey: string,
    private readonly logger: Logger,
    private readonly lockTimeoutMs: number,
  ) {
    this.path = path;
    this.header = header;
    this.maxPorts = header.maxPorts;
    this.reporter = new CorruptionReporter(logger, path);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * The primary's start: a fresh table with every slot free, written into a
   * temporary file (O_CREAT|O_EXCL, mode 0600) and renamed over any table a
   * previous primary left, so no process can ever open a half-written table.
   */
  static async create(options: SharedDataCreateOptions): Promise<EthdevSharedData> {
    const maxPorts = checkMaxPorts(options.maxPorts ?? RTE_MAX_ETHPORTS);
    const path = join(options.runtimeDir, options.fileName ?? ETHDEV_DATA_FILE);
    const header: TableHeader = { version: TABLE_VERSION, maxPorts, creatorPid: process.pid, createdAt: Date.now() };
    const image = Buffer.alloc(tableSize(maxPorts));
    encodeHeader(header).copy(image, 0);
    for (let portId = 0; portId < maxPorts; portId++) encodeFreeSlot(portId, 0).copy(image, slotOffset(portId));

    const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    let handle: FileHandle;
    try {
      handle = await open(temporary, 'wx+', 0o600);
    } catch (cause) {
      throw EthdevError.from(cause, 'EIO', `cannot create the ethdev port table in ${options.runtimeDir}`);
    }
    try {
      await writeFully(handle, image, 0);
      await rename(temporary, path);
    } catch (cause) {
      await handle.close().catch(() => undefined);
      await unlink(temporary).catch(() => undefined);
      throw EthdevError.from(cause, 'EIO', `cannot create the ethdev port table ${path}`);
    }
    return EthdevSharedData.wrap(handle, path, header, options);
  }

  /** A secondary's start: the table the primary created (ENOENT when there is none). */
  static async open(options: SharedDataOptions): Promise<EthdevSharedData> {
    const path = join(options.runtimeDir, options.fileName ?? ETHDEV_DATA_FILE);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r+');
    } catch (cause) {
      throw EthdevError.from(cause, 'EIO', `cannot open the ethdev port table ${path} (is the primary process running?)`);
    }
    try {
      // The header never changes once the file has its name, so no lock is needed to read it.
      const bytes = await readFully(handle, HEADER_SIZE, 0);
      const header = decodeHeader(bytes, path);
      const { size } = await handle.stat();
      if (size < tableSize(header.maxPorts)) {
        throw new EthdevError('EBADMSG', `${path}: ${size} bytes, its ${header.maxPorts} slots need ${tableSize(header.maxPorts)}`);
      }
      return await EthdevSharedData.wrap(handle, path, header, options);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  private static async wrap(
    handle: FileHandle,
    path: string,
    header: TableHeader,
    options: SharedDataOptions,
  ): Promise<EthdevSharedData> {
    const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    if (!Number.isSafeInteger(lockTimeoutMs) || lockTimeoutMs < 0) {
      throw new EthdevError('EINVAL', `lockTimeoutMs must be a non-negative whole number of ms, got ${String(lockTimeoutMs)}`);
    }
    const { dev, ino } = await handle.stat();
    const key = `${dev}:${ino}`;
    return new EthdevSharedData(handle, path, header, acquireFileMutex(key), key, options.logger ?? defaultLogger(), lockTimeoutMs);
  }

  read(): Promise<PortTableSnapshot> {
    return this.locked('read', (slots) => snapshotOf(slots));
  }

  allocate(name: string, options: TableAllocateOptions = {}): Promise<SharedPort> {
    checkPortName(name);
    return this.locked('write', (slots) => {
      const { writes, port } = planAllocate(slots, name, options);
      for (const write of writes) this.writeSlot(write);
      const repaired = writes.filter((write) => write.portId !== port.portId).map((write) => write.portId);
      if (repaired.length > 0) this.logger.warning(`${this.path}: repaired corrupt slot(s) of port(s) ${repaired.join(', ')}`);
      return port;
    });
  }

  attach(name: string): Promise<SharedPort> {
    checkPortName(name);
    return this.locked('read', (slots) => {
      const port = findByName(slots, name);
      if (!port) throw new EthdevError('ENODEV', `Device ${name} is not driven by the primary process`);
      return port;
    });
  }

  release(portId: number, options: TableReleaseOptions = {}): Promise<void> {
    checkPortId(portId, this.maxPorts);
    return this.locked('write', (slots) => {
      this.writeSlot(planRelease(slots, portId, options));
    });
  }

  repair(): Promise<number[]> {
    return this.locked('write', (slots) => {
      const writes = planRepair(slots);
      for (const write of writes) this.writeSlot(write);
      return writes.map((write) => write.portId);
    });
  }

  /** Closes the file (other processes keep using it); `unlink` removes it too (the primary at exit). */
  close(options: { unlink?: boolean } = {}): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    this.isClosed = true;
    return this.mutex.run(async () => {
      try {
        if (options.unlink === true) await unlink(this.path).catch(() => undefined);
        await this.handle.close();
      } finally {
        releaseFileMutex(this.mutexKey);
      }
    });
  }

  /** Runs `work` on the decoded slots while holding the in-process mutex and the fcntl lock. */
  private locked<T>(type: 'read' | 'write', work: (slots: DecodedSlot[]) => T | Promise<T>): Promise<T> {
    if (this.isClosed) return Promise.reject(new EthdevError('EBADF', `the port table ${this.path} is closed`));
    return this.mutex.run(async () => {
      if (this.isClosed) throw new EthdevError('EBADF', `the port table ${this.path} is closed`);
      const fd = this.handle.fd;
      await setRecordLock(fd, type, { start: 0, length: 0 }, { wait: true, timeoutMs: this.lockTimeoutMs, name: this.path });
      try {
        // Synchronous on purpose: a page-cache copy, see the top of this file.
        const bytes = readFullySync(fd, tableSize(this.maxPorts), 0);
        const slots: DecodedSlot[] = [];
        for (let portId = 0; portId < this.maxPorts; portId++) {
          const offset = slotOffset(portId);
          slots.push(decodeSlot(bytes.subarray(offset, offset + SLOT_SIZE), portId));
        }
        this.reporter.note(slots);
        const result = await work(slots);
        if (type === 'write') this.reporter.note(slots);
        return result;
      } finally {
        await setRecordLock(fd, 'unlock', { start: 0, length: 0 });
      }
    });
  }

  /** One synchronous pwrite of the slot (under the write lock; see the top of this file). */
  private writeSlot(write: SlotWrite): void {
    const data = encodeSlot(write);
    const written = writeSync(this.handle.fd, data, 0, data.length, slotOffset(write.portId));
    // A slot update must be one write: a short one is an error, the torn slot is left for repair.
    if (written !== data.length) {
      throw new EthdevError('EIO', `short write to the port table: ${written} of ${data.length} bytes`);
    }
  }
}

/**
 * Reads `length` bytes at `position`; short only at end of file. pread on a
 * regular file returns everything that exists, the loop is for form's sake.
 */
async function readFully(handle: FileHandle, length: number, position: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) return buffer.subarray(0, done);
    done += bytesRead;
  }
  return buffer;
}

/** readFully's synchronous form, for the locked sections (page-cached file, see the top of this file). */
function readFullySync(fd: number, length: number, position: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const bytesRead = readSync(fd, buffer, done, length - done, position + done);
    if (bytesRead === 0) return buffer.subarray(0, done);
    done += bytesRead;
  }
  return buffer;
}

/** Writes `data` at `position` (the new table's image, before it has its name). */
async function writeFully(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

// ---------------------------------------------------------------------------
// The process-local table (--in-memory / --no-shconf)

export interface MemoryPortTableOptions {
  /** Slot count (RTE_MAX_ETHPORTS); defaults to 32. */
  readonly maxPorts?: number;
  readonly logger?: Logger;
  /**
   * Asked for the id a new port should get, when the caller gave none (a
   * secondary of a DPDK primary asks the primary's telemetry); undefined or
   * an id already in use here means the lowest free id.
   */
  readonly resolvePortId?: (name: string) => Promise<number | undefined> | number | undefined;
}

/**
 * The same table without a file, for `--in-memory` / `--no-shconf` (no shared
 * files). Several EthdevPorts of one process may share one instance, which
 * lets in-process tests stand a primary and secondaries side by side.
 */
export class MemoryPortTable implements PortTable {
  readonly path = null;
  readonly maxPorts: number;
  private readonly slots: DecodedSlot[];
  private readonly mutex = new AsyncMutex();
  private readonly resolvePortId: MemoryPortTableOptions['resolvePortId'];
  private isClosed = false;

  constructor(options: MemoryPortTableOptions = {}) {
    this.maxPorts = checkMaxPorts(options.maxPorts ?? RTE_MAX_ETHPORTS);
    this.resolvePortId = options.resolvePortId;
    this.slots = Array.from({ length: this.maxPorts }, (): DecodedSlot => ({ kind: 'free', generation: 0 }));
  }

  get closed(): boolean {
    return this.isClosed;
  }

  read(): Promise<PortTableSnapshot> {
    return this.locked((slots) => snapshotOf(slots));
  }

  async allocate(name: string, options: TableAllocateOptions = {}): Promise<SharedPort> {
    checkPortName(name);
    let preferredPortId = options.preferredPortId;
    if (preferredPortId === undefined && this.resolvePortId) {
      try {
        preferredPortId = await this.resolvePortId(name);
      } catch {
        preferredPortId = undefined;
      }
    }
    return this.locked((slots) => planAllocate(slots, name, { ...options, ...(preferredPortId !== undefined ? { preferredPortId } : {}) }).port);
  }

  attach(name: string): Promise<SharedPort> {
    checkPortName(name);
    return this.locked((slots) => {
      const port = findByName(slots, name);
      if (!port) throw new EthdevError('ENODEV', `Device ${name} is not driven by the primary process`);
      return port;
    });
  }

  release(portId: number, options: TableReleaseOptions = {}): Promise<void> {
    checkPortId(portId, this.maxPorts);
    return this.locked((slots) => {
      planRelease(slots, portId, options);
    });
  }

  repair(): Promise<number[]> {
    // Nothing can tear a slot in memory.
    return this.locked(() => []);
  }

  close(): Promise<void> {
    this.isClosed = true;
    return Promise.resolve();
  }

  private locked<T>(work: (slots: DecodedSlot[]) => T): Promise<T> {
    if (this.isClosed) return Promise.reject(new EthdevError('EBADF', 'the in-memory port table is closed'));
    return this.mutex.run(() => {
      // Plan on a copy, keep it only when the work succeeds: same all-or-nothing as the file.
      const copy = [...this.slots];
      const result = work(copy);
      copy.forEach((slot, portId) => (this.slots[portId] = slot));
      return Promise.resolve(result);
    });
  }
}
