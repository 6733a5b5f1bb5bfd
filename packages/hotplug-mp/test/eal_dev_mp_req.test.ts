// struct eal_dev_mp_req, byte for byte as DPDK 22.11 on x86-64.
import { describe, expect, it } from 'vitest';
import {
  EAL_DEV_MP_REQ_SIZE,
  checkDevargsLength,
  EalDevMpReqError,
  EalDevReqType,
  decodeEalDevMpReq,
  ealDevReqTypeName,
  encodeEalDevMpReq,
} from '../src/eal_dev_mp_req.js';
import { echoReply } from '../src/hotplug_mp_request.js';

/** Hex of `int32 t; char devargs[128]; int32 result`, little endian, devargs NUL-padded. */
function golden(t: number, devargs: string, result: number): string {
  const le = (v: number) => Buffer.from(Int32Array.of(v).buffer).toString('hex');
  return le(t) + Buffer.from(devargs).toString('hex').padEnd(256, '0') + le(result);
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('eal_dev_mp_req codec', () => {
  it('is 136 bytes: t at 0, devargs at 4 (128 bytes), result at 132', () => {
    expect(EAL_DEV_MP_REQ_SIZE).toBe(136);
    const bytes = encodeEalDevMpReq({ t: EalDevReqType.ATTACH, devargs: 'net_null1', result: 0 });
    expect(bytes.length).toBe(136);
    expect(hex(bytes)).toBe(
      '00000000' + '6e65745f6e756c6c31' + '00'.repeat(128 - 9) + '00000000',
    );
  });

  it('matches golden bytes for every type and a negative result', () => {
    const cases = [
      { t: EalDevReqType.ATTACH, devargs: 'net_null1', result: 0 },
      { t: EalDevReqType.DETACH, devargs: 'vdev:net_null2,', result: -2 },
      { t: EalDevReqType.ATTACH_ROLLBACK, devargs: 'net_null0,size=64', result: -12 },
      { t: EalDevReqType.DETACH_ROLLBACK, devargs: 'vdev:net_null0,', result: -16 },
      { t: EalDevReqType.ATTACH, devargs: 'x'.repeat(127), result: -14 },
    ] as const;
    for (const c of cases) {
      const bytes = encodeEalDevMpReq(c);
      expect(hex(bytes)).toBe(golden(c.t, c.devargs, c.result));
      expect(decodeEalDevMpReq(bytes)).toEqual(c);
    }
    // -17 (EEXIST) as DPDK writes it.
    expect(hex(encodeEalDevMpReq({ t: 0, devargs: 'net_null1', result: -17 })).slice(-8)).toBe('efffffff');
    expect(ealDevReqTypeName(2)).toBe('ATTACH_ROLLBACK');
  });

  it('reads devargs up to the first NUL, whatever follows it', () => {
    const bytes = encodeEalDevMpReq({ t: EalDevReqType.DETACH, devargs: 'net_null1', result: 0 });
    bytes.set(Buffer.from('garbage left by memcpy'), 4 + 10);
    bytes[4 + 127] = 0xff;
    expect(decodeEalDevMpReq(bytes)).toEqual({ t: EalDevReqType.DETACH, devargs: 'net_null1', result: 0 });
    // A reply echoes the request's bytes as DPDK's memcpy does, with the result set.
    const reply = echoReply(bytes, -2);
    expect(hex(reply.subarray(0, 132))).toBe(hex(bytes.subarray(0, 132)));
    expect(decodeEalDevMpReq(reply).result).toBe(-2);
    expect(decodeEalDevMpReq(echoReply(bytes, -2, EalDevReqType.DETACH_ROLLBACK)).t).toBe(EalDevReqType.DETACH_ROLLBACK);
  });

  it('decodes a param that is a view into a larger buffer', () => {
    const big = new Uint8Array(300);
    big.set(encodeEalDevMpReq({ t: 1, devargs: 'net_null3', result: -5 }), 50);
    expect(decodeEalDevMpReq(big.subarray(50, 186))).toEqual({ t: 1, devargs: 'net_null3', result: -5 });
  });

  it('refuses malformed params with the fault named', () => {
    const fault = (param: Uint8Array) => {
      try {
        decodeEalDevMpReq(param);
      } catch (error) {
        expect(error).toBeInstanceOf(EalDevMpReqError);
        return (error as EalDevMpReqError).fault;
      }
      return 'decoded';
    };
    expect(fault(new Uint8Array(135))).toBe('size');
    expect(fault(new Uint8Array(140))).toBe('size');
    expect(fault(new Uint8Array(0))).toBe('size');
    const badType = encodeEalDevMpReq({ t: 0, devargs: 'a', result: 0 });
    badType[0] = 4;
    expect(fault(badType)).toBe('type');
    badType[0] = 0xff;
    badType[3] = 0xff; // -1
    expect(fault(badType)).toBe('type');
    const full = encodeEalDevMpReq({ t: 0, devargs: '', result: 0 });
    full.fill(0x41, 4, 132);
    expect(fault(full)).toBe('devargs-unterminated');
    const notUtf8 = encodeEalDevMpReq({ t: 0, devargs: 'ab', result: 0 });
    notUtf8[4] = 0xc3; // a lone lead byte
    expect(fault(notUtf8)).toBe('devargs-encoding');
  });

  it('refuses devargs of 128 bytes or more (DPDK would cut them) and values that do not fit', () => {
    expect(() => encodeEalDevMpReq({ t: 0, devargs: 'x'.repeat(128), result: 0 })).toThrow(expect.objectContaining({ code: 'E2BIG', reason: 'too-long' }));
    // Bytes, not characters: 64 two-byte characters are 128 bytes.
    expect(() => encodeEalDevMpReq({ t: 0, devargs: 'é'.repeat(64), result: 0 })).toThrow(/128 bytes/);
    expect(() => encodeEalDevMpReq({ t: 0, devargs: 'a\0b', result: 0 })).toThrow(/NUL/);
    // checkDevargsLength on its own, at the edges of its shortcut (under 43 UTF-16 units always fit) and of the field.
    expect(() => checkDevargsLength('x'.repeat(127))).not.toThrow();
    expect(() => checkDevargsLength('x'.repeat(128))).toThrow(/128 bytes/);
    expect(() => checkDevargsLength('€'.repeat(42))).not.toThrow(); // 126 bytes
    expect(() => checkDevargsLength('€'.repeat(43))).toThrow(/129 bytes/);
    expect(() => checkDevargsLength('😀'.repeat(21))).not.toThrow(); // 42 units, 84 bytes
    expect(() => checkDevargsLength('😀'.repeat(32))).toThrow(/128 bytes/);
    expect(() => checkDevargsLength('a\0')).toThrow(/NUL/);
    expect(() => encodeEalDevMpReq({ t: 7 as EalDevReqType, devargs: 'a', result: 0 })).toThrow(RangeError);
    expect(() => encodeEalDevMpReq({ t: 0, devargs: 'a', result: 2 ** 31 })).toThrow(RangeError);
  });
});
