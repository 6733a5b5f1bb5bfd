import { DEVARGS_MAX_LEN, DevargsError } from '@eal-ts/bus';
import { EalTsError } from '@eal-ts/errno';
import { describeResult } from './errors.js';

/** The mp action of every hotplug message, both ways (EAL_DEV_MP_ACTION_REQUEST). */
export const EAL_DEV_MP_ACTION_REQUEST = 'eal_dev_mp_request';

/** EAL_DEV_MP_DEV_ARGS_MAX_LEN: the devargs field, NUL included. */
export const EAL_DEV_MP_DEV_ARGS_MAX_LEN = DEVARGS_MAX_LEN;

/** sizeof(struct eal_dev_mp_req): int32 t, char devargs[128], int32 result. */
export const EAL_DEV_MP_REQ_SIZE = 4 + EAL_DEV_MP_DEV_ARGS_MAX_LEN + 4;

const OFFSET_T = 0;
const OFFSET_DEVARGS = 4;
const OFFSET_RESULT = OFFSET_DEVARGS + EAL_DEV_MP_DEV_ARGS_MAX_LEN;

/** enum eal_dev_req_type. */
export const EalDevReqType = {
  ATTACH: 0,
  DETACH: 1,
  ATTACH_ROLLBACK: 2,
  DETACH_ROLLBACK: 3,
} as const;
export type EalDevReqType = (typeof EalDevReqType)[keyof typeof EalDevReqType];

const TYPE_NAMES: Record<EalDevReqType, string> = {
  0: 'ATTACH',
  1: 'DETACH',
  2: 'ATTACH_ROLLBACK',
  3: 'DETACH_ROLLBACK',
};

export function isEalDevReqType(value: number): value is EalDevReqType {
  return Number.isInteger(value) && value >= 0 && value <= 3;
}

/** 'ATTACH' … for logs; unknown numbers as `type <n>`. */
export function ealDevReqTypeName(t: number): string {
  return isEalDevReqType(t) ? TYPE_NAMES[t] : `type ${t}`;
}

/** struct eal_dev_mp_req. */
export interface EalDevMpReq {
  t: EalDevReqType;
  /** Without the NUL; at most 127 UTF-8 bytes. */
  devargs: string;
  /** 0 or a negative errno. */
  result: number;
}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Why a param is not a well-formed eal_dev_mp_req. */
export type EalDevMpReqFault = 'size' | 'type' | 'devargs-unterminated' | 'devargs-encoding';

/** A param that does not decode; `t` is what could be read of it (for the -EINVAL answer). */
export class EalDevMpReqError extends EalTsError<'EINVAL'> {
  constructor(
    readonly fault: EalDevMpReqFault,
    message: string,
    readonly t: number | undefined,
  ) {
    super('EINVAL', message);
  }
}

/**
 * Checks that devargs fit the message (127 bytes and the NUL). DPDK's
 * strlcpy silently cuts longer ones; we refuse them before anything is sent,
 * with the bus package's E2BIG DevargsError.
 */
export function checkDevargsLength(devargs: string): void {
  // At most 3 UTF-8 bytes per UTF-16 code unit: devargs shorter than a third
  // of the field always fit, and are not encoded just to be measured.
  if (devargs.length * 3 >= EAL_DEV_MP_DEV_ARGS_MAX_LEN) {
    const length = utf8.encode(devargs).length;
    if (length >= EAL_DEV_MP_DEV_ARGS_MAX_LEN) {
      throw new DevargsError(
        'E2BIG',
        'too-long',
        devargs,
        `devargs '${devargs.slice(0, 40)}…' are ${length} bytes; at most ${EAL_DEV_MP_DEV_ARGS_MAX_LEN - 1} fit in a hotplug message`,
      );
    }
  }
  if (devargs.includes('\0')) {
    throw new DevargsError('EINVAL', 'syntax', devargs, 'devargs contain a NUL byte');
  }
}

