import { LogLevel, LogRegistry, type Logger } from '@eal-ts/log';

/**
 * A logger that keeps its lines (debug and up unless told), so a test stays
 * quiet and can read what was logged.
 */
export function quietLogger(type: string, options: { prefix?: string; level?: LogLevel } = {}): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = new LogRegistry({ sink: (line) => lines.push(line) }).register(type, {
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    level: options.level ?? LogLevel.DEBUG,
  });
  return { logger, lines };
}
