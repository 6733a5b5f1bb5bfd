import { MpCodecError, MpError } from './errors.js';

/** Longest action name including its NUL (rte_eal.h). */
export const RTE_MP_MAX_NAME_LEN = 64;
/** Largest param payload. */
export const RTE_MP_MAX_PARAM_LEN = 256;
/** File descriptors per message up to DPDK 24.07. */
export const RTE_MP_MAX_FD_NUM = 8;
/** File descriptors per message from DPDK 24.11 (SCM_MAX_FD); the most a receiver accepts. */
export const RTE_MP_MAX_FD_NUM_24_11 = 253;

/** Message types (enum mp_type); the wire value is the number. */
export const MpMsgType = { MSG: 0, REQ: 1, REP: 2, IGN: 3 } as const;
export type MpMsgType = (typeof MpMsgType)[keyof typeof MpMsgType];

const TYPE_NAMES = ['MSG', 'REQ', 'REP', 'IGN'] as const;
export type MpMsgTypeName = (typeof TYPE_NAMES)[number];
export function mpMsgTypeName(type: MpMsgType): MpMsgTypeName {
  return TYPE_NAMES[type];
}

/**
 * The two layouts of struct mp_msg_internal on the wire. DPDK 25.11 aligned
 * the param array to 8 bytes, which moved every field after `type`; the
 * datagram size tells them apart.
 */
export type MpLayout = '22.11' | '25.11';

export interface MpLayoutOffsets {
  readonly size: number;
  readonly type: number;
  readonly name: number;
  readonly lenParam: number;
  readonly numFds: number;
  readonly param: number;
}

export const MP_MSG_LAYOUTS: Readonly<Record<MpLayout, MpLayoutOffsets>> = {
  '22.11': { size: 332, type: 0, name: 4, lenParam: 68, numFds: 72, param: 76 },
  '25.11': { size: 340, type: 0, name: 8, lenParam: 72, numFds: 76, param: 80 },
};

export const MP_MSG_SIZES: readonly number[] = [MP_MSG_LAYOUTS['22.11'].size, MP_MSG_LAYOUTS['25.11'].size];

export function isMpLayout(value: unknown): value is MpLayout {
  return value === '22.11' || value === '25.11';
}

/** One message as the codec sees it: the fds themselves travel beside the body, only their count is inside. */
export interface MpMsg {
  readonly type: MpMsgType;
  readonly name: string;
  readonly param: Uint8Array;
  readonly numFds: number;
}

export interface DecodedMpMsg extends MpMsg {
  readonly layout: MpLayout;
}

// Names are compared byte for byte by DPDK; a name that is not UTF-8 could not
// be matched against any action registered from JavaScript anyway.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Checks an action name as DPDK's validate_action_name does and returns its
 * length in UTF-8 bytes, without encoding it: empty is EINVAL, 64 bytes or
 * more (no room for the NUL) is E2BIG.
 */
export function checkMpName(name: string): number {
  if (typeof name !== 'string' || name.length === 0) throw new MpError('EINVAL', 'mp action name is empty: expected 1..63 bytes');
  if (name.includes('\0')) throw new MpError('EINVAL', `mp action name ${JSON.stringify(name)} contains a NUL byte`);
  const length = Buffer.byteLength(name, 'utf8');
  if (length >= RTE_MP_MAX_NAME_LEN) {
    throw new MpError(
      'E2BIG',
      `mp action name ${JSON.stringify(name)} is ${length} bytes in UTF-8: expected 1..${RTE_MP_MAX_NAME_LEN - 1}`,
    );
  }
  return length;
}

/** checkMpName, returning the name's bytes. */
export function encodeMpName(name: string): Buffer {
  checkMpName(name);
  return Buffer.from(name, 'utf8');
}

/** Serialises one message in host (little-endian) order, padding and unused param bytes zeroed. */
export function encodeMpMsg(msg: MpMsg, layout: MpLayout = '22.11'): Buffer {
  return encodeInto(msg, layout, (size) => Buffer.alloc(size));
}

/**
 * encodeMpMsg into a slice of Node's shared buffer pool (zeroed here), for a
 * datagram that only goes to a socket: no backing store of its own to
 * allocate and collect per message. Not for callers that keep the result or
 * look at its `.buffer`.
 */
export function encodeMpMsgForSend(msg: MpMsg, layout: MpLayout): Buffer {
  return encodeInto(msg, layout, (size) => Buffer.allocUnsafe(size).fill(0));
}

/**
 * The UTF-8 bytes of action names already checked, by name: a channel sends
 * the same few names over and over (issue 11: checking and writing the name
 * through Buffer's helpers was a good part of encoding a message on a cold
 * path). Bounded; names past the bound are checked and encoded each time.
 */
const NAME_CACHE_MAX = 64;
const nameBytesCache = new Map<string, Uint8Array>();

