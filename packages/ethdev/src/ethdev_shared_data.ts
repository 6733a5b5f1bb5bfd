/**
 * The port table every process of a runtime directory shares — eal-ts's
 * counterpart of DPDK's `eth_dev_shared_data` memzone (lib/ethdev/ethdev_private.c).
 *
 * DPDK keeps `rte_eth_dev_data[RTE_MAX_ETHPORTS]` in hugepage memory mapped
 * by every process and guards it with a spinlock in the shared EAL config.
 * Node cannot map that memory, so eal-ts keeps the table in a file of the
 * runtime directory, `eal_ts_ethdev_data` (its layout: port_table_layout.ts),
 * guarded by fcntl record locks.
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
 * Synchronous I/O under the lock (issue 11): the lock is first tried with a
 * non-blocking F_SETLK (@eal-ts/sys retries with backoff on timers only when
 * another process holds it). The lock and the whole-table pread (4 KiB for
 * 32 ports, at most 512 KiB for MAX_ETHPORTS_LIMIT) are one call into
 * @eal-ts/sys's addon (lockAndReadAtSync, which also unlocks for a read-only
 * section), the comparison with the last read (one memcmp per slot) another
 * (diffChunks), and the 128-byte slot pwrite with the unlock a third
 * (writeAtAndUnlockSync). The file lives in the runtime directory (tmpfs under /run or
 * $XDG_RUNTIME_DIR, or the page cache of /tmp), is never fsync'ed and has
 * just been read or written by a peer, so these calls copy memory to or from
 * the page cache: 0.5 µs for the 4 KiB read and under 1 µs for the write on
 * the 2-vCPU bench VM — less than the two thread wake-ups a libuv threadpool
 * round trip costs (15–300 µs there), and far below anything that would
 * delay other work on the event loop. The crash semantics do not change:
 * same lock, same single positional slot write.
 */
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

import { LogRegistry, type Logger } from '@eal-ts/log';
import { diffChunks, lockAndReadAtSync, readAtSync, setRecordLock, trySetRecordLockSync, writeAtAndUnlockSync, writeAtSync } from '@eal-ts/sys';

import { EthdevError } from './errors.js';
import { AsyncMutex } from './mutex.js';
import { RTE_MAX_ETHPORTS, checkMaxPorts, checkPortId, checkPortName, type PortTable, type PortTableSnapshot, type SharedPort, type TableAllocateOptions, type TableReleaseOptions } from './port_table.js';
import { HEADER_SIZE, SLOT_SIZE, TABLE_VERSION, decodeHeader, decodeSlot, encodeFreeSlot, encodeHeader, slotOffset, tableSize, type DecodedSlot, type TableHeader } from './port_table_layout.js';
import { type SlotWrite, encodeSlot, findByName, planAllocate, planRelease, planRepair, snapshotOf } from './port_table_plan.js';

/** The table's file name in the runtime directory (DPDK has no such file; the name avoids DPDK's own). */
export const ETHDEV_DATA_FILE = 'eal_ts_ethdev_data';

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

  /** Whether some slot is reported corrupt now. */
  get reporting(): boolean {
    return this.reported.size > 0;
  }

  /** Runs on every locked access: a plain loop that touches the set only while something is reported (issue 11). */
  note(slots: readonly DecodedSlot[]): void {
    for (let portId = 0; portId < slots.length; portId++) {
      const slot = slots[portId]!;
      if (slot.kind === 'corrupt') {
        if (!this.reported.has(portId)) {
          this.reported.add(portId);
          this.logger.warning(
            `${this.where}: slot of port ${portId} is corrupt (${slot.reason}); ` +
              'skipped until the primary repairs it',
          );
        }
      } else if (this.reported.size > 0) this.reported.delete(portId);
    }
  }
}

// ---------------------------------------------------------------------------
// The file table

/**
 * The table as this process last read it, decoded (issue 11). Every locked
 * operation still reads the whole table (one page-cache copy, 4 KiB for 32
 * ports): that read is what sees other processes' updates. But a slot is
 * decoded again (CRC-32, name, fields) only when its 128 bytes differ from
 * the bytes its cached decoding came from, and an unchanged table (the usual
 * case: nobody else wrote since this process's last operation) is one
 * memcmp. Decoding is a pure function of a slot's bytes and its index, so
 * the cache changes nothing a reader concludes: a slot torn by a writer
 * killed mid-write has bytes no cached decoding came from, is decoded, fails
 * its checksum and is reported corrupt, exactly as without the cache. A
 * slot this process writes is cached with the bytes it wrote, and only once
 * the whole write succeeded.
 */
