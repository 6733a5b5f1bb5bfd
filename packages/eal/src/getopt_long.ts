/**
 * glibc's getopt_long as rte_eal_init calls it (optstring without '+' or
 * '-', so non-options are permuted behind the options): short options
 * cluster (`-hv`) and take their argument attached (`-l0-3`) or as the next
 * word (`-l 0-3`); long options take `--name=value` or `--name value` (an
 * optional argument only with `=`), and any unique prefix of a long name
 * works (`--file=x`); `--` ends the options. Errors are EalArgsError with
 * glibc's wording and what is accepted.
 */
import { EalArgsError } from './errors.js';

/** One option as getopt_long sees it. */
export interface GetoptSpec {
  readonly short?: string;
  readonly long?: string;
  readonly arg: 'none' | 'required' | 'optional';
}

export interface GetoptResult {
  /** Index of the first argv entry not looked at (after the `--`, when there was one). */
  readonly next: number;
  /** Non-option words met among the options, in order. */
  readonly nonOptions: readonly string[];
}

/** `-x` or `--name`, as the user would recognise it. */
export function optionName(spec: GetoptSpec): string {
  return spec.long !== undefined ? `--${spec.long}` : `-${spec.short!}`;
}

function findLong<S extends GetoptSpec>(specs: readonly S[], name: string, word: string): S & { long: string } {
  const longs = specs.filter((s): s is S & { long: string } => s.long !== undefined);
  const exact = longs.find((s) => s.long === name);
  if (exact) return exact;
  const candidates = name === '' ? [] : longs.filter((s) => s.long.startsWith(name));
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length > 1) {
    throw new EalArgsError(
      `option '--${name}' is ambiguous; possibilities: ${candidates.map((c) => `'--${c.long}'`).join(' ')}`,
      { option: word },
    );
  }
  throw new EalArgsError(`unrecognized option '${word}'; see the EAL usage (-h) for the options accepted`, { option: word });
}

/**
 * Walks `argv`, calling `apply` for every option in order with its value
 * (null for none). `stop()` is asked after each option: true ends the walk
 * there (DPDK's -h prints and exits at once, what follows is not looked at).
 */
export function getoptLong<S extends GetoptSpec>(
  argv: readonly string[],
  specs: readonly S[],
  apply: (spec: S, value: string | null) => void,
  stop: () => boolean = () => false,
): GetoptResult {
  const shorts = new Map(specs.filter((s) => s.short !== undefined).map((s) => [s.short!, s]));
  const nonOptions: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const word = argv[i]!;
    if (typeof word !== 'string') throw new EalArgsError(`argv[${i}] is not a string`);
    i++;
    if (word === '--') break;
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const spec = findLong(specs, eq >= 0 ? word.slice(2, eq) : word.slice(2), word);
      let value: string | null = eq >= 0 ? word.slice(eq + 1) : null;
      if (spec.arg === 'none' && value !== null) {
        throw new EalArgsError(`option '--${spec.long}' doesn't allow an argument (got '${word}')`, { option: `--${spec.long}` });
      }
      if (spec.arg === 'required' && value === null) {
        if (i >= argv.length) throw new EalArgsError(`option '--${spec.long}' requires an argument`, { option: `--${spec.long}` });
        value = argv[i++]!;
      }
      apply(spec, value);
    } else if (word.startsWith('-') && word.length > 1) {
      for (let k = 1; k < word.length; k++) {
        const letter = word[k]!;
        const spec = shorts.get(letter);
        if (!spec) {
          throw new EalArgsError(`invalid option -- '${letter}' (in '${word}'); see the EAL usage (-h) for the options accepted`, {
            option: `-${letter}`,
          });
        }
        if (spec.arg === 'none') {
          apply(spec, null);
          if (stop()) break;
          continue;
        }
        if (k + 1 < word.length) apply(spec, word.slice(k + 1));
        else if (i < argv.length) apply(spec, argv[i++]!);
        else throw new EalArgsError(`option requires an argument -- '${letter}'`, { option: `-${letter}` });
        break;
      }
    } else {
      nonOptions.push(word);
    }
    if (stop()) break;
  }
  return { next: i, nonOptions };
}
