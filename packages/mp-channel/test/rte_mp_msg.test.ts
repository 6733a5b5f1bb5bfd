import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MpCodecError, MpError } from '../src/errors.js';
import {
  decodeMpMsg,
  encodeMpMsg,
  MP_MSG_LAYOUTS,
  MpMsgType,
  RTE_MP_MAX_FD_NUM_24_11,
  RTE_MP_MAX_PARAM_LEN,
  type MpLayout,
  type MpMsgType as MpMsgTypeT,
} from '../src/rte_mp_msg.js';

const layouts: MpLayout[] = ['22.11', '25.11'];

/** Names of 1..63 UTF-8 bytes without NUL. */
const nameArb = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 63 })
  .filter((s) => !s.includes('\0') && Buffer.byteLength(s) >= 1 && Buffer.byteLength(s) < 64);

const msgArb = fc.record({
  type: fc.constantFrom<MpMsgTypeT>(0, 1, 2, 3),
  name: nameArb,
  param: fc.uint8Array({ maxLength: RTE_MP_MAX_PARAM_LEN }),
  numFds: fc.integer({ min: 0, max: RTE_MP_MAX_FD_NUM_24_11 }),
});

function expectCodecErrorOrMessage(bytes: Uint8Array): void {
  try {
    const m = decodeMpMsg(bytes);
    expect(m.param.length).toBeLessThanOrEqual(256);
    expect(Buffer.byteLength(m.name)).toBeGreaterThan(0);
  } catch (error) {
    expect(error).toBeInstanceOf(MpCodecError);
    const e = error as MpCodecError;
    expect(e.code).toBe('EBADMSG');
    expect(['size', 'type', 'name', 'len_param', 'num_fds']).toContain(e.field);
    expect(e.message).toContain('mp message');
  }
}

