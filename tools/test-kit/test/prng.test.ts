import { describe, expect, it } from 'vitest';
import { Prng } from '../src/prng.js';

describe('Prng', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const seqA = Array.from({ length: 8 }, () => a.next());
    expect(Array.from({ length: 8 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 8 }, () => c.next())).not.toEqual(seqA);
    for (const x of seqA) expect(x >= 0 && x < 1).toBe(true);
  });

  it('keeps int, range and pick within bounds and reaches every value', () => {
    const r = new Prng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const v = r.range(2, 6);
      expect(v >= 2 && v <= 6).toBe(true);
      seen.add(v);
    }
    expect([...seen].sort()).toEqual([2, 3, 4, 5, 6]);
    expect(() => r.pick([])).toThrow(/empty/);
  });

  it('refuses a seed that is not a 32-bit unsigned integer, naming what it accepts', () => {
    expect(() => new Prng(-1)).toThrow(/invalid seed -1: expected an integer 0\.\.4294967295/);
    expect(() => new Prng(1.5)).toThrow(/invalid seed/);
  });
});
