/**
 * DPDK's EAL command line (lib/eal/common/eal_common_options.c and the
 * Linux part of lib/eal/linux/eal.c, DPDK 22.11), parsed with getopt_long's
 * rules: short options cluster (`-hv`) and take their argument attached
 * (`-l0-3`) or as the next word (`-l 0-3`); long options take `--name=value`
 * or `--name value` (an optional argument only with `=`), and any unique
 * prefix of a long name works (`--file=x`); non-option words are moved
 * behind the options (glibc's permutation); `--` ends the options.
 *
 * Parsing is pure: nothing is printed, logged or created here. `Eal.init`
 * applies the result.
 */
import { LogLevel, logLevelName } from '@eal-ts/log';
import { isMpLayout, type MpLayout } from '@eal-ts/mp-channel';
import { EalArgsError } from './errors.js';
import {
  type LcoreConfig,
  LcoreSyntaxError,
  RTE_MAX_LCORE,
  parseCorelist,
  parseCoremask,
  parseLcoresMap,
} from './eal_lcores.js';

/** RTE_MAX_NUMA_NODES of DPDK's x86 builds. */
export const RTE_MAX_NUMA_NODES = 32;
/** DPDK's default --file-prefix. */
export const DEFAULT_FILE_PREFIX = 'rte';
/** eal-ts's default for --hotplug-timeout-ms: DPDK's 5 s. */
export const DEFAULT_HOTPLUG_TIMEOUT_MS = 5000;

export type ProcTypeOption = 'primary' | 'secondary' | 'auto';

/** One `-a`, `-b` or `--vdev`, in command-line order (DPDK's devopt_list). */
export interface DeviceOption {
  readonly type: 'allowed' | 'blocked' | 'virtual';
  readonly option: '-a' | '-b' | '--vdev';
  readonly devargs: string;
}

/** One `--log-level`, decoded. */
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

/** An option eal-ts accepts and checks but that changes nothing (memory, lcores, tracing…). */
export interface NoEffectOption {
  readonly option: string;
  readonly value: string | null;
  /** What part of DPDK it belongs to, for the one debug line that lists them. */
  readonly area: 'memory' | 'lcores' | 'other';
}

/** Everything the command line said. */
export interface EalOptions {
  /** -c, -l or --lcores; null when none (DPDK then uses every detected cpu). */
  readonly lcores: LcoreConfig | null;
  /** --main-lcore; null: the lowest lcore. */
  readonly mainLcore: number | null;
  /** --proc-type; DPDK's default is primary. */
  readonly procType: ProcTypeOption;
  /** --file-prefix. */
  readonly filePrefix: string;
  /** -a, -b and --vdev in order. */
  readonly devices: readonly DeviceOption[];
  readonly allow: readonly string[];
  readonly block: readonly string[];
  readonly vdevs: readonly string[];
  readonly noPci: boolean;
  /** --no-shconf, or implied by --in-memory. */
  readonly noShconf: boolean;
  readonly inMemory: boolean;
  /** -m, in MB. */
  readonly memoryMb: number | null;
  /** --socket-mem, MB per NUMA node. */
  readonly socketMem: readonly number[] | null;
  /** --socket-limit, MB per NUMA node. */
  readonly socketLimit: readonly number[] | null;
  readonly hugeDir: string | null;
  readonly noHuge: boolean;
  /** -n. */
  readonly memoryChannels: number | null;
  /** -r. */
  readonly memoryRanks: number | null;
  readonly logLevels: readonly LogLevelOption[];
  /** --syslog facility. */
  readonly syslog: string | null;
  /** -d, repeatable. */
  readonly drivers: readonly string[];
  readonly help: boolean;
  readonly logLevelHelp: boolean;
  /** -v. */
  readonly version: boolean;
  /**
   * --mp-layout (eal-ts): the datagram layout this process sends to peers it
   * has not heard from. 'auto' (the default): a secondary reads the
   * primary's DPDK version from its config file (340 bytes from 25.11, 332
   * before); a primary, and a secondary of an eal-ts primary, use 22.11.
   */
  readonly mpLayout: MpLayout | 'auto';
  /** --hotplug-timeout-ms (eal-ts): how long each hotplug exchange waits. */
  readonly hotplugTimeoutMs: number;
  /** --hotplug-observer (eal-ts): a secondary that answers every hotplug request 0 without drivers and mirrors the primary's devices. */
  readonly hotplugObserver: boolean;
  /** --telemetry / --no-telemetry: whether init starts the telemetry socket (the last one given wins; default on). */
  readonly telemetry: boolean;
  /** Accepted options without effect in eal-ts, in order. */
  readonly noEffect: readonly NoEffectOption[];
}

