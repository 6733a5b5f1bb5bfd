import { KvargsError } from './errors.js';

/** DPDK's RTE_KVARGS_MAX: a list holds at most this many pairs. */
export const RTE_KVARGS_MAX = 32;

export interface KvPair {
  readonly key: string;
  /** '' for a key given alone (`key`) and for `key=`. */
  readonly value: string;
}

export interface IntRange {
  readonly min?: number;
  readonly max?: number;
}

/**
 * A parsed `key=value,…` list (struct rte_kvargs). Pairs keep their order and
 * duplicates, as DPDK's list does; `get` answers the first occurrence as
 * rte_kvargs_get does, while the typed getters take the last one, because a
 * driver's rte_kvargs_process handler overwrites on every occurrence.
 */
export class Kvargs implements Iterable<KvPair> {
  readonly pairs: readonly KvPair[];

  constructor(pairs: readonly KvPair[] = []) {
    this.pairs = pairs.map((p) => ({ key: p.key, value: p.value }));
  }

  [Symbol.iterator](): Iterator<KvPair> {
    return this.pairs[Symbol.iterator]();
  }

  /** rte_kvargs_count: pairs with that key, or all pairs without one. */
  count(key?: string): number {
    return key === undefined ? this.pairs.length : this.pairs.filter((p) => p.key === key).length;
  }

  has(key: string): boolean {
    return this.pairs.some((p) => p.key === key);
  }

  get(key: string): string | undefined {
    return this.pairs.find((p) => p.key === key)?.value;
  }

  getAll(key: string): string[] {
    return this.pairs.filter((p) => p.key === key).map((p) => p.value);
  }

  keys(): string[] {
    return [...new Set(this.pairs.map((p) => p.key))];
  }

  toString(): string {
    return formatKvargs(this.pairs);
  }

  private last(key: string): string | undefined {
    const all = this.getAll(key);
    return all[all.length - 1];
  }

  /** The value as text; `fallback` when the key is absent. */
  getString(key: string): string | undefined;
  getString(key: string, fallback: string): string;
  getString(key: string, fallback?: string): string | undefined {
    return this.last(key) ?? fallback;
  }

  /**
   * A decimal or 0x-hex integer within [min, max] (inclusive). Absent key:
   * `fallback`. Anything else fails naming the key, the value and the range.
   */
  getInt(key: string, range?: IntRange): number | undefined;
  getInt(key: string, range: IntRange, fallback: number): number;
  getInt(key: string, range: IntRange = {}, fallback?: number): number | undefined {
    const text = this.last(key);
    if (text === undefined) return fallback;
    const min = range.min ?? Number.MIN_SAFE_INTEGER;
    const max = range.max ?? Number.MAX_SAFE_INTEGER;
    const value = parseInteger(text);
    if (value === undefined || value < min || value > max) {
      throw new KvargsError(
        'EINVAL',
        `invalid value '${text}' for key '${key}': expected an integer in ${min}..${max}`,
        key,
      );
    }
    return value;
  }

  /** A flag given as 0 or 1, as DPDK drivers take them (`copy=1`). */
  getBool(key: string): boolean | undefined;
  getBool(key: string, fallback: boolean): boolean;
  getBool(key: string, fallback?: boolean): boolean | undefined {
    const text = this.last(key);
    if (text === undefined) return fallback;
    if (text === '0') return false;
    if (text === '1') return true;
    throw new KvargsError('EINVAL', `invalid value '${text}' for key '${key}': expected 0 or 1`, key);
  }

  /**
   * The elements of a bracketed list value (`list=[a,b,c]` → a, b, c); a
   * value without brackets is a list of one. Ranges such as `0-3` are left
   * to the driver, as DPDK leaves them to rte_eth_devargs_parse.
   */
  getList(key: string): string[] | undefined {
    const text = this.last(key);
    if (text === undefined) return undefined;
    if (text.startsWith('[') && text.endsWith(']') && text.length >= 2) {
      const body = text.slice(1, -1);
      return body === '' ? [] : body.split(',');
    }
    return text === '' ? [] : [text];
  }

  /** Fails naming the first key not in `validKeys` (rte_kvargs_parse's check). */
  checkKeys(validKeys: readonly string[]): void {
    for (const { key } of this.pairs) {
      if (!validKeys.includes(key)) {
        const accepted = validKeys.length > 0 ? validKeys.join(', ') : '(none)';
        throw new KvargsError('EINVAL', `unknown key '${key}' (accepted keys: ${accepted})`, key);
      }
    }
  }
}

function parseInteger(text: string): number | undefined {
  let value: number;
  if (/^[+-]?\d+$/.test(text)) value = Number(text);
  else if (/^0x[0-9a-f]+$/i.test(text)) value = Number.parseInt(text.slice(2), 16);
  else return undefined;
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * Splits on commas outside brackets, as rte_kvargs_tokenize does: '['
 * opens a list in which ',' does not end the pair and ']' closes it. Like
 * DPDK, an unclosed '[' runs to the end of the text and empty items (`a,,b`,
 * a trailing ',') are skipped.
 */
export function splitKvargsItems(text: string): string[] {
  const items: string[] = [];
  let inList = false;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === '[') inList = true;
    else if (c === ']') inList = false;
    else if (c === undefined || (c === ',' && !inList)) {
      if (i > start) items.push(text.slice(start, i));
      start = i + 1;
    }
  }
  return items;
}

/**
 * Parses DPDK's `key=value,key,list=[a,b]` syntax. The value is everything
 * after the first '=' (DPDK's tokenizer would instead restart the key at a
 * second '='; we keep the text whole). An empty key and more than
 * RTE_KVARGS_MAX pairs are refused, as is any key outside `validKeys`.
 */
export function parseKvargs(text: string, validKeys?: readonly string[]): Kvargs {
  const pairs: KvPair[] = [];
  for (const item of splitKvargsItems(text)) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? '' : item.slice(eq + 1);
    if (key === '') throw new KvargsError('EINVAL', `empty key in '${item}' (in '${text}')`);
    pairs.push({ key, value });
  }
  if (pairs.length > RTE_KVARGS_MAX) {
    throw new KvargsError('E2BIG', `too many arguments in '${text}': ${pairs.length}, at most ${RTE_KVARGS_MAX}`);
  }
  const list = new Kvargs(pairs);
  if (validKeys) list.checkKeys(validKeys);
  return list;
}

/** The inverse of parseKvargs for pairs it can produce: an empty value is written as the key alone. */
export function formatKvargs(pairs: Iterable<KvPair>): string {
  const parts: string[] = [];
  for (const { key, value } of pairs) parts.push(value === '' ? key : `${key}=${value}`);
  return parts.join(',');
}