describe('rte_mp_msg codec', () => {
  it.each(layouts)('round-trips any valid message in layout %s', (layout) => {
    fc.assert(
      fc.property(msgArb, (msg) => {
        const bytes = encodeMpMsg(msg, layout);
        expect(bytes.length).toBe(MP_MSG_LAYOUTS[layout].size);
        const back = decodeMpMsg(bytes);
        expect(back).toEqual({ ...msg, param: new Uint8Array(msg.param), layout });
      }),
    );
  });

  it('decodes every random buffer or throws MpCodecError naming the field', () => {
    const sized = fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      fc.uint8Array({ minLength: 332, maxLength: 332 }),
      fc.uint8Array({ minLength: 340, maxLength: 340 }),
    );
    fc.assert(fc.property(sized, expectCodecErrorOrMessage), { numRuns: 2000 });
  });

  it('decodes or rejects valid messages with one field corrupted, never anything else', () => {
    fc.assert(
      fc.property(
        msgArb,
        fc.constantFrom(...layouts),
        fc.integer({ min: 0, max: 339 }),
        fc.integer({ min: 0, max: 255 }),
        (msg, layout, offset, value) => {
          const bytes = encodeMpMsg(msg, layout);
          bytes[offset % bytes.length] = value;
          expectCodecErrorOrMessage(bytes);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('lays out a 22.11 message at the offsets of DPDK up to 25.07 (332 bytes, little-endian)', () => {
    const bytes = encodeMpMsg(
      { type: MpMsgType.REQ, name: 'eal_dev_mp_request', param: Uint8Array.from([1, 2, 3]), numFds: 2 },
      '22.11',
    );
    const golden = Buffer.alloc(332);
    golden.set([1, 0, 0, 0], 0);
    golden.write('eal_dev_mp_request', 4, 'latin1');
    golden.set([3, 0, 0, 0], 68);
    golden.set([2, 0, 0, 0], 72);
    golden.set([1, 2, 3], 76);
    expect(bytes.toString('hex')).toBe(golden.toString('hex'));
  });

  it('lays out a 25.11 message with the param 8-byte aligned (340 bytes)', () => {
    const bytes = encodeMpMsg({ type: MpMsgType.REP, name: 'bus_vdev_mp', param: Uint8Array.from([9, 8]), numFds: 0 }, '25.11');
    const golden = Buffer.alloc(340);
    golden.set([2, 0, 0, 0], 0);
    golden.write('bus_vdev_mp', 8, 'latin1');
    golden.set([2, 0, 0, 0], 72);
    golden.set([0, 0, 0, 0], 76);
    golden.set([9, 8], 80);
    expect(bytes.toString('hex')).toBe(golden.toString('hex'));
    expect(decodeMpMsg(golden)).toMatchObject({ type: 2, name: 'bus_vdev_mp', numFds: 0, layout: '25.11' });
  });

  it('keeps non-ASCII names as UTF-8 bytes, not latin1', () => {
    const bytes = encodeMpMsg({ type: 0, name: 'café', param: new Uint8Array(), numFds: 0 });
    expect([...bytes.subarray(4, 10)]).toEqual([0x63, 0x61, 0x66, 0xc3, 0xa9, 0]);
    expect(decodeMpMsg(bytes).name).toBe('café');
  });

  it('copies exactly len_param bytes of param', () => {
    const bytes = encodeMpMsg({ type: 0, name: 'x', param: Uint8Array.from([7]), numFds: 0 });
    bytes[77] = 0xff; // beyond len_param: junk a sender may leave
    const m = decodeMpMsg(bytes);
    expect([...m.param]).toEqual([7]);
    bytes[76] = 0;
    expect([...m.param]).toEqual([7]);
  });

  describe('decode rejects', () => {
    const base = (): Buffer => encodeMpMsg({ type: 0, name: 'a', param: new Uint8Array(), numFds: 0 });
    it.each([0, 331, 333, 339, 341, 4096])('size %i', (size) => {
      expect(() => decodeMpMsg(new Uint8Array(size))).toThrow(
        expect.objectContaining({ field: 'size', code: 'EBADMSG' }) as Error,
      );
    });
    it('type outside 0..3', () => {
      const b = base();
      b.writeInt32LE(4, 0);
      expect(() => decodeMpMsg(b)).toThrow(/type 4 out of range: expected 0\.\.3/);
      b.writeInt32LE(-1, 0);
      expect(() => decodeMpMsg(b)).toThrow(expect.objectContaining({ field: 'type' }) as Error);
    });
    it('a name without NUL in 64 bytes, or empty', () => {
      const b = base();
      b.fill(0x41, 4, 68);
      expect(() => decodeMpMsg(b)).toThrow(expect.objectContaining({ field: 'name' }) as Error);
      b.fill(0, 4, 68);
      expect(() => decodeMpMsg(b)).toThrow(/name is empty/);
    });
    it('a name that is not UTF-8', () => {
      const b = base();
      b[4] = 0xff;
      expect(() => decodeMpMsg(b)).toThrow(expect.objectContaining({ field: 'name' }) as Error);
    });
    it('len_param outside 0..256', () => {
      const b = base();
      b.writeInt32LE(300, 68);
      expect(() => decodeMpMsg(b)).toThrow('mp message len_param 300 out of range: expected 0..256');
      b.writeInt32LE(-1, 68);
      expect(() => decodeMpMsg(b)).toThrow(expect.objectContaining({ field: 'len_param' }) as Error);
    });
    it('num_fds outside 0..253', () => {
      const b = base();
      b.writeInt32LE(254, 72);
      expect(() => decodeMpMsg(b)).toThrow('mp message num_fds 254 out of range: expected 0..253');
    });
  });

  describe('encode validates with DPDK errnos', () => {
    const ok = { type: 0 as const, name: 'n', param: new Uint8Array(), numFds: 0 };
    const code = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(MpError);
        return (e as MpError).code;
      }
      return 'no error';
    };
    it('empty name: EINVAL', () => expect(code(() => encodeMpMsg({ ...ok, name: '' }))).toBe('EINVAL'));
    it('name of 64 bytes or more: E2BIG (UTF-8 bytes count)', () => {
      expect(code(() => encodeMpMsg({ ...ok, name: 'x'.repeat(63) }))).toBe('no error');
      expect(code(() => encodeMpMsg({ ...ok, name: 'x'.repeat(64) }))).toBe('E2BIG');
      expect(code(() => encodeMpMsg({ ...ok, name: 'é'.repeat(32) }))).toBe('E2BIG');
    });
    it('param over 256 bytes: E2BIG', () => expect(code(() => encodeMpMsg({ ...ok, param: new Uint8Array(257) }))).toBe('E2BIG'));
    it('numFds over 253: E2BIG', () => expect(code(() => encodeMpMsg({ ...ok, numFds: 254 }))).toBe('E2BIG'));
    it('errno is the negative Linux number, as DPDK returns it', () => {
      try {
        encodeMpMsg({ ...ok, name: '' });
      } catch (e) {
        expect((e as MpError).errno).toBe(-22);
      }
    });
  });
});