class TableView {
  private current: Buffer;
  private spare: Buffer;
  private readonly decoded: DecodedSlot[] = [];
  private valid = false;

  constructor(private readonly maxPorts: number) {
    this.current = Buffer.alloc(tableSize(maxPorts));
    this.spare = Buffer.alloc(tableSize(maxPorts));
  }

  /** Where the next whole-table read goes (then `accept` its length). */
  get target(): Buffer {
    return this.spare;
  }

  /** Reads the whole table (under the caller's lock); true when it differs from the last read. */
  load(fd: number): boolean {
    return this.accept(readAtSync(fd, this.spare, 0));
  }

  /** `length` bytes were just read into `target` (under a lock): true when they differ from the last read. */
  accept(length: number): boolean {
    const bytes = this.spare;
    const previous = this.current;
    if (this.valid && length === bytes.length) {
      // One memcmp per 128-byte chunk in one addon call; chunk 0 is the header, chunk k + 1 is slot k.
      const changed = diffChunks(bytes, previous, SLOT_SIZE);
      if (changed.length === 0) return false;
      for (const chunk of changed) {
        if (chunk === 0) continue;
        const portId = chunk - 1;
        const offset = slotOffset(portId);
        this.decoded[portId] = decodeSlot(bytes.subarray(offset, offset + SLOT_SIZE), portId);
      }
    } else {
      // No trusted base (the first read, or the last one was short): decode what was read.
      for (let portId = 0; portId < this.maxPorts; portId++) {
        const offset = slotOffset(portId);
        this.decoded[portId] = decodeSlot(bytes.subarray(offset, Math.min(offset + SLOT_SIZE, Math.max(offset, length))), portId);
      }
    }
    // A short read (a truncated file) is never trusted as a base for the next comparison.
    this.valid = length === bytes.length;
    this.current = bytes;
    this.spare = previous;
    return true;
  }

  /** The decoded slots, as a copy the caller may plan on. */
  slots(): DecodedSlot[] {
    return this.decoded.slice();
  }

