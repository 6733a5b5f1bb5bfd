export {
  LogLevel,
  LogLevelError,
  isLogLevel,
  logLevelName,
  parseLogLevel,
  parseLogLevelOption,
  type LogLevelOption,
} from './levels.js';
export { Logger, LogRegistry, type LogRecord, type LogSink, type LogTypeOptions } from './log.js';
export { globToRegExp } from './glob.js';