export interface ParsedEalArgs {
  readonly options: EalOptions;
  /**
   * How many argv entries were EAL's, the `--` included: rte_eal_init's
   * return value. When no non-option word stands before the options' end,
   * the application's arguments are `argv.slice(consumed)`.
   */
  readonly consumed: number;
  /**
   * The application's arguments, in the order glibc's permutation leaves
   * them: non-option words met among the options, then everything after `--`.
   */
  readonly args: readonly string[];
}

type HasArg = 'none' | 'required' | 'optional';

interface OptionSpec {
  readonly key: string;
  readonly long?: string;
  readonly short?: string;
  readonly hasArg: HasArg;
}

const SPECS: readonly OptionSpec[] = [
  { key: 'allow', short: 'a', long: 'allow', hasArg: 'required' },
  { key: 'block', short: 'b', long: 'block', hasArg: 'required' },
  { key: 'coremask', short: 'c', hasArg: 'required' },
  { key: 'service-coremask', short: 's', hasArg: 'required' },
  { key: 'driver', short: 'd', hasArg: 'required' },
  { key: 'help', short: 'h', long: 'help', hasArg: 'none' },
  { key: 'corelist', short: 'l', hasArg: 'required' },
  { key: 'service-corelist', short: 'S', hasArg: 'required' },
  { key: 'memory', short: 'm', hasArg: 'required' },
  { key: 'channels', short: 'n', hasArg: 'required' },
  { key: 'ranks', short: 'r', hasArg: 'required' },
  { key: 'version', short: 'v', hasArg: 'none' },
  { key: 'base-virtaddr', long: 'base-virtaddr', hasArg: 'required' },
  { key: 'create-uio-dev', long: 'create-uio-dev', hasArg: 'none' },
  { key: 'file-prefix', long: 'file-prefix', hasArg: 'required' },
  { key: 'huge-dir', long: 'huge-dir', hasArg: 'required' },
  { key: 'huge-unlink', long: 'huge-unlink', hasArg: 'optional' },
  { key: 'iova-mode', long: 'iova-mode', hasArg: 'required' },
  { key: 'lcores', long: 'lcores', hasArg: 'required' },
  { key: 'log-level', long: 'log-level', hasArg: 'required' },
  { key: 'trace', long: 'trace', hasArg: 'required' },
  { key: 'trace-dir', long: 'trace-dir', hasArg: 'required' },
  { key: 'trace-bufsz', long: 'trace-bufsz', hasArg: 'required' },
  { key: 'trace-mode', long: 'trace-mode', hasArg: 'required' },
  { key: 'main-lcore', long: 'main-lcore', hasArg: 'required' },
  { key: 'mbuf-pool-ops-name', long: 'mbuf-pool-ops-name', hasArg: 'required' },
  { key: 'no-hpet', long: 'no-hpet', hasArg: 'none' },
  { key: 'no-huge', long: 'no-huge', hasArg: 'none' },
  { key: 'no-pci', long: 'no-pci', hasArg: 'none' },
  { key: 'no-shconf', long: 'no-shconf', hasArg: 'none' },
  { key: 'in-memory', long: 'in-memory', hasArg: 'none' },
  { key: 'proc-type', long: 'proc-type', hasArg: 'required' },
  { key: 'socket-mem', long: 'socket-mem', hasArg: 'required' },
  { key: 'socket-limit', long: 'socket-limit', hasArg: 'required' },
  { key: 'syslog', long: 'syslog', hasArg: 'required' },
  { key: 'vdev', long: 'vdev', hasArg: 'required' },
  { key: 'vfio-intr', long: 'vfio-intr', hasArg: 'required' },
  { key: 'vfio-vf-token', long: 'vfio-vf-token', hasArg: 'required' },
  { key: 'vmware-tsc-map', long: 'vmware-tsc-map', hasArg: 'none' },
  { key: 'legacy-mem', long: 'legacy-mem', hasArg: 'none' },
  { key: 'single-file-segments', long: 'single-file-segments', hasArg: 'none' },
  { key: 'match-allocations', long: 'match-allocations', hasArg: 'none' },
  { key: 'telemetry', long: 'telemetry', hasArg: 'none' },
  { key: 'no-telemetry', long: 'no-telemetry', hasArg: 'none' },
  { key: 'force-max-simd-bitwidth', long: 'force-max-simd-bitwidth', hasArg: 'required' },
  { key: 'huge-worker-stack', long: 'huge-worker-stack', hasArg: 'optional' },
  // eal-ts extensions
  { key: 'mp-layout', long: 'mp-layout', hasArg: 'required' },
  { key: 'hotplug-timeout-ms', long: 'hotplug-timeout-ms', hasArg: 'required' },
  { key: 'hotplug-observer', long: 'hotplug-observer', hasArg: 'none' },
];

