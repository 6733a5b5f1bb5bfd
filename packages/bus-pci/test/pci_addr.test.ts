import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EalError } from '@eal-ts/bus';
import { type PciAddr, PciAddrError, comparePciAddr, formatPciAddr, parsePciAddr, tryParsePciAddr } from '../src/index.js';

describe('PCI addresses (rte_pci_addr_parse)', () => {
  it('reads DDDD:BB:DD.F', () => {
    expect(parsePciAddr('0000:00:03.0')).toEqual({ domain: 0, bus: 0, devid: 3, function: 0 });
    expect(parsePciAddr('abcd:ef:1f.7')).toEqual({ domain: 0xabcd, bus: 0xef, devid: 0x1f, function: 7 });
  });

  it('reads BB:DD.F with domain 0 implied', () => {
    expect(parsePciAddr('03:00.1')).toEqual({ domain: 0, bus: 3, devid: 0, function: 1 });
  });

  it('accepts the ranges DPDK accepts: 32-bit domain, 8-bit bus, device and function', () => {
    expect(parsePciAddr('ffffffff:ff:ff.ff')).toEqual({ domain: 0xffffffff, bus: 0xff, devid: 0xff, function: 0xff });
    expect(parsePciAddr('10000:00:00.0').domain).toBe(0x10000);
  });

  it.each([
    ['0000:00:03', 'expected DDDD:BB:DD.F or BB:DD.F'],
    ['0000:100:03.0', 'bus 0x100 is above 0xff'],
    ['0000:00:3g.0', "device '3g' is not hexadecimal"],
    ['100000000:00:00.0', 'domain 0x100000000 is above 0xffffffff'],
    ['0000:00:03.', "function '' is not hexadecimal"],
    ['0x0:00:03.0', "domain '0x0' is not hexadecimal"],
    [' 00:03.0', "bus ' 00' is not hexadecimal"],
    ['net_null0', 'expected DDDD:BB:DD.F'],
  ])('refuses %j saying what is wrong (%s)', (text, why) => {
    expect(() => parsePciAddr(text)).toThrow(PciAddrError);
    expect(() => parsePciAddr(text)).toThrow(why);
    expect(tryParsePciAddr(text)).toBeUndefined();
  });

  it('formats as DPDK names devices: %04x:%02x:%02x.%x', () => {
    expect(formatPciAddr({ domain: 0, bus: 3, devid: 0, function: 1 })).toBe('0000:03:00.1');
  });

  it('compares in domain, bus, device, function order', () => {
    const a = parsePciAddr('0000:00:03.0');
    expect(comparePciAddr(a, parsePciAddr('0000:00:03.1'))).toBe(-1);
    expect(comparePciAddr(parsePciAddr('0001:00:00.0'), a)).toBe(1);
    expect(comparePciAddr(a, parsePciAddr('00:03.0'))).toBe(0);
  });
});

describe('PCI address properties', () => {
  const addr: fc.Arbitrary<PciAddr> = fc.record({
    domain: fc.integer({ min: 0, max: 0xffffffff }),
    bus: fc.integer({ min: 0, max: 0xff }),
    devid: fc.integer({ min: 0, max: 0xff }),
    function: fc.integer({ min: 0, max: 0xff }),
  });

  it('parse(format(addr)) = addr', () => {
    fc.assert(fc.property(addr, (a) => void expect(parsePciAddr(formatPciAddr(a))).toEqual(a)));
  });

  it('comparison agrees with the numeric order DPDK uses', () => {
    fc.assert(
      fc.property(addr, addr, (a, b) => {
        const key = (x: PciAddr): bigint => (BigInt(x.domain) << 24n) | BigInt((x.bus << 16) | (x.devid << 8) | x.function);
        const want = key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
        expect(comparePciAddr(a, b)).toBe(want);
      }),
    );
  });

  it('any string parses or fails with PciAddrError (an EalError, EINVAL)', () => {
    const chars = fc.constantFrom('0', '3', 'f', 'g', ':', '.', ' ', 'x', '-');
    const text = fc.oneof(fc.string({ maxLength: 30 }), fc.array(chars, { maxLength: 16 }).map((xs) => xs.join('')));
    fc.assert(
      fc.property(text, (t) => {
        try {
          parsePciAddr(t);
        } catch (err) {
          expect(err).toBeInstanceOf(PciAddrError);
          expect(err).toBeInstanceOf(EalError);
          expect((err as EalError).errno).toBe(-22);
        }
      }),
    );
  });
});
