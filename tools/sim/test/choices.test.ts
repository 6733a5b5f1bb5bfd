import { describe, expect, it } from 'vitest';
import { Enumerator } from '../src/choices.js';

/** A little "program" whose later choices depend on earlier ones. */
function program(c: Enumerator): string {
  const a = c.int(3);
  if (a === 0) return `a${a}`;
  const b = c.chance(0.9) ? 'y' : 'n';
  return `a${a}${b}${c.pick(['p', 'q'])}`;
}

describe('Enumerator', () => {
  it('visits every path of a choice tree exactly once, depth first', () => {
    const seen: string[] = [];
    let prefix: number[] | undefined = [];
    while (prefix) {
      const c: Enumerator = new Enumerator(prefix);
      seen.push(program(c));
      prefix = c.next();
    }
    expect(seen).toEqual(['a0', 'a1np', 'a1nq', 'a1yp', 'a1yq', 'a2np', 'a2nq', 'a2yp', 'a2yq']);
  });

  it('replays a path, and says so when a run does not make the same choices again', () => {
    const c = new Enumerator([2, 1, 0]);
    expect(program(c)).toBe('a2yp');
    expect(c.path).toEqual([2, 1, 0]);
    expect(() => new Enumerator([5]).int(3)).toThrow(/replay diverged at choice 0: 5 of 3 options/);
    expect(() => new Enumerator().int(0)).toThrow(/at least one option/);
  });
});