const LONG_SPECS = SPECS.filter((s): s is OptionSpec & { long: string } => s.long !== undefined);
const SHORT_SPECS = new Map(SPECS.filter((s) => s.short !== undefined).map((s) => [s.short!, s]));

const SYSLOG_FACILITIES = [
  'auth', 'cron', 'daemon', 'ftp', 'kern', 'lpr', 'mail', 'news', 'syslog', 'user', 'uucp',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
] as const;

const MEMORY_OPTIONS = new Set([
  'memory', 'channels', 'ranks', 'socket-mem', 'socket-limit', 'huge-dir', 'no-huge', 'huge-unlink', 'legacy-mem',
  'single-file-segments', 'match-allocations', 'huge-worker-stack', 'base-virtaddr', 'iova-mode',
]);
const LCORE_OPTIONS = new Set(['coremask', 'corelist', 'lcores', 'main-lcore', 'service-coremask', 'service-corelist']);

/** `-x` or `--name`, as the user would recognise it. */
function display(spec: OptionSpec): string {
  return spec.long !== undefined ? `--${spec.long}` : `-${spec.short!}`;
}

function unsignedDecimal(text: string): number | undefined {
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** strtoul(text, &end, 0) on a well-formed number: decimal, 0x hex, 0-prefixed octal. */
function unsignedAnyBase(text: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text.slice(2), 16);
  if (/^0[0-7]*$/.test(text)) return Number.parseInt(text, 8);
  if (/^[1-9]\d*$/.test(text)) return Number(text);
  return undefined;
}

/** eal_parse_log_priority: a prefix of a level name, or a number (above 8: clamped by the caller). */
function parseLogPriority(text: string): number | undefined {
  if (text.length === 0) return undefined;
  for (let level = LogLevel.EMERG as number; level <= LogLevel.DEBUG; level++) {
    if (logLevelName(level as LogLevel).startsWith(text)) return level;
  }
  const value = unsignedAnyBase(text);
  return value !== undefined && value < 0x1_0000_0000 ? value : undefined;
}

const LOG_LEVEL_ACCEPTED =
  "expected LEVEL, GLOB:LEVEL (e.g. 'lib.eal:debug', 'pmd.*:info') or REGEX,LEVEL (e.g. 'pmd\\.net\\..*,8'), " +
  'where LEVEL is 1..8 or a prefix of emergency, alert, critical, error, warning, notice, info, debug';

/** One --log-level argument in DPDK's forms (eal_parse_log_level); 'help' is handled by the caller. */
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
  const priority = parseLogPriority(levelText);
  if (priority === undefined || priority <= 0) {
    throw new EalArgsError(`invalid log level '${levelText}' in --log-level ${text}: ${LOG_LEVEL_ACCEPTED}`, {
      option: '--log-level',
      argument: text,
    });
  }
  if (kind === 'regexp') {
    try {
      new RegExp(match);
    } catch {
      throw new EalArgsError(`invalid regular expression '${match}' in --log-level ${text}: ${LOG_LEVEL_ACCEPTED}`, {
        option: '--log-level',
        argument: text,
      });
    }
  }
  const level = Math.min(priority, LogLevel.DEBUG) as LogLevel;
  return priority > LogLevel.DEBUG ? { kind, match, level, text, clampedFrom: priority } : { kind, match, level, text };
}

/** eal_parse_socket_arg: comma-separated MB per NUMA node. */
function parseSocketArg(option: string, text: string): number[] {
  const bad = (why: string): EalArgsError =>
    new EalArgsError(
      `invalid parameters for ${option} '${text}': ${why}; expected megabytes per NUMA node separated by commas, e.g. 1024,1024 (at most ${RTE_MAX_NUMA_NODES} values)`,
      { option, argument: text },
    );
  if (text.length >= RTE_MAX_NUMA_NODES * 10) throw bad('too long');
  const parts = text.split(',');
  if (parts.length > RTE_MAX_NUMA_NODES) throw bad(`${parts.length} values`);
  return parts.map((part) => {
    const value = unsignedDecimal(part);
    if (value === undefined) throw bad(`'${part}' is not a number of megabytes`);
    return value;
  });
}