/** The 136-byte param, little endian as on x86-64; the bytes after the devargs' NUL are zero. */
export function encodeEalDevMpReq(req: EalDevMpReq): Uint8Array {
  if (!isEalDevReqType(req.t)) throw new RangeError(`unknown hotplug request type ${String(req.t)}`);
  if (!Number.isInteger(req.result) || req.result < -0x8000_0000 || req.result > 0x7fff_ffff) {
    throw new RangeError(`hotplug result ${req.result} is not an int32`);
  }
  const out = new Uint8Array(EAL_DEV_MP_REQ_SIZE);
  // Encoded once, straight into the field; one that does not fit with its NUL is refused as checkDevargsLength does.
  const { read, written } = utf8.encodeInto(req.devargs, out.subarray(OFFSET_DEVARGS, OFFSET_RESULT - 1));
  if (read !== req.devargs.length || written >= EAL_DEV_MP_DEV_ARGS_MAX_LEN || req.devargs.includes('\0')) checkDevargsLength(req.devargs);
  const view = new DataView(out.buffer);
  view.setInt32(OFFSET_T, req.t, true);
  view.setInt32(OFFSET_RESULT, req.result, true);
  return out;
}

/**
 * The first `length` bytes as a string when they are all ASCII (every
 * devargs DPDK sends in practice), else undefined: the strict UTF-8 decoder
 * is the slow path (issue 11: on a cold path it cost more than the rest of
 * the decoding).
 */
function asciiOf(bytes: Uint8Array, length: number): string | undefined {
  let text = '';
  for (let i = 0; i < length; i++) {
    const byte = bytes[i]!;
    if (byte >= 0x80) return undefined;
    text += String.fromCharCode(byte);
  }
  return text;
}

/**
 * Reads a param tolerantly: the devargs end at the first NUL, whatever
 * follows it (DPDK copies structs around and may leave bytes there).
 * Throws EalDevMpReqError for a wrong size, an unknown type, devargs
 * without a NUL in their 128 bytes, or devargs that are not UTF-8.
 */
export function decodeEalDevMpReq(param: Uint8Array): EalDevMpReq {
  const view = new DataView(param.buffer, param.byteOffset, param.byteLength);
  const t = param.length >= 4 ? view.getInt32(OFFSET_T, true) : undefined;
  if (param.length !== EAL_DEV_MP_REQ_SIZE) {
    throw new EalDevMpReqError('size', `param is ${param.length} bytes, expected ${EAL_DEV_MP_REQ_SIZE}`, t);
  }
  if (t === undefined || !isEalDevReqType(t)) {
    throw new EalDevMpReqError('type', `unknown request type ${String(t)}`, t);
  }
  const field = param.subarray(OFFSET_DEVARGS, OFFSET_RESULT);
  const nul = field.indexOf(0);
  if (nul < 0) {
    throw new EalDevMpReqError('devargs-unterminated', `devargs are not NUL-terminated within ${EAL_DEV_MP_DEV_ARGS_MAX_LEN} bytes`, t);
  }
  let devargs = asciiOf(field, nul);
  if (devargs === undefined) {
    try {
      devargs = strictUtf8.decode(field.subarray(0, nul));
    } catch {
      throw new EalDevMpReqError('devargs-encoding', 'devargs are not valid UTF-8', t);
    }
  }
  return { t, devargs, result: view.getInt32(OFFSET_RESULT, true) };
}

/**
 * One line for people (eal-mp listen, traces): `ATTACH "vdev:net_null0" result 0`,
 * `DETACH "pci:0000:00:01.0" result ENODEV (-19)`; devargs quoted as JSON. Throws EalDevMpReqError for a
 * param that does not decode; an MpParamDecoders registry shows that as
 * "undecodable: <why>".
 */
export function describeEalDevMpReq(param: Uint8Array): string {
  const req = decodeEalDevMpReq(param);
  return `${ealDevReqTypeName(req.t)} ${JSON.stringify(req.devargs)} result ${req.result === 0 ? '0' : describeResult(req.result)}`;
}
