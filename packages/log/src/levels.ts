import { EalTsError } from '@eal-ts/errno';

/** DPDK's log levels (rte_log.h): lower is more severe. */
export const LogLevel = {
  EMERG: 1,
  ALERT: 2,
  CRIT: 3,
  ERR: 4,
  WARNING: 5,
  NOTICE: 6,
  INFO: 7,
  DEBUG: 8,
} as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

/** The names DPDK accepts on the command line, indexed by level. */
const LEVEL_NAMES = ['', 'emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'info', 'debug'] as const;

export function isLogLevel(value: number): value is LogLevel {
  return Number.isInteger(value) && value >= LogLevel.EMERG && value <= LogLevel.DEBUG;
}

export function logLevelName(level: LogLevel): string {
  return LEVEL_NAMES[level];
}

/** A level or `--log-level` pattern that does not parse: `code` EINVAL, `errno` -22. */
export class LogLevelError extends EalTsError {
  declare readonly code: 'EINVAL';

  constructor(message: string, options?: ErrorOptions) {
    super('EINVAL', message, options);
  }
}

/** strtoul(text, &end, 0) on a whole word: decimal, 0x hex, 0-prefixed octal; undefined for anything else. */
function unsignedAnyBase(text: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text.slice(2), 16);
  if (/^0[0-7]*$/.test(text)) return Number.parseInt(text, 8);
  if (/^[1-9]\d*$/.test(text)) return Number(text);
  return undefined;
}

/**
 * eal_parse_log_priority: the first level whose name starts with `text`, or
 * a number as strtoul reads it (any size below 2^32: the callers decide).
 */
function parsePriority(text: string): number | undefined {
  if (text.length === 0) return undefined;
  const named = LEVEL_NAMES.findIndex((name, level) => level > 0 && name.startsWith(text));
  if (named > 0) return named;
  const value = unsignedAnyBase(text);
  return value !== undefined && value < 0x1_0000_0000 ? value : undefined;
}

/**
 * Parses a level as DPDK does: a prefix of a level name ("err", "debug") or
 * a number. DPDK lets out-of-range numbers through to fail later; we refuse
 * them here so the message can say what is accepted.
 */
export function parseLogLevel(text: string): LogLevel {
  const value = parsePriority(text);
  if (value !== undefined && isLogLevel(value)) return value;
  throw new LogLevelError(
    `invalid log level '${text}': expected 1..8 or one of ${LEVEL_NAMES.slice(1).join(', ')} (or a prefix of one)`,
  );
}

/** One `--log-level` argument, decoded (eal_parse_log_level). */
export interface LogLevelOption {
  /** `global`: `LEVEL`; `pattern`: `GLOB:LEVEL`; `regexp`: `REGEX,LEVEL`. */
  readonly kind: 'global' | 'pattern' | 'regexp';
  /** The glob or regular expression ('' for global). */
  readonly match: string;
  readonly level: LogLevel;
  /** The argument as written. */
  readonly text: string;
  /** Set when the number given was above 8 (DPDK clamps it to debug with a message). */
  readonly clampedFrom?: number;
}

const LOG_LEVEL_ACCEPTED =
  "expected LEVEL, GLOB:LEVEL (e.g. 'lib.eal:debug', 'pmd.*:info') or REGEX,LEVEL (e.g. 'pmd\\.net\\..*,8'), " +
  'where LEVEL is 1..8 or a prefix of emergency, alert, critical, error, warning, notice, info, debug';

/**
 * One --log-level argument in DPDK's three forms: `LEVEL` (global),
 * `GLOB:LEVEL` (fnmatch over type names) or `REGEX,LEVEL`. A number above 8
 * is clamped to debug (`clampedFrom` says so, for the caller's warning);
 * anything else wrong throws LogLevelError naming what is accepted.
 * `help` is the caller's business.
 */
export function parseLogLevelOption(text: string): LogLevelOption {
  let kind: LogLevelOption['kind'] = 'global';
  let match = '';
  let levelText = text;
  const comma = text.indexOf(',');
  const colon = text.indexOf(':');
  if (comma >= 0) {
    kind = 'regexp';
    match = text.slice(0, comma);
    levelText = text.slice(comma + 1);
  } else if (colon >= 0) {
    kind = 'pattern';
    match = text.slice(0, colon);
    levelText = text.slice(colon + 1);
  }
  const priority = parsePriority(levelText);
  if (priority === undefined || priority <= 0) {
    throw new LogLevelError(`invalid log level '${levelText}' in --log-level ${text}: ${LOG_LEVEL_ACCEPTED}`);
  }
  if (kind === 'regexp') {
    try {
      new RegExp(match);
    } catch (cause) {
      throw new LogLevelError(`invalid regular expression '${match}' in --log-level ${text}: ${LOG_LEVEL_ACCEPTED}`, { cause });
    }
  }
  const level = Math.min(priority, LogLevel.DEBUG) as LogLevel;
  return priority > LogLevel.DEBUG ? { kind, match, level, text, clampedFrom: priority } : { kind, match, level, text };
}
