import { globToRegExp } from './glob.js';
import { LogLevel, LogLevelError, type LogLevelOption, isLogLevel, parseLogLevelOption } from './levels.js';

export interface LogRecord {
  readonly type: string;
  readonly level: LogLevel;
  readonly prefix: string;
  readonly message: string;
}

/** Where formatted lines go; the default writes `PREFIX: message` to stderr. */
export type LogSink = (line: string, record: LogRecord) => void;

export interface LogTypeOptions {
  /** Level of this type until a saved pattern or a setter changes it; DPDK's default is INFO. */
  readonly level?: LogLevel;
  /** Text before ': ' on every line, as DPDK's RTE_LOG(…, EAL, …) prints `EAL: `. Defaults to the type name. */
  readonly prefix?: string;
}

interface SavedLevel {
  readonly match: RegExp;
  readonly level: LogLevel;
}

/** One log type (rte_log_register): a named logger with its own level. */
export class Logger {
  /** @internal */
  constructor(
    private readonly registry: LogRegistry,
    readonly type: string,
    readonly prefix: string,
    /** @internal */ public level: LogLevel,
  ) {}

  isEnabled(level: LogLevel): boolean {
    return level <= this.level && level <= this.registry.globalLevel;
  }

  log(level: LogLevel, message: string): void {
    if (this.isEnabled(level)) this.registry.emit({ type: this.type, level, prefix: this.prefix, message });
  }

  emerg(message: string): void { this.log(LogLevel.EMERG, message); }
  alert(message: string): void { this.log(LogLevel.ALERT, message); }
  crit(message: string): void { this.log(LogLevel.CRIT, message); }
  err(message: string): void { this.log(LogLevel.ERR, message); }
  warning(message: string): void { this.log(LogLevel.WARNING, message); }
  notice(message: string): void { this.log(LogLevel.NOTICE, message); }
  info(message: string): void { this.log(LogLevel.INFO, message); }
  debug(message: string): void { this.log(LogLevel.DEBUG, message); }
}

/**
 * The set of log types of one process and their levels (DPDK's rte_logs).
 * Levels given as patterns are remembered, so that a type registered after
 * `--log-level` was parsed still picks its level up, as DPDK's
 * rte_log_register_type_and_pick_level does (the last matching option wins).
 */
export class LogRegistry {
  globalLevel: LogLevel = LogLevel.DEBUG;
  private readonly types = new Map<string, Logger>();
  private readonly saved: SavedLevel[] = [];
  private readonly sink: LogSink;

  constructor(options: { sink?: LogSink } = {}) {
    this.sink = options.sink ?? ((line) => void process.stderr.write(line + '\n'));
  }

  /** Registers a type, or returns the one already registered under that name. */
  register(type: string, options: LogTypeOptions = {}): Logger {
    const existing = this.types.get(type);
    if (existing) return existing;
    let level = options.level ?? LogLevel.INFO;
    for (const saved of this.saved) if (saved.match.test(type)) level = saved.level;
    const logger = new Logger(this, type, options.prefix ?? type, level);
    this.types.set(type, logger);
    return logger;
  }

  /** Registered types with their levels, sorted by name (rte_log_list_types). */
  list(): { type: string; level: LogLevel }[] {
    return [...this.types.values()]
      .map((l) => ({ type: l.type, level: l.level }))
      .sort((a, b) => a.type.localeCompare(b.type));
  }

  setGlobalLevel(level: LogLevel): void {
    this.globalLevel = checkLevel(level);
  }

  /** Sets every type matching an fnmatch glob, now and when registered later. */
  setLevelPattern(pattern: string, level: LogLevel): void {
    this.save(globToRegExp(pattern), checkLevel(level));
  }

  /** Sets every type matching a POSIX-style regular expression, now and later. */
  setLevelRegexp(regexp: string, level: LogLevel): void {
    let match: RegExp;
    try {
      match = new RegExp(regexp);
    } catch (cause) {
      throw new LogLevelError(`invalid log type regular expression '${regexp}'`, { cause });
    }
    this.save(match, checkLevel(level));
  }

  /**
   * Applies one `--log-level` argument in DPDK's forms: `LEVEL` (global),
   * `GLOB:LEVEL` (fnmatch over type names) or `REGEX,LEVEL`, as
   * parseLogLevelOption reads it; returns what it applied.
   */
  applyLogLevelOption(arg: string | LogLevelOption): LogLevelOption {
    const option = typeof arg === 'string' ? parseLogLevelOption(arg) : arg;
    if (option.kind === 'global') this.setGlobalLevel(option.level);
    else if (option.kind === 'pattern') this.setLevelPattern(option.match, option.level);
    else this.setLevelRegexp(option.match, option.level);
    return option;
  }

  /** @internal */
  emit(record: LogRecord): void {
    this.sink(`${record.prefix}: ${record.message}`, record);
  }

  private save(match: RegExp, level: LogLevel): void {
    this.saved.push({ match, level });
    for (const logger of this.types.values()) if (match.test(logger.type)) logger.level = level;
  }
}

function checkLevel(level: number): LogLevel {
  if (!isLogLevel(level)) throw new LogLevelError(`invalid log level ${level}: expected 1 (emergency) .. 8 (debug)`);
  return level;
}