/** checkMpName (EINVAL/E2BIG) with a memory: a name that passed once is not measured again. */
export function checkedNameBytes(name: string): Uint8Array {
  let bytes = nameBytesCache.get(name);
  if (bytes === undefined) {
    bytes = encodeMpName(name);
    if (nameBytesCache.size < NAME_CACHE_MAX) nameBytesCache.set(name, bytes);
  }
  return bytes;
}

/** A little-endian int32 at `offset`, byte by byte (the caller checked the bounds). */
function setInt32At(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = (value >>> 24) & 0xff;
}

function encodeInto(msg: MpMsg, layout: MpLayout, alloc: (size: number) => Buffer): Buffer {
  if (!isMpLayout(layout)) throw new MpError('EINVAL', `unknown mp layout ${String(layout)}: expected '22.11' or '25.11'`);
  const at = MP_MSG_LAYOUTS[layout];
  if (!Number.isInteger(msg.type) || msg.type < 0 || msg.type > 3) {
    throw new MpError('EINVAL', `mp message type ${String(msg.type)} out of range: expected 0..3`);
  }
  const name = checkedNameBytes(msg.name);
  if (msg.param.length > RTE_MP_MAX_PARAM_LEN) {
    throw new MpError('E2BIG', `mp message param is ${msg.param.length} bytes: expected 0..${RTE_MP_MAX_PARAM_LEN}`);
  }
  if (!Number.isInteger(msg.numFds) || msg.numFds < 0) {
    throw new MpError('EINVAL', `mp message num_fds ${msg.numFds} is negative or not an integer`);
  }
  if (msg.numFds > RTE_MP_MAX_FD_NUM_24_11) {
    throw new MpError('E2BIG', `mp message num_fds ${msg.numFds} too big: expected 0..${RTE_MP_MAX_FD_NUM_24_11}`);
  }
  const out = alloc(at.size);
  // Written in place (the name's NUL and the padding left zero by alloc): no intermediate Buffer per message.
  setInt32At(out, at.type, msg.type);
  out.set(name, at.name);
  setInt32At(out, at.lenParam, msg.param.length);
  setInt32At(out, at.numFds, msg.numFds);
  out.set(msg.param, at.param);
  return out;
}

/** A little-endian int32 at `offset` (the caller checked the bounds). */
function int32At(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) | 0;
}

/** An action name's bytes as a string: ASCII (every name DPDK uses) without a decoder, anything else strictly as UTF-8. */
function decodeName(bytes: Uint8Array, start: number, end: number): string {
  let name = '';
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte >= 0x80) return utf8.decode(new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start));
    name += String.fromCharCode(byte);
  }
  return name;
}

/**
 * Parses one datagram, choosing the layout by its size, with the sanity
 * checks of DPDK's read_msg plus a well-formed name. Throws MpCodecError
 * naming the offending field; never anything else.
 */
export function decodeMpMsg(bytes: Uint8Array): DecodedMpMsg {
  const layout = bytes.length === 332 ? '22.11' : bytes.length === 340 ? '25.11' : undefined;
  if (layout === undefined) {
    throw new MpCodecError('size', `mp message size ${bytes.length} bytes: expected 332 (DPDK up to 25.07) or 340 (25.11+)`);
  }
  const at = MP_MSG_LAYOUTS[layout];
  const type = int32At(bytes, at.type);
  if (type < 0 || type > 3) throw new MpCodecError('type', `mp message type ${type} out of range: expected 0..3 (MSG, REQ, REP, IGN)`);

  const nameEnd = at.name + RTE_MP_MAX_NAME_LEN;
  let nul = at.name;
  while (nul < nameEnd && bytes[nul] !== 0) nul++;
  if (nul === nameEnd) throw new MpCodecError('name', `mp message name is not NUL-terminated within ${RTE_MP_MAX_NAME_LEN} bytes`);
  if (nul === at.name) throw new MpCodecError('name', 'mp message name is empty: expected 1..63 bytes');
  let name: string;
  try {
    name = decodeName(bytes, at.name, nul);
  } catch {
    throw new MpCodecError('name', 'mp message name is not valid UTF-8');
  }

  const lenParam = int32At(bytes, at.lenParam);
  if (lenParam < 0 || lenParam > RTE_MP_MAX_PARAM_LEN) {
    throw new MpCodecError('len_param', `mp message len_param ${lenParam} out of range: expected 0..${RTE_MP_MAX_PARAM_LEN}`);
  }
  const numFds = int32At(bytes, at.numFds);
  if (numFds < 0 || numFds > RTE_MP_MAX_FD_NUM_24_11) {
    throw new MpCodecError('num_fds', `mp message num_fds ${numFds} out of range: expected 0..${RTE_MP_MAX_FD_NUM_24_11}`);
  }
  // A copy: the param outlives the datagram's buffer.
  const param = new Uint8Array(lenParam);
  param.set(new Uint8Array(bytes.buffer, bytes.byteOffset + at.param, lenParam));
  return { type: type as MpMsgType, name, param, numFds, layout };
}