  /** `data`, the encoding of `write.slot`, is now in the file at the slot's place. */
  wrote(write: SlotWrite, data: Buffer): void {
    data.copy(this.current, slotOffset(write.portId));
    this.decoded[write.portId] = write.slot;
  }
}

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
  private readonly view: TableView;
  /** Every slot write is encoded here (under the lock, one at a time): no buffer per write. */
  private readonly slotScratch = Buffer.alloc(SLOT_SIZE);
  /**
   * The last slot write of the running critical section, not written yet:
   * on the synchronous path it goes out with the unlock in one addon call
   * (writeAtAndUnlockSync). Any write before it is made when the next one
   * comes, so every write but the last has landed while `work` still runs.
   */
  private deferred: SlotWrite | undefined;
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
    this.view = new TableView(header.maxPorts);
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

    const temporary = `${path}.${process.pid}.${Math.random().toString(16).slice(2, 14)}.tmp`; // 'wx' below: unique, not secret
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
      const stat = await handle.stat();
      if (stat.size < tableSize(header.maxPorts)) {
        throw new EthdevError('EBADMSG', `${path}: ${stat.size} bytes, its ${header.maxPorts} slots need ${tableSize(header.maxPorts)}`);
      }
      return await EthdevSharedData.wrap(handle, path, header, options, stat);
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
    /** The file's stat when the caller has it already (a secondary's open). */
    known?: { dev: number; ino: number },
  ): Promise<EthdevSharedData> {
    const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    if (!Number.isSafeInteger(lockTimeoutMs) || lockTimeoutMs < 0) {
      throw new EthdevError('EINVAL', `lockTimeoutMs must be a non-negative whole number of ms, got ${String(lockTimeoutMs)}`);
    }
    const { dev, ino } = known ?? (await handle.stat());
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

  /**
   * Runs `work` on the decoded slots while holding the in-process mutex and
   * the fcntl lock. `work` is synchronous, so when nothing in this process
   * holds or waits for the table and the lock is free, the whole critical
   * section runs now, in this call, and no other task can interleave: the
   * lock and the read are one addon call (a read-only section also unlocks
   * in it), and the last slot write and the unlock another (issue 11: no
   * promise machinery, and on a process that has idled each addon call
   * costs microseconds). Only a lock held elsewhere (or a queue here) takes
   * the async path, which waits with backoff under the deadline.
   */
  private locked<T>(type: 'read' | 'write', work: (slots: DecodedSlot[]) => T): Promise<T> {
    if (this.isClosed) return Promise.reject(new EthdevError('EBADF', `the port table ${this.path} is closed`));
    if (this.mutex.pending === 0) {
      const fd = this.handle.fd;
      try {
        const length = lockAndReadAtSync(fd, type, this.view.target, 0, type === 'read');
        if (length !== null) {
          // A read-only section was unlocked by the read itself; a write section ends in endWrites, whatever happens.
          if (type === 'read') return Promise.resolve(this.run(this.view.accept(length), type, work));
          try {
            return Promise.resolve(this.run(this.view.accept(length), type, work));
          } finally {
            this.endWrites(fd, true);
          }
        }
      } catch (error) {
        // What the async path would reject with: the lock's SysError, or what the work threw.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        return Promise.reject(error);
      }
    }
    return this.mutex.run(async () => {
      if (this.isClosed) throw new EthdevError('EBADF', `the port table ${this.path} is closed`);
      const fd = this.handle.fd;
      await setRecordLock(fd, type, { start: 0, length: 0 }, { wait: true, timeoutMs: this.lockTimeoutMs, name: this.path });
      try {
        try {
          return this.run(this.view.load(fd), type, work);
        } finally {
          this.endWrites(fd, false);
        }
      } finally {
        await setRecordLock(fd, 'unlock', { start: 0, length: 0 });
      }
    });
  }

  /** The critical section after the read: run `work` on the slots, report corruption. */
  private run<T>(changed: boolean, type: 'read' | 'write', work: (slots: DecodedSlot[]) => T): T {
    const slots = this.view.slots();
    if (changed) this.reporter.note(slots);
    const result = work(slots);
    // A write can only free a reported slot (never corrupt one): nothing to look at while nothing is reported.
    if (type === 'write' && this.reporter.reporting) this.reporter.note(slots);
    return result;
  }

  /**
   * One slot write, under the write lock (see the top of this file). It is
   * made when the next write comes or when the section ends (endWrites), so
   * that the last one can carry the unlock.
   */
  private writeSlot(write: SlotWrite): void {
    const before = this.deferred;
    this.deferred = write;
    if (before) this.writeNow(before, false);
  }

  /**
   * Ends a write section: the deferred write is made, and with `unlock` the
   * lock is released in the same call (or alone when there was nothing to
   * write), even when the write fails. Without `unlock`, the caller
   * releases the lock (the waiting path, and any failure of an earlier write
   * ends up here or there).
   */
  private endWrites(fd: number, unlock: boolean): void {
    const last = this.deferred;
    this.deferred = undefined;
    if (last) this.writeNow(last, unlock);
    else if (unlock) trySetRecordLockSync(fd, 'unlock');
  }

  private writeNow(write: SlotWrite, unlock: boolean): void {
    const data = encodeSlot(write, this.slotScratch);
    const at = slotOffset(write.portId);
    let written: number;
    try {
      written = unlock ? writeAtAndUnlockSync(this.handle.fd, data, at) : writeAtSync(this.handle.fd, data, at);
    } catch (error) {
      // Nothing after a failed write: the section ends (and unlocks) in endWrites or its caller.
      this.deferred = undefined;
      throw error;
    }
    // A slot update must be one write: a short one is an error, the torn slot is left for repair.
    if (written !== data.length) {
      throw new EthdevError('EIO', `short write to the port table: ${written} of ${data.length} bytes`);
    }
    this.view.wrote(write, data);
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

/** Fills `buffer` from the start of the file; the bytes read, fewer only at end of file (page-cached file, see the top of this file). */
/** Writes `data` at `position` (the new table's image, before it has its name). */
async function writeFully(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

