import { describe, expect, it } from 'vitest';
import { Kvargs, KvargsError, RTE_KVARGS_MAX, formatKvargs, parseKvargs } from '../src/index.js';

describe('kvargs parsing (rte_kvargs_parse)', () => {
  it('reads key=value pairs separated by commas, in order', () => {
    const kv = parseKvargs('size=64,copy=1');
    expect(kv.pairs).toEqual([
      { key: 'size', value: '64' },
      { key: 'copy', value: '1' },
    ]);
  });

  it('accepts a key alone, with the value empty', () => {
    const kv = parseKvargs('verbose,size=64');
    expect(kv.get('verbose')).toBe('');
    expect(kv.has('verbose')).toBe(true);
  });

  it('keeps commas inside a bracketed list as part of the value', () => {
    const kv = parseKvargs('list=[a,b,c],x=1');
    expect(kv.get('list')).toBe('[a,b,c]');
    expect(kv.getList('list')).toEqual(['a', 'b', 'c']);
    expect(kv.get('x')).toBe('1');
  });

  it('keeps duplicate keys in order; get answers the first, getAll all of them', () => {
    const kv = parseKvargs('rx=0,tx=2,rx=1');
    expect(kv.get('rx')).toBe('0');
    expect(kv.getAll('rx')).toEqual(['0', '1']);
    expect(kv.count('rx')).toBe(2);
    expect(kv.count()).toBe(3);
    expect([...kv].map((p) => p.key)).toEqual(['rx', 'tx', 'rx']);
  });

  it('skips empty items and a trailing comma, as DPDK does', () => {
    expect(parseKvargs('a=1,,b=2,').pairs).toEqual([
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ]);
    expect(parseKvargs('').count()).toBe(0);
  });

  it('keeps everything after the first = in the value', () => {
    expect(parseKvargs('k=a=b').get('k')).toBe('a=b');
  });

  it('rejects an empty key', () => {
    expect(() => parseKvargs('=v')).toThrow(KvargsError);
  });

  it(`rejects more than ${RTE_KVARGS_MAX} pairs with E2BIG`, () => {
    const text = Array.from({ length: RTE_KVARGS_MAX + 1 }, (_, i) => `k${i}=1`).join(',');
    expect(() => parseKvargs(text)).toThrow(expect.objectContaining({ code: 'E2BIG', errno: -7 }) as Error);
    expect(parseKvargs(text.slice(0, text.lastIndexOf(','))).count()).toBe(RTE_KVARGS_MAX);
  });

  it('rejects a key outside the valid keys, naming it and the accepted ones', () => {
    let caught: unknown;
    try {
      parseKvargs('size=64,bogus=1', ['size', 'copy']);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(KvargsError);
    const err = caught as KvargsError;
    expect(err.code).toBe('EINVAL');
    expect(err.errno).toBe(-22);
    expect(err.key).toBe('bogus');
    expect(err.message).toContain("'bogus'");
    expect(err.message).toContain('size, copy');
  });

  it('formats back to text that parses to the same pairs', () => {
    const kv = parseKvargs('a=1,flag,list=[x,y]');
    expect(formatKvargs(kv)).toBe('a=1,flag,list=[x,y]');
    expect(kv.toString()).toBe('a=1,flag,list=[x,y]');
  });
});

describe('typed kvargs values for drivers', () => {
  const kv = new Kvargs([
    { key: 'size', value: '64' },
    { key: 'hex', value: '0x40' },
    { key: 'copy', value: '1' },
    { key: 'off', value: '0' },
    { key: 'bad', value: 'abc' },
    { key: 'size2', value: '1' },
    { key: 'size2', value: '9000' },
  ]);

  it('reads decimal and 0x integers inside a range', () => {
    expect(kv.getInt('size', { min: 0, max: 65535 })).toBe(64);
    expect(kv.getInt('hex', { min: 0, max: 100 })).toBe(64);
  });

  it('answers the fallback, or undefined, for an absent key', () => {
    expect(kv.getInt('missing', { min: 0 }, 7)).toBe(7);
    expect(kv.getInt('missing')).toBeUndefined();
    expect(kv.getBool('missing', true)).toBe(true);
    expect(kv.getString('missing', 'x')).toBe('x');
  });

  it('fails out of range naming key, value and range', () => {
    expect(() => kv.getInt('size', { min: 128, max: 1024 })).toThrow(
      "invalid value '64' for key 'size': expected an integer in 128..1024",
    );
  });

  it('fails on a non-number naming key and value', () => {
    expect(() => kv.getInt('bad')).toThrow(/'abc' for key 'bad'/);
  });

  it('takes the last of duplicate keys, as a kvargs handler would', () => {
    expect(kv.getInt('size2', { max: 10000 })).toBe(9000);
  });

  it('reads booleans given as 0 or 1 and refuses anything else', () => {
    expect(kv.getBool('copy')).toBe(true);
    expect(kv.getBool('off')).toBe(false);
    expect(() => kv.getBool('bad')).toThrow("invalid value 'abc' for key 'bad': expected 0 or 1");
  });
});
