import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DevargsError,
  type Devargs,
  EalError,
  type KvPair,
  formatDevargs,
  formatKvargs,
  parseDevargs,
  parseKvargs,
} from '../src/index.js';
import { setup } from './helpers.js';

const key = fc.stringMatching(/^[a-z_][a-z0-9_]{0,7}$/);
const plainValue = fc.stringMatching(/^[a-zA-Z0-9:._-]{0,8}$/);
const listValue = fc.array(fc.stringMatching(/^[a-z0-9-]{1,4}$/), { maxLength: 4 }).map((xs) => `[${xs.join(',')}]`);
const pair: fc.Arbitrary<KvPair> = fc.record({ key, value: fc.oneof(plainValue, listValue) });
const pairs = fc.array(pair, { maxLength: 6 });

describe('kvargs properties', () => {
  it('parse(format(pairs)) gives the pairs back', () => {
    fc.assert(
      fc.property(pairs, (ps) => {
        expect(parseKvargs(formatKvargs(ps)).pairs).toEqual(ps);
      }),
    );
  });

  it('any string either parses or fails with KvargsError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseKvargs(text);
        } catch (err) {
          expect(err).toBeInstanceOf(EalError);
          expect((err as EalError).name).toBe('KvargsError');
        }
      }),
    );
  });
});

const vdevName = fc.tuple(fc.constantFrom('net_null', 'net_ring'), fc.stringMatching(/^[a-z0-9_]{0,10}$/)).map(([a, b]) => a + b);
const hex = (n: number, max: number): fc.Arbitrary<string> => fc.integer({ min: 0, max }).map((v) => v.toString(16).padStart(n, '0'));
const pciName = fc.tuple(hex(4, 0xffff), hex(2, 0xff), hex(2, 0xff), fc.integer({ min: 0, max: 7 })).map(([d, b, s, f]) => `${d}:${b}:${s}.${f}`);
const argsText = pairs.map((ps) => formatKvargs(ps));

const legacyDevargs: fc.Arbitrary<Devargs> = fc
  .tuple(fc.oneof(fc.tuple(fc.constant('vdev'), vdevName), fc.tuple(fc.constant('pci'), pciName)), argsText)
  .map(([[bus, name], args]) => ({ form: 'legacy', bus, name, args, busArgs: '', className: null, classArgs: '', driver: null }));

const layeredDevargs: fc.Arbitrary<Devargs> = fc
  .record({
    name: pciName,
    className: fc.option(fc.constantFrom('eth', 'crypto'), { nil: null }),
    classArgs: argsText,
    driver: fc.option(fc.stringMatching(/^net_[a-z]{1,6}$/), { nil: null }),
    args: argsText,
  })
  .map((r) => ({
    form: 'layered' as const,
    bus: 'pci',
    name: r.name,
    busArgs: `addr=${r.name}`,
    className: r.className,
    classArgs: r.className === null ? '' : r.classArgs,
    driver: r.driver,
    args: r.driver === null ? '' : r.args,
  }));

describe('devargs properties', () => {
  const { registry } = setup();

  it('parse(format(devargs)) gives the devargs back', () => {
    fc.assert(
      fc.property(fc.oneof(legacyDevargs, layeredDevargs), (da) => {
        fc.pre(Buffer.byteLength(formatDevargs(da)) < 128);
        expect(parseDevargs(registry, formatDevargs(da))).toEqual(da);
      }),
    );
  });

  it('any string either parses or fails with DevargsError or KvargsError', () => {
    const pieces = fc.constantFrom('bus=', 'pci', 'vdev', 'class=', 'driver=', '/', ',', ':', '=', '[', ']', 'net_null0', '0000:00:03.0', 'x');
    const text = fc.oneof(fc.string({ maxLength: 140 }), fc.array(pieces, { maxLength: 20 }).map((xs) => xs.join('')));
    fc.assert(
      fc.property(text, (t) => {
        try {
          parseDevargs(registry, t);
        } catch (err) {
          expect(err).toBeInstanceOf(EalError);
          expect(err instanceof DevargsError || (err as Error).name === 'KvargsError').toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