/** rte_uuid_parse: 8-4-4-4-12 hex digits. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Builder {
  lcores: LcoreConfig | null;
  mainLcore: number | null;
  procType: ProcTypeOption | null;
  procTypeText: string;
  filePrefix: string;
  devices: DeviceOption[];
  noPci: boolean;
  noShconf: boolean;
  inMemory: boolean;
  memoryMb: number | null;
  socketMem: number[] | null;
  socketLimit: number[] | null;
  hugeDir: string | null;
  noHuge: boolean;
  legacyMem: boolean;
  hugeUnlink: 'existing' | 'always' | 'never';
  singleFileSegments: boolean;
  matchAllocations: boolean;
  hugeWorkerStack: boolean;
  memoryChannels: number | null;
  memoryRanks: number | null;
  logLevels: LogLevelOption[];
  syslog: string | null;
  drivers: string[];
  help: boolean;
  logLevelHelp: boolean;
  version: boolean;
  mpLayout: MpLayout | 'auto';
  hotplugTimeoutMs: number;
  hotplugObserver: boolean;
  telemetry: boolean;
  noEffect: NoEffectOption[];
}

function lcoreSyntax(option: string, value: string, parse: (text: string) => LcoreConfig): LcoreConfig {
  try {
    return parse(value);
  } catch (error) {
    if (error instanceof LcoreSyntaxError) throw new EalArgsError(`invalid ${option} argument: ${error.message}`, { option, argument: value });
    throw error;
  }
}

function applyOption(b: Builder, spec: OptionSpec, value: string | null): void {
  const option = display(spec);
  const arg = value ?? '';
  const bad = (why: string, accepted: string): never => {
    throw new EalArgsError(`invalid parameter for ${option} '${arg}': ${why}; ${accepted}`, { option, argument: arg });
  };
  if (MEMORY_OPTIONS.has(spec.key)) b.noEffect.push({ option, value, area: 'memory' });
  else if (LCORE_OPTIONS.has(spec.key)) b.noEffect.push({ option, value, area: 'lcores' });

  switch (spec.key) {
    case 'allow':
    case 'block': {
      const wanted = spec.key === 'allow' ? 'allowed' : 'blocked';
      const other = b.devices.find((d) => d.type !== 'virtual' && d.type !== wanted);
      if (other) {
        throw new EalArgsError(
          `options allow (-a) and block (-b) can't be used at the same time: ${option} ${arg} after ${other.option} ${other.devargs}; ` +
            'use only -a (probe just these devices) or only -b (probe all but these)',
          { option, argument: arg },
        );
      }
      if (arg === '') bad('empty devargs', 'expected a device such as 0000:03:00.0 or net_null0[,key=value...]');
      b.devices.push({ type: wanted, option: spec.key === 'allow' ? '-a' : '-b', devargs: arg });
      return;
    }
    case 'vdev':
      if (arg === '') bad('empty devargs', 'expected <driver><id>[,key=val,...], e.g. --vdev=net_null0,size=64');
      b.devices.push({ type: 'virtual', option: '--vdev', devargs: arg });
      return;
    case 'coremask':
    case 'corelist':
    case 'lcores': {
      const config = lcoreSyntax(
        option,
        arg,
        spec.key === 'coremask' ? parseCoremask : spec.key === 'corelist' ? parseCorelist : parseLcoresMap,
      );
      if (b.lcores) {
        throw new EalArgsError(
          `option ${option} is refused because ${b.lcores.option} ${b.lcores.text} is already set: give the cores once, with one of -c, -l or --lcores`,
          { option, argument: arg },
        );
      }
      b.lcores = config;
      return;
    }
    case 'service-coremask':
      lcoreSyntax(option, arg, parseCoremask);
      return;
    case 'service-corelist':
      lcoreSyntax(option, arg, parseCorelist);
      return;
    case 'main-lcore': {
      const lcore = unsignedAnyBase(arg);
      if (lcore === undefined || lcore >= RTE_MAX_LCORE) bad('not an lcore id', `expected a number below ${RTE_MAX_LCORE}`);
      b.mainLcore = lcore!;
      return;
    }
    case 'driver':
      if (arg === '') bad('empty path', 'expected a driver LIB.so or a directory of them');
      b.drivers.push(arg);
      b.noEffect.push({ option, value, area: 'other' });
      return;
    case 'memory': {
      const mb = unsignedDecimal(arg);
      if (mb === undefined) bad('not a number', 'expected the memory to allocate in megabytes, e.g. -m 256');
      b.memoryMb = mb!;
      return;
    }
    case 'channels': {
      const n = unsignedDecimal(arg);
      if (n === undefined || n === 0) bad('invalid channel number', 'expected a positive number of memory channels, e.g. -n 4');
      b.memoryChannels = n!;
      return;
    }
    case 'ranks': {
      const n = unsignedDecimal(arg);
      if (n === undefined || n === 0 || n > 16) bad('invalid rank number', 'expected a number of memory ranks, 1..16');
      b.memoryRanks = n!;
      return;
    }
    case 'version':
      b.version = true;
      return;
    case 'help':
      b.help = true;
      return;
    case 'huge-unlink':
      if (value === null || value === 'always') b.hugeUnlink = 'always';
      else if (value === 'existing' || value === 'never') b.hugeUnlink = value;
      else bad('unknown mode', 'expected --huge-unlink, --huge-unlink=existing, --huge-unlink=always or --huge-unlink=never');
      return;
    case 'no-huge':
      b.noHuge = true;
      b.legacyMem = true; // DPDK: no-huge is legacy mem
      return;
    case 'no-pci':
      b.noPci = true;
      return;
    case 'no-shconf':
      b.noShconf = true;
      return;
    case 'in-memory':
      b.inMemory = true;
      b.noShconf = true;
      if (b.hugeUnlink === 'existing') b.hugeUnlink = 'always';
      return;
    case 'proc-type': {
      const type = (['primary', 'secondary', 'auto'] as const).find((t) => t === arg.toLowerCase());
      b.procType = type ?? null;
      b.procTypeText = arg;
      return;
    }
    case 'file-prefix':
      b.filePrefix = arg;
      return;
    case 'huge-dir':
      b.hugeDir = arg;
      return;
    case 'socket-mem':
      b.socketMem = parseSocketArg(option, arg);
      return;
    case 'socket-limit':
      b.socketLimit = parseSocketArg(option, arg);
      return;
    case 'log-level':
      if (arg === 'help') b.logLevelHelp = true;
      else b.logLevels.push(parseLogLevelOption(arg));
      return;
    case 'syslog':
      if (!(SYSLOG_FACILITIES as readonly string[]).includes(arg)) bad('unknown facility', `expected one of ${SYSLOG_FACILITIES.join(', ')}`);
      b.syslog = arg;
      b.noEffect.push({ option, value, area: 'other' });
      return;
    case 'iova-mode':
      if (arg !== 'pa' && arg !== 'va') bad('unknown IOVA mode', "expected 'pa' or 'va'");
      return;
    case 'base-virtaddr':
      if (!/^(0x)?[0-9a-f]+$/i.test(arg)) bad('not a hexadecimal address', 'expected a hexadecimal virtual address, e.g. 0x7f0000000000');
      return;
    case 'vfio-intr':
      if (arg !== 'legacy' && arg !== 'msi' && arg !== 'msix') bad('unknown interrupt mode', 'expected legacy, msi or msix');
      b.noEffect.push({ option, value, area: 'other' });
      return;
    case 'vfio-vf-token':
      if (!UUID.test(arg)) bad('not a UUID', 'expected a UUID such as 14d63f20-8445-11ea-8900-1f9ce7d5650d');
      b.noEffect.push({ option, value, area: 'other' });
      return;
    case 'trace':
    case 'trace-dir':
    case 'mbuf-pool-ops-name':
      if (arg === '') bad('empty value', spec.key === 'trace' ? 'expected a regular expression of trace point names' : 'expected a non-empty value');
      b.noEffect.push({ option, value, area: 'other' });
      return;
    case 'trace-bufsz':
      if (!/^\d+[BKM]?$/.test(arg) || /^0+[BKM]?$/.test(arg)) bad('not a size', "expected a size with an optional unit B, K or M, e.g. 2M");
      b.noEffect.push({ option, value, area: 'other' });
      return;
    case 'trace-mode':
      if (arg === '' || !('overwrite'.startsWith(arg) || 'discard'.startsWith(arg))) bad('unknown mode', 'expected o[verwrite] or d[iscard]');
      b.noEffect.push({ option, value, area: 'other' });
      return;
    case 'force-max-simd-bitwidth': {
      const width = unsignedAnyBase(arg);
      const ok = width !== undefined && (width === 0 || (width >= 64 && width <= 32768 && (width & (width - 1)) === 0));
      if (!ok) bad('invalid bitwidth', 'expected 0 (no limit) or a power of two from 64 to 32768');
      b.noEffect.push({ option, value, area: 'other' });
      return;
    }
    case 'huge-worker-stack':
      if (value !== null && value !== '') {
        const kb = unsignedDecimal(value);
        if (kb === undefined || kb === 0) bad('invalid stack size', 'expected --huge-worker-stack or --huge-worker-stack=<kB>, a positive number');
      }
      b.hugeWorkerStack = true;
      return;
    case 'legacy-mem':
      b.legacyMem = true;
      return;
    case 'single-file-segments':
      b.singleFileSegments = true;
      return;
    case 'match-allocations':
      b.matchAllocations = true;
      return;
    case 'create-uio-dev':
    case 'no-hpet':
    case 'vmware-tsc-map':
      b.noEffect.push({ option, value, area: 'other' });
      return;
    case 'telemetry':
    case 'no-telemetry':
      b.telemetry = spec.key === 'telemetry';
      return;
    case 'mp-layout':
      if (arg !== 'auto' && !isMpLayout(arg)) {
        bad(
          'unknown layout',
          "expected auto (the primary's DPDK version decides, the default), 22.11 (DPDK 18.11 to 25.07, 332-byte messages) or 25.11 (DPDK 25.11 and later, 340 bytes)",
        );
      }
      b.mpLayout = arg as MpLayout | 'auto';
      return;
    case 'hotplug-timeout-ms': {
      const ms = unsignedDecimal(arg);
      if (ms === undefined || ms === 0 || ms > 0x7fff_ffff) bad('not a timeout', 'expected a positive number of milliseconds, e.g. 500 (default 5000, DPDK\'s)');
      b.hotplugTimeoutMs = ms!;
      return;
    }
    case 'hotplug-observer':
      b.hotplugObserver = true;
      return;
    default:
      throw new Error(`internal: option ${option} has no handler`);
  }
}

/** eal_check_common_options, for what eal-ts can check. */
function checkCommon(b: Builder): void {
  const conflict = (message: string): never => {
    throw new EalArgsError(message);
  };
  if (b.procType === null) {
    throw new EalArgsError(`invalid process type '${b.procTypeText}' for --proc-type: expected primary, secondary or auto`, {
      option: '--proc-type',
      argument: b.procTypeText,
    });
  }
  if (b.filePrefix.length === 0) {
    throw new EalArgsError('invalid length of --file-prefix option: the prefix is empty; expected a name such as rte', {
      option: '--file-prefix',
      argument: '',
    });
  }
  if (b.filePrefix.includes('%')) {
    throw new EalArgsError(`invalid char, '%', in --file-prefix option '${b.filePrefix}'`, { option: '--file-prefix', argument: b.filePrefix });
  }
  if (b.filePrefix.includes('/') || b.filePrefix === '.' || b.filePrefix === '..') {
    throw new EalArgsError(
      `invalid --file-prefix '${b.filePrefix}': it names a directory under <runtime dir>/dpdk; expected one name without '/', not '.' or '..'`,
      { option: '--file-prefix', argument: b.filePrefix },
    );
  }
  if (b.hugeDir !== null && b.hugeDir.length === 0) {
    throw new EalArgsError('invalid length of --huge-dir option: the directory is empty', { option: '--huge-dir', argument: '' });
  }
  if (b.mainLcore !== null && b.lcores && !b.lcores.lcores.includes(b.mainLcore)) {
    throw new EalArgsError(
      `main lcore ${b.mainLcore} is not enabled for DPDK: it must be one of the lcores ${b.lcores.option} ${b.lcores.text} gives`,
      { option: '--main-lcore', argument: String(b.mainLcore) },
    );
  }
  if (b.memoryMb !== null && b.socketMem !== null) conflict('options -m and --socket-mem cannot be specified at the same time');
  if (b.noHuge && b.socketMem !== null) conflict('option --socket-mem cannot be specified together with --no-huge');
  if (b.noHuge && b.hugeUnlink === 'always' && !b.inMemory) conflict('option --huge-unlink cannot be specified together with --no-huge');
  if (b.noHuge && b.hugeWorkerStack) conflict('option --huge-worker-stack cannot be specified together with --no-huge');
  if (b.singleFileSegments && b.hugeUnlink === 'always' && !b.inMemory) {
    conflict('option --single-file-segments is not compatible with --huge-unlink');
  }
  if (b.hugeUnlink === 'never' && b.inMemory) conflict('option --in-memory is not compatible with --huge-unlink=never');
  if (b.legacyMem && b.inMemory) {
    conflict(`option --legacy-mem${b.noHuge ? ' (implied by --no-huge)' : ''} is not compatible with --in-memory`);
  }
  if (b.legacyMem && b.matchAllocations) conflict('option --legacy-mem is not compatible with --match-allocations');
  if (b.noHuge && b.matchAllocations) conflict('option --no-huge is not compatible with --match-allocations');
}

