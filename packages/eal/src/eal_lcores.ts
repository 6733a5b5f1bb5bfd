/**
 * The three ways DPDK's EAL command line names its cores (-c COREMASK,
 * -l CORELIST, --lcores COREMAP), parsed with DPDK 22.11's syntax
 * (rte_eal_parse_coremask, eal_parse_corelist, eal_parse_lcores in
 * eal_common_options.c). eal-ts runs no lcore threads: the result is
 * validated and kept for the application, nothing more. Whether the cores
 * exist on this machine is not checked.
 */
import { EalError } from '@eal-ts/bus';

/** RTE_MAX_LCORE of DPDK's x86 builds (Debian's 22.11 included). */
export const RTE_MAX_LCORE = 128;
/** CPU_SETSIZE: the highest cpu number a cpuset can hold, plus one. */
export const CPU_SETSIZE = 1024;

export type LcoreOption = '-c' | '-l' | '--lcores';

/** Which lcores EAL would run, and on which cpus. */
export interface LcoreConfig {
  /** The option that gave them. */
  readonly option: LcoreOption;
  /** Its argument, as written. */
  readonly text: string;
  /** The lcore ids, ascending. */
  readonly lcores: readonly number[];
  /** Each lcore's cpuset, ascending (for -c and -l: the cpu of the same number). */
  readonly cpusets: ReadonlyMap<number, readonly number[]>;
}

/** A syntax problem (EINVAL); the caller turns it into an EalArgsError naming the option. */
export class LcoreSyntaxError extends EalError {
  constructor(message: string) {
    super('EINVAL', message);
  }
}

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t';
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

function trimBlanks(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, '');
}

function tooHigh(lcores: readonly number[]): void {
  const high = lcores.filter((l) => l >= RTE_MAX_LCORE);
  if (high.length === 0) return;
  const map = lcores.map((core, index) => `${index}@${core}`).join(',');
  throw new LcoreSyntaxError(
    `lcore ${high.join(', ')} >= RTE_MAX_LCORE (${RTE_MAX_LCORE}); to use high physical core ids, ` +
      `map them to lcore ids below ${RTE_MAX_LCORE} with --lcores, e.g. --lcores ${map}`,
  );
}

function identity(lcores: readonly number[]): Map<number, readonly number[]> {
  return new Map(lcores.map((l) => [l, [l]]));
}

/** -c: a hexadecimal bitmask, optional 0x/0X, blanks around allowed; bit n = lcore n. */
export function parseCoremask(text: string): LcoreConfig {
  let mask = trimBlanks(text);
  if (mask.startsWith('0x') || mask.startsWith('0X')) mask = mask.slice(2);
  if (mask.length === 0) throw new LcoreSyntaxError(`no lcores in coremask '${text}'`);
  if (!/^[0-9a-fA-F]+$/.test(mask)) {
    throw new LcoreSyntaxError(`invalid characters in coremask '${text}': expected hexadecimal digits, e.g. 0xf for lcores 0-3`);
  }
  const lcores: number[] = [];
  for (let i = mask.length - 1, bit = 0; i >= 0; i--, bit += 4) {
    const value = Number.parseInt(mask[i]!, 16);
    for (let j = 0; j < 4; j++) if (value & (1 << j)) lcores.push(bit + j);
  }
  if (lcores.length === 0) throw new LcoreSyntaxError(`no lcores in coremask '${text}': at least one bit must be set`);
  tooHigh(lcores);
  return { option: '-c', text, lcores, cpusets: identity(lcores) };
}

/**
 * -l: core numbers and ranges separated by commas (`0-3`, `0,2,4-7`),
 * blanks allowed around numbers. Duplicates are ignored; a range must go
 * upwards (22.11 turns `3-1` into no core at all).
 */
export function parseCorelist(text: string): LcoreConfig {
  const expected = `expected core numbers and ranges separated by commas, e.g. 0-3 or 0,2,4-7`;
  const items = text.split(',');
  const order: number[] = [];
  for (const raw of items) {
    const item = trimBlanks(raw);
    const match = /^(\d+)(?:[ \t]*-[ \t]*(\d+))?$/.exec(item);
    if (!match) throw new LcoreSyntaxError(`invalid core list syntax '${text}' at '${raw}': ${expected}`);
    const min = Number(match[1]);
    const max = match[2] === undefined ? min : Number(match[2]);
    if (max < min) throw new LcoreSyntaxError(`invalid core list '${text}': range ${item} goes downwards; write ${max}-${min}`);
    if (max >= CPU_SETSIZE) throw new LcoreSyntaxError(`invalid core list '${text}': ${max} is out of range (lcores go up to ${RTE_MAX_LCORE - 1})`);
    for (let core = min; core <= max; core++) if (!order.includes(core)) order.push(core);
  }
  tooHigh(order);
  const lcores = [...order].sort((a, b) => a - b);
  return { option: '-l', text, lcores, cpusets: identity(lcores) };
}

