import { describe, expect, it } from 'vitest';
import { globToRegExp } from '../src/index.js';

describe('fnmatch-style globs for log types', () => {
  it.each([
    ['lib.*', 'lib.eal', true],
    ['lib.*', 'bus.pci', false],
    ['*', 'a/b', true],
    ['bus.???', 'bus.pci', true],
    ['bus.[pv]ci', 'bus.pci', true],
    ['bus.[!p]ci', 'bus.pci', false],
    ['lib.eal', 'lib.eal', true],
    ['lib.eal', 'libxeal', false],
  ])('%s against %s is %s', (glob, name, expected) => {
    expect(globToRegExp(glob).test(name)).toBe(expected);
  });
});