function findLong(name: string, word: string): OptionSpec & { long: string } {
  const exact = LONG_SPECS.find((s) => s.long === name);
  if (exact) return exact;
  const candidates = name === '' ? [] : LONG_SPECS.filter((s) => s.long.startsWith(name));
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
 * rte_eal_init's argument parsing. `argv` holds the arguments only, without
 * the program name (`process.argv.slice(2)`). Throws EalArgsError (EINVAL)
 * for an unknown, ambiguous or malformed option.
 */
export function parseEalArgs(argv: readonly string[]): ParsedEalArgs {
  const b: Builder = {
    lcores: null,
    mainLcore: null,
    procType: 'primary',
    procTypeText: 'primary',
    filePrefix: DEFAULT_FILE_PREFIX,
    devices: [],
    noPci: false,
    noShconf: false,
    inMemory: false,
    memoryMb: null,
    socketMem: null,
    socketLimit: null,
    hugeDir: null,
    noHuge: false,
    legacyMem: false,
    hugeUnlink: 'existing',
    singleFileSegments: false,
    matchAllocations: false,
    hugeWorkerStack: false,
    memoryChannels: null,
    memoryRanks: null,
    logLevels: [],
    syslog: null,
    drivers: [],
    help: false,
    logLevelHelp: false,
    version: false,
    mpLayout: 'auto',
    hotplugTimeoutMs: DEFAULT_HOTPLUG_TIMEOUT_MS,
    hotplugObserver: false,
    telemetry: true,
    noEffect: [],
  };
  const nonOptions: string[] = [];
  let i = 0;
  let ended = false;
  while (i < argv.length && !ended) {
    const word = argv[i]!;
    if (typeof word !== 'string') throw new EalArgsError(`argv[${i}] is not a string`);
    i++;
    if (word === '--') {
      ended = true;
      break;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq >= 0 ? word.slice(2, eq) : word.slice(2);
      const spec = findLong(name, word);
      let value: string | null = eq >= 0 ? word.slice(eq + 1) : null;
      if (spec.hasArg === 'none' && value !== null) {
        throw new EalArgsError(`option '--${spec.long}' doesn't allow an argument (got '${word}')`, { option: `--${spec.long}` });
      }
      if (spec.hasArg === 'required' && value === null) {
        if (i >= argv.length) {
          throw new EalArgsError(`option '--${spec.long}' requires an argument`, { option: `--${spec.long}` });
        }
        value = argv[i++]!;
      }
      applyOption(b, spec, value);
    } else if (word.startsWith('-') && word.length > 1) {
      for (let k = 1; k < word.length; k++) {
        const letter = word[k]!;
        const spec = SHORT_SPECS.get(letter);
        if (!spec) {
          throw new EalArgsError(`invalid option -- '${letter}' (in '${word}'); see the EAL usage (-h) for the options accepted`, {
            option: `-${letter}`,
          });
        }
        if (spec.hasArg === 'none') {
          applyOption(b, spec, null);
        } else {
          let value: string;
          if (k + 1 < word.length) value = word.slice(k + 1);
          else if (i < argv.length) value = argv[i++]!;
          else throw new EalArgsError(`option requires an argument -- '${letter}'`, { option: `-${letter}` });
          applyOption(b, spec, value);
          break;
        }
        if (b.help) break;
      }
    } else {
      nonOptions.push(word);
    }
    // DPDK prints the help and exits at once: what follows is not looked at.
    if (b.help || b.logLevelHelp) break;
  }
  if (!b.help && !b.logLevelHelp) checkCommon(b);
  const consumed = i - nonOptions.length;
  const options: EalOptions = {
    lcores: b.lcores,
    mainLcore: b.mainLcore,
    procType: b.procType ?? 'primary',
    filePrefix: b.filePrefix,
    devices: b.devices,
    allow: b.devices.filter((d) => d.type === 'allowed').map((d) => d.devargs),
    block: b.devices.filter((d) => d.type === 'blocked').map((d) => d.devargs),
    vdevs: b.devices.filter((d) => d.type === 'virtual').map((d) => d.devargs),
    noPci: b.noPci,
    noShconf: b.noShconf,
    inMemory: b.inMemory,
    memoryMb: b.memoryMb,
    socketMem: b.socketMem,
    socketLimit: b.socketLimit,
    hugeDir: b.hugeDir,
    noHuge: b.noHuge,
    memoryChannels: b.memoryChannels,
    memoryRanks: b.memoryRanks,
    logLevels: b.logLevels,
    syslog: b.syslog,
    drivers: b.drivers,
    help: b.help,
    logLevelHelp: b.logLevelHelp,
    version: b.version,
    mpLayout: b.mpLayout,
    hotplugTimeoutMs: b.hotplugTimeoutMs,
    hotplugObserver: b.hotplugObserver,
    telemetry: b.telemetry,
    noEffect: b.noEffect,
  };
  return { options, consumed, args: [...nonOptions, ...argv.slice(i)] };
}

/** eal_usage: DPDK's usage text, with eal-ts's own options and what they do here. */
export function usage(prgname = 'eal-app'): string {
  return `
Usage: ${prgname} [options]

EAL common options:
  -c COREMASK         Hexadecimal bitmask of cores to run on
  -l CORELIST         List of cores to run on
                      The argument format is <c1>[-c2][,c3[-c4],...]
                      where c1, c2, etc are core indexes between 0 and ${RTE_MAX_LCORE}
  --lcores COREMAP    Map lcore set to physical cpu set
                      The argument format is
                            '<lcores[@cpus]>[<,lcores[@cpus]>...]'
                      lcores and cpus list are grouped by '(' and ')'
                      Within the group, '-' is used for range separator,
                      ',' is used for single number separator.
                      '( )' can be omitted for single element group,
                      '@' can be omitted if cpus and lcores have the same value
  -s SERVICE COREMASK Hexadecimal bitmask of cores to be used as service cores
  --main-lcore ID     Core ID that is used as main
  --mbuf-pool-ops-name Pool ops name for mbuf to use
  -n CHANNELS         Number of memory channels
  -m MB               Memory to allocate (see also --socket-mem)
  -r RANKS            Force number of memory ranks (don't detect)
  -b, --block         Add a device to the blocked list.
                      Prevent EAL from using this device. The argument
                      format for PCI devices is <domain:bus:devid.func>.
  -a, --allow         Add a device to the allow list.
                      Only use the specified devices. The argument format
                      for PCI devices is <[domain:]bus:devid.func>.
                      This option can be present several times.
                      [NOTE: allow cannot be used with block option]
  --vdev              Add a virtual device.
                      The argument format is <driver><id>[,key=val,...]
                      (ex: --vdev=net_pcap0,iface=eth2).
  --iova-mode   Set IOVA mode. 'pa' for IOVA_PA
                      'va' for IOVA_VA
  -d LIB.so|DIR       Add a driver or driver directory
                      (can be used multiple times)
  --vmware-tsc-map    Use VMware TSC map instead of native RDTSC
  --proc-type         Type of this process (primary|secondary|auto)
  --syslog            Set syslog facility
  --log-level=<level> Set global log level
  --log-level=<type-match>:<level>
                      Set specific log level
  --log-level=help    Show log types and levels
  --trace=<regex-match>
                      Enable trace based on regular expression trace name.
  --trace-dir=<directory path>
                      Specify trace directory for trace output.
  --trace-bufsz=<int>
                      Specify maximum size of allocated memory
                      for trace output for each thread.
  --trace-mode=<o[verwrite] | d[iscard]>
                      Specify the mode of update of trace output file.
  -v                  Display version information on startup
  -h, --help          This help
  --in-memory   Operate entirely in memory. This will
                      disable secondary process support
  --base-virtaddr     Base virtual address
  --telemetry   Enable telemetry support (on by default)
  --no-telemetry   Disable telemetry support
  --force-max-simd-bitwidth Force the max SIMD bitwidth

EAL options for DEBUG use only:
  --huge-unlink[=existing|always|never]
                      When to unlink files in hugetlbfs
                      ('existing' by default, no value means 'always')
  --no-huge           Use malloc instead of hugetlbfs
  --no-pci            Disable PCI
  --no-hpet           Disable HPET
  --no-shconf         No shared config (mmap'd files)

EAL Linux options:
  --socket-mem        Memory to allocate on sockets (comma separated values)
  --socket-limit      Limit memory allocation on sockets (comma separated values)
  --huge-dir          Directory where hugetlbfs is mounted
  --file-prefix       Prefix for hugepage filenames
  --create-uio-dev    Create /dev/uioX (usually done by hotplug)
  --vfio-intr         Interrupt mode for VFIO (legacy|msi|msix)
  --vfio-vf-token     VF token (UUID) shared between SR-IOV PF and VFs
  --legacy-mem        Legacy memory mode (no dynamic allocation, contiguous segments)
  --single-file-segments Put all hugepage memory in single files
  --match-allocations Free hugepages exactly as allocated
  --huge-worker-stack[=size]
                      Allocate worker thread stacks from hugepage memory.
                      Size is in units of kbytes and defaults to system
                      thread stack size if not specified.

eal-ts options:
  --mp-layout=auto|22.11|25.11
                      Layout of the mp messages this process sends:
                      auto (default: a secondary reads the primary's DPDK
                      version from its config file), 22.11 (DPDK 18.11 to
                      25.07, 332 bytes) or 25.11 (DPDK 25.11+, 340 bytes)
  --hotplug-timeout-ms=N
                      How long each hotplug exchange waits, in ms
                      (default 5000, DPDK's)
  --hotplug-observer  Secondary only: answer every hotplug request of the
                      primary with success without running drivers, and
                      keep a mirror of the primary's devices

In eal-ts, the memory, lcore, trace and VFIO options are checked
and then have no effect.

`;
}

/** eal_log_usage: the log types registered so far and the --log-level syntax. */
export function logLevelUsage(types: readonly { type: string; level: LogLevel }[]): string {
  const lines = [
    'Log type is a pattern matching items of this list (plugins may be missing):',
    ...types.map((t) => `\t${t.type}, ${logLevelName(t.level)}`),
    '',
    'Syntax using globbing pattern:     --log-level pattern:level',
    'Syntax using regular expression:   --log-level regexp,level',
    'Syntax for the global level:       --log-level level',
    'Logs are emitted if allowed by both global and specific levels.',
    '',
    'Log level can be a number or the first letters of its name:',
  ];
  for (let level = LogLevel.EMERG as number; level <= LogLevel.DEBUG; level++) lines.push(`\t${level}   ${logLevelName(level as LogLevel)}`);
  return lines.join('\n') + '\n';
}