/** eal_parse_set: a number, a range, or a '(…)' group, from `pos`; returns the set and where it stopped. */
function parseSet(text: string, pos: number): { set: Set<number>; end: number } | undefined {
  const set = new Set<number>();
  let i = pos;
  const number = (): number | undefined => {
    const start = i;
    while (isDigit(text[i])) i++;
    if (i === start) return undefined;
    const value = Number(text.slice(start, i));
    return value < CPU_SETSIZE ? value : undefined;
  };
  const addRange = (a: number, b: number): void => {
    for (let n = Math.min(a, b); n <= Math.max(a, b); n++) set.add(n);
  };
  while (isBlank(text[i])) i++;
  if (text[i] !== '(') {
    const min = number();
    if (min === undefined) return undefined;
    let max = min;
    while (isBlank(text[i])) i++;
    if (text[i] === '-') {
      i++;
      while (isBlank(text[i])) i++;
      const upper = number();
      if (upper === undefined) return undefined;
      max = upper;
      while (isBlank(text[i])) i++;
      // 22.11: a bare range must end the element ("1-3@5" is refused; "(1-3)@5" is the way).
      if (i < text.length && text[i] !== ',') return undefined;
    }
    if (i < text.length && text[i] !== ',' && text[i] !== '@') return undefined;
    addRange(min, max);
    return { set, end: i };
  }
  i++;
  let min: number | undefined;
  for (;;) {
    while (isBlank(text[i])) i++;
    const value = number();
    if (value === undefined) return undefined;
    while (isBlank(text[i])) i++;
    const sep = text[i];
    if (sep === '-') {
      if (min !== undefined) return undefined;
      min = value;
    } else if (sep === ',' || sep === ')') {
      addRange(min ?? value, value);
      min = undefined;
    } else return undefined;
    i++;
    if (sep === ')') break;
  }
  while (isBlank(text[i])) i++;
  return { set, end: i };
}

/**
 * --lcores: `<lcores[@cpus]>[,<lcores[@cpus]>...]`; lcores and cpus are a
 * number, a range or a '(…)' group of numbers and ranges. Without '@' an
 * lcore runs on the cpu of its own number (a range: each on its own; a
 * group: all on the group's cpus). Example: `1,2@(5-7),(3-5)@(0,2),(0,6),7-8`.
 */
export function parseLcoresMap(text: string): LcoreConfig {
  const fail = (why: string): never => {
    throw new LcoreSyntaxError(
      `invalid --lcores argument '${text}': ${why}; expected '<lcores[@cpus]>[,<lcores[@cpus]>...]' ` +
        `where lcores and cpus are a number, a range (1-3) or a group ((0,2-4)), e.g. 0-3 or 1,2@(5-7),(3-5)@(0,2)`,
    );
  };
  const cpusets = new Map<number, readonly number[]>();
  let pos = 0;
  while (isBlank(text[pos])) pos++;
  for (;;) {
    while (isBlank(text[pos])) pos++;
    if (pos >= text.length) fail('an element is empty');
    const start = pos;
    let cursor = pos;
    if (text[start] === '(') {
      const close = text.indexOf(')', cursor);
      if (close < 0) fail(`'(' at ${start} is not closed`);
      cursor = close + 1;
    }
    while (cursor < text.length && text[cursor] !== '@' && text[cursor] !== ',') cursor++;
    let cpus: Set<number> | undefined;
    let end: number;
    let eachOwn = false;
    if (text[cursor] === '@') {
      const parsed = parseSet(text, cursor + 1) ?? fail(`the cpus after '@' at ${cursor} are malformed or >= ${CPU_SETSIZE}`);
      cpus = parsed.set;
      end = parsed.end;
    } else {
      end = cursor;
      const element = text.slice(start, end);
      const firstSpecial = element.search(/[(-]/);
      eachOwn = firstSpecial >= 0 && element[firstSpecial] === '-';
    }
    if (end < text.length && text[end] !== ',') fail(`unexpected '${text[end]}' at ${end}`);
    const parsedLcores = parseSet(text, start) ?? fail(`the lcores at ${start} are malformed or >= ${CPU_SETSIZE}`);
    if (parsedLcores.end !== cursor) fail(`unexpected '${text[parsedLcores.end]}' at ${parsedLcores.end}`);
    const lcoreSet = parsedLcores.set;
    for (const lcore of [...lcoreSet].sort((a, b) => a - b)) {
      if (lcore >= RTE_MAX_LCORE) fail(`lcore ${lcore} >= RTE_MAX_LCORE (${RTE_MAX_LCORE})`);
      const set = eachOwn ? [lcore] : [...(cpus ?? lcoreSet)].sort((a, b) => a - b);
      cpusets.set(lcore, set);
    }
    if (end >= text.length) break;
    pos = end + 1;
  }
  if (cpusets.size === 0) fail('no lcore');
  const lcores = [...cpusets.keys()].sort((a, b) => a - b);
  return { option: '--lcores', text, lcores, cpusets: new Map(lcores.map((l) => [l, cpusets.get(l)!])) };
}
