/**
 * The port table's file layout and its codec (eal-ts's own format: DPDK keeps
 * `struct rte_eth_dev_data` in a memzone and needs none):
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
 * Internal to the package: the tests and fixtures import it directly.
 */
import { crc32 } from 'node:zlib';

import { EthdevError } from './errors.js';
import { MAX_ETHPORTS_LIMIT, RTE_ETH_NAME_MAX_LEN, checkPortName, type SharedPort } from './port_table.js';

const TABLE_MAGIC = 'EALTSETH';
export const TABLE_VERSION = 1;
export const HEADER_SIZE = 128;
export const SLOT_SIZE = 128;

const CRC_OFFSET = 124;
const NAME_OFFSET = 16;

const SLOT_STATE = { FREE: 0, ALLOCATED: 1 } as const;

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
  putU32(buffer, CRC_OFFSET, crc32(buffer.subarray(0, CRC_OFFSET)));
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

/** A little-endian u32 at `offset`, byte by byte (cheaper than Buffer's checked writers on a cold path). */
function putU32(buffer: Buffer, offset: number, value: number): void {
  buffer[offset] = value & 0xff;
  buffer[offset + 1] = (value >>> 8) & 0xff;
  buffer[offset + 2] = (value >>> 16) & 0xff;
  buffer[offset + 3] = (value >>> 24) & 0xff;
}

/** The slot buffer to encode into: `into` (a SLOT_SIZE buffer the caller reuses, zeroed here) or a new one. */
function slotBuffer(into: Buffer | undefined): Buffer {
  if (into === undefined) return Buffer.alloc(SLOT_SIZE);
  if (into.length !== SLOT_SIZE) throw new RangeError(`a slot is encoded into ${SLOT_SIZE} bytes, got ${into.length}`);
  return into.fill(0);
}

/** A free slot; written into `into` when given (reused by the table for every write), else a new buffer. */
export function encodeFreeSlot(portId: number, generation: number, into?: Buffer): Buffer {
  const buffer = slotBuffer(into);
  putU32(buffer, 0, SLOT_STATE.FREE);
  buffer[4] = portId & 0xff;
  buffer[5] = (portId >>> 8) & 0xff;
  putU32(buffer, 8, generation >>> 0);
  return sealed(buffer);
}

/** An allocated slot; written into `into` when given, else a new buffer. */
export function encodeAllocatedSlot(port: SharedPort, into?: Buffer): Buffer {
  const name = checkPortName(port.name);
  const buffer = slotBuffer(into);
  putU32(buffer, 0, SLOT_STATE.ALLOCATED);
  buffer[4] = port.portId & 0xff;
  buffer[5] = (port.portId >>> 8) & 0xff;
  putU32(buffer, 8, port.generation >>> 0);
  putU32(buffer, 12, port.ownerPid >>> 0);
  buffer.set(name, NAME_OFFSET);
  return sealed(buffer);
}

/** A little-endian u32 at `offset` (the caller checked the bounds). */
function getU32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

/** The name field's bytes [NAME_OFFSET, end) as a string: ASCII without a decoder, anything else as Buffer's UTF-8. */
function nameAt(bytes: Buffer, end: number): string {
  let name = '';
  for (let i = NAME_OFFSET; i < end; i++) {
    const byte = bytes[i]!;
    if (byte >= 0x80) return bytes.toString('utf8', NAME_OFFSET, end);
    name += String.fromCharCode(byte);
  }
  return name;
}

/**
 * Decodes the slot of `portId`; anything inconsistent is 'corrupt' with the
 * reason. Reads bytes directly (issue 11: a secondary decodes the slot the
 * primary changed on every attach, and Buffer's checked readers made that
 * one of its larger steps).
 */
export function decodeSlot(bytes: Buffer, portId: number): DecodedSlot {
  const rawGeneration = bytes.length >= 12 ? getU32(bytes, 8) : 0;
  const corrupt = (reason: string): DecodedSlot => ({ kind: 'corrupt', rawGeneration, reason });
  if (bytes.length !== SLOT_SIZE) return corrupt(`short slot (${bytes.length} bytes)`);
  if (getU32(bytes, CRC_OFFSET) !== crc32(bytes.subarray(0, CRC_OFFSET))) return corrupt('checksum mismatch');
  const slotPortId = bytes[4]! | (bytes[5]! << 8);
  if (slotPortId !== portId) return corrupt(`slot holds port id ${slotPortId}`);
  const state = getU32(bytes, 0);
  // The name's NUL, relative to the field: -1 when the 64 bytes have none.
  let nul = 0;
  while (nul < RTE_ETH_NAME_MAX_LEN && bytes[NAME_OFFSET + nul] !== 0) nul++;
  if (nul === RTE_ETH_NAME_MAX_LEN) nul = -1;
  if (state === SLOT_STATE.FREE) {
    if (nul !== 0) return corrupt('free slot with a name');
    return { kind: 'free', generation: rawGeneration };
  }
  if (state !== SLOT_STATE.ALLOCATED) return corrupt(`unknown state ${state}`);
  if (nul <= 0) return corrupt('allocated slot without a name');
  return {
    kind: 'allocated',
    port: { portId, name: nameAt(bytes, NAME_OFFSET + nul), generation: rawGeneration, ownerPid: getU32(bytes, 12) },
  };
}
