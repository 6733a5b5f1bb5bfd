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

/**
 * Parses a level as DPDK does: a prefix of a level name ("err", "debug") or
 * a number. DPDK lets out-of-range numbers through to fail later; we refuse
 * them here so the message can say what is accepted.
 */
export function parseLogLevel(text: string): LogLevel {
  if (text.length > 0) {
    const named = LEVEL_NAMES.findIndex((name, level) => level > 0 && name.startsWith(text));
    if (named > 0) return named as LogLevel;
    if (/^(0x[0-9a-f]+|\d+)$/i.test(text)) {
      const value = Number(text);
      if (isLogLevel(value)) return value;
    }
  }
  throw new LogLevelError(
    `invalid log level '${text}': expected 1..8 or one of ${LEVEL_NAMES.slice(1).join(', ')} (or a prefix of one)`,
  );
}
