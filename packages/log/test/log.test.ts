import { describe, expect, it } from 'vitest';
import { LogLevel, LogLevelError, LogRegistry, parseLogLevel, type LogRecord } from '../src/index.js';

function capture(): { registry: LogRegistry; lines: string[]; records: LogRecord[] } {
  const lines: string[] = [];
  const records: LogRecord[] = [];
  const registry = new LogRegistry({ sink: (line, record) => { lines.push(line); records.push(record); } });
  return { registry, lines, records };
}

describe('log levels as DPDK parses them', () => {
  it('accepts level names, their prefixes and numbers 1..8', () => {
    expect(parseLogLevel('debug')).toBe(LogLevel.DEBUG);
    expect(parseLogLevel('err')).toBe(LogLevel.ERR);
    expect(parseLogLevel('e')).toBe(LogLevel.EMERG); // first name with that prefix, as DPDK's strncmp walk
    expect(parseLogLevel('8')).toBe(LogLevel.DEBUG);
    expect(parseLogLevel('1')).toBe(LogLevel.EMERG);
  });

  it.each(['', '0', '9', 'verbose', '3x', '-1'])('rejects %j naming what is accepted', (text) => {
    expect(() => parseLogLevel(text)).toThrow(LogLevelError);
    expect(() => parseLogLevel(text)).toThrow(/expected 1\.\.8/);
  });
});

describe('log types', () => {
  it('prints PREFIX: message for enabled levels only, INFO by default', () => {
    const { registry, lines } = capture();
    const eal = registry.register('lib.eal', { prefix: 'EAL' });
    eal.info('Multi-process socket /tmp/x');
    eal.debug('hidden at INFO');
    expect(lines).toEqual(['EAL: Multi-process socket /tmp/x']);
  });

  it('registering a type twice returns the same logger', () => {
    const { registry } = capture();
    expect(registry.register('bus.pci')).toBe(registry.register('bus.pci'));
  });

  it('the global level caps every type', () => {
    const { registry, lines } = capture();
    const eal = registry.register('lib.eal', { level: LogLevel.DEBUG });
    registry.applyLogLevelOption('4');
    eal.warning('no');
    eal.err('yes');
    expect(lines).toEqual(['lib.eal: yes']);
  });

  it('--log-level=GLOB:LEVEL applies to existing and later types, last match wins', () => {
    const { registry } = capture();
    const pci = registry.register('bus.pci');
    registry.applyLogLevelOption('bus.*:debug');
    registry.applyLogLevelOption('bus.vdev:error');
    expect(pci.level).toBe(LogLevel.DEBUG);
    expect(registry.register('bus.vdev').level).toBe(LogLevel.ERR);
    expect(registry.register('lib.eal').level).toBe(LogLevel.INFO);
  });

  it('--log-level=REGEX,LEVEL matches with a regular expression', () => {
    const { registry } = capture();
    registry.applyLogLevelOption('^pmd\\.net\\..*,7');
    registry.applyLogLevelOption('^pmd\\.net\\.null$,8');
    expect(registry.register('pmd.net.null').level).toBe(LogLevel.DEBUG);
    expect(registry.register('pmd.net.ring').level).toBe(LogLevel.INFO);
  });

  it('rejects a bad level or regular expression with a clear error', () => {
    const { registry } = capture();
    expect(() => registry.applyLogLevelOption('lib.eal:loud')).toThrow(/invalid log level 'loud'/);
    expect(() => registry.applyLogLevelOption('(,8')).toThrow(/regular expression/);
  });

  it('list() reports every type with its level', () => {
    const { registry } = capture();
    registry.register('lib.eal');
    registry.register('bus.pci', { level: LogLevel.NOTICE });
    expect(registry.list()).toEqual([
      { type: 'bus.pci', level: LogLevel.NOTICE },
      { type: 'lib.eal', level: LogLevel.INFO },
    ]);
  });
});
