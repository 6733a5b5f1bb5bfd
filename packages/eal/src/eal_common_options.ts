/**
 * DPDK's EAL command line (lib/eal/common/eal_common_options.c and the
 * Linux part of lib/eal/linux/eal.c, DPDK 22.11), read with getopt_long's
 * rules (getopt_long.ts). Table-driven: each option's spec below carries its
 * names, its argument syntax, the defaults of what it sets and how it
 * applies; eal_check_common_options' cross-checks follow the walk.
 *
 * Parsing is pure: nothing is printed, logged or created here. `Eal.init`
 * applies the result.
 */
import { LogLevelError, type LogLevelOption, parseLogLevelOption as parseLogLevelArg } from '@eal-ts/log';
import { isMpLayout, type MpLayout, type ProcessType } from '@eal-ts/mp-channel';
import { checkCommonOptions } from './eal_common_options_check.js';
import { EalArgsError } from './errors.js';
import { type GetoptSpec, getoptLong, optionName } from './getopt_long.js';
import {
  type LcoreConfig,
  LcoreSyntaxError,
  RTE_MAX_LCORE,
  parseCorelist,
  parseCoremask,
  parseLcoresMap,
} from './eal_lcores.js';

export type { LogLevelOption } from '@eal-ts/log';

/** RTE_MAX_NUMA_NODES of DPDK's x86 builds. */
export const RTE_MAX_NUMA_NODES = 32;
/** DPDK's default --file-prefix. */
export const DEFAULT_FILE_PREFIX = 'rte';
/** eal-ts's default for --hotplug-timeout-ms: DPDK's 5 s. */
export const DEFAULT_HOTPLUG_TIMEOUT_MS = 5000;

export type ProcTypeOption = ProcessType | 'auto';

/** One `-a`, `-b` or `--vdev`, in command-line order (DPDK's devopt_list). */
export interface DeviceOption {
  readonly type: 'allowed' | 'blocked' | 'virtual';
  readonly option: '-a' | '-b' | '--vdev';
  readonly devargs: string;
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


/** One --log-level argument in DPDK's forms (eal_parse_log_level, shared with @eal-ts/log); 'help' is handled by the caller. */
export function parseLogLevelOption(text: string): LogLevelOption {
  try {
    return parseLogLevelArg(text);
  } catch (error) {
    if (error instanceof LogLevelError) throw new EalArgsError(error.message, { option: '--log-level', argument: text });
    throw error;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] };

/** @internal What the walk fills in: EalOptions' fields (allow/block/vdevs are derived) and what only the checks need. */
export interface Draft extends Mutable<Omit<EalOptions, 'allow' | 'block' | 'vdevs' | 'procType'>> {
  /** null: an unknown --proc-type, refused after the walk as DPDK's eal_check_common_options does. */
  procType: ProcTypeOption | null;
  procTypeText: string;
  legacyMem: boolean;
  hugeUnlink: 'existing' | 'always' | 'never';
  singleFileSegments: boolean;
  matchAllocations: boolean;
  hugeWorkerStack: boolean;
}

/** The option being applied: its name as written, its value, and how to refuse it. */
interface Given {
  readonly option: string;
  readonly value: string | null;
  /** The value, '' for none. */
  readonly arg: string;
  bad(why: string, accepted: string): never;
}

interface OptionSpec extends GetoptSpec {
  /** The defaults of the fields this option sets (declared by the first option that sets a field). */
  readonly defaults?: Partial<Draft>;
  /** Checked, then without effect in eal-ts: listed in `noEffect` under this area. */
  readonly noEffect?: NoEffectOption['area'];
  readonly apply?: (d: Draft, given: Given) => void;
}

const SYSLOG_FACILITIES = [
  'auth', 'cron', 'daemon', 'ftp', 'kern', 'lpr', 'mail', 'news', 'syslog', 'user', 'uucp',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
] as const;

/** rte_uuid_parse: 8-4-4-4-12 hex digits. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

/** An option whose value must pass `ok`; `set` keeps it (absent: checked only). */
function checked(ok: (arg: string) => boolean, why: string, accepted: string, set?: (d: Draft, arg: string) => void): OptionSpec['apply'] {
  return (d, g) => {
    if (!ok(g.arg)) g.bad(why, accepted);
    set?.(d, g.arg);
  };
}

/** An unsigned decimal count kept in `field` when `ok` accepts it. */
function count<K extends 'memoryMb' | 'memoryChannels' | 'memoryRanks' | 'hotplugTimeoutMs'>(
  field: K,
  ok: (n: number) => boolean,
  why: string,
  accepted: string,
): OptionSpec['apply'] {
  return (d, g) => {
    const n = unsignedDecimal(g.arg);
    if (n === undefined || !ok(n)) g.bad(why, accepted);
    d[field] = n!;
  };
}

/** -a, -b or --vdev: devargs in command-line order; -a and -b exclude each other. */
function device(type: DeviceOption['type'], option: DeviceOption['option'], accepted: string): OptionSpec['apply'] {
  return (d, g) => {
    const other = type === 'virtual' ? undefined : d.devices.find((x) => x.type !== 'virtual' && x.type !== type);
    if (other) {
      throw new EalArgsError(
        `options allow (-a) and block (-b) can't be used at the same time: ${g.option} ${g.arg} after ${other.option} ${other.devargs}; ` +
          'use only -a (probe just these devices) or only -b (probe all but these)',
        { option: g.option, argument: g.arg },
      );
    }
    if (g.arg === '') g.bad('empty devargs', accepted);
    d.devices.push({ type, option, devargs: g.arg });
  };
}

function lcoreSyntax(g: Given, parse: (text: string) => LcoreConfig): LcoreConfig {
  try {
    return parse(g.arg);
  } catch (error) {
    if (error instanceof LcoreSyntaxError) throw new EalArgsError(`invalid ${g.option} argument: ${error.message}`, { option: g.option, argument: g.arg });
    throw error;
  }
}

/** -c, -l or --lcores: only one of them. */
function lcoreSet(parse: (text: string) => LcoreConfig): OptionSpec['apply'] {
  return (d, g) => {
    const config = lcoreSyntax(g, parse);
    if (d.lcores) {
      throw new EalArgsError(
        `option ${g.option} is refused because ${d.lcores.option} ${d.lcores.text} is already set: give the cores once, with one of -c, -l or --lcores`,
        { option: g.option, argument: g.arg },
      );
    }
    d.lcores = config;
  };
}

/** eal_parse_socket_arg: comma-separated MB per NUMA node. */
function socketArg(field: 'socketMem' | 'socketLimit'): OptionSpec['apply'] {
  return (d, g) => {
    const bad = (why: string): never => {
      throw new EalArgsError(
        `invalid parameters for ${g.option} '${g.arg}': ${why}; expected megabytes per NUMA node separated by commas, e.g. 1024,1024 (at most ${RTE_MAX_NUMA_NODES} values)`,
        { option: g.option, argument: g.arg },
      );
    };
    if (g.arg.length >= RTE_MAX_NUMA_NODES * 10) bad('too long');
    const parts = g.arg.split(',');
    if (parts.length > RTE_MAX_NUMA_NODES) bad(`${parts.length} values`);
    d[field] = parts.map((part) => unsignedDecimal(part) ?? bad(`'${part}' is not a number of megabytes`));
  };
}

const NOT_EMPTY = (arg: string): boolean => arg !== '';

/** DPDK 22.11's options (eal_short_options, eal_long_options), then eal-ts's own. */
const SPECS: readonly OptionSpec[] = [
  { short: 'a', long: 'allow', arg: 'required', defaults: { devices: [] }, apply: device('allowed', '-a', 'expected a device such as 0000:03:00.0 or net_null0[,key=value...]') },
  { short: 'b', long: 'block', arg: 'required', apply: device('blocked', '-b', 'expected a device such as 0000:03:00.0 or net_null0[,key=value...]') },
  { short: 'c', arg: 'required', noEffect: 'lcores', defaults: { lcores: null }, apply: lcoreSet(parseCoremask) },
  { short: 's', arg: 'required', noEffect: 'lcores', apply: (_, g) => void lcoreSyntax(g, parseCoremask) },
  {
    short: 'd', arg: 'required', noEffect: 'other', defaults: { drivers: [] },
    apply: checked(NOT_EMPTY, 'empty path', 'expected a driver LIB.so or a directory of them', (d, arg) => d.drivers.push(arg)),
  },
  { short: 'h', long: 'help', arg: 'none', defaults: { help: false }, apply: (d) => void (d.help = true) },
  { short: 'l', arg: 'required', noEffect: 'lcores', apply: lcoreSet(parseCorelist) },
  { short: 'S', arg: 'required', noEffect: 'lcores', apply: (_, g) => void lcoreSyntax(g, parseCorelist) },
  {
    short: 'm', arg: 'required', noEffect: 'memory', defaults: { memoryMb: null },
    apply: count('memoryMb', () => true, 'not a number', 'expected the memory to allocate in megabytes, e.g. -m 256'),
  },
  {
    short: 'n', arg: 'required', noEffect: 'memory', defaults: { memoryChannels: null },
    apply: count('memoryChannels', (n) => n > 0, 'invalid channel number', 'expected a positive number of memory channels, e.g. -n 4'),
  },
  {
    short: 'r', arg: 'required', noEffect: 'memory', defaults: { memoryRanks: null },
    apply: count('memoryRanks', (n) => n > 0 && n <= 16, 'invalid rank number', 'expected a number of memory ranks, 1..16'),
  },
  { short: 'v', arg: 'none', defaults: { version: false }, apply: (d) => void (d.version = true) },
  {
    long: 'base-virtaddr', arg: 'required', noEffect: 'memory',
    apply: checked((a) => /^(0x)?[0-9a-f]+$/i.test(a), 'not a hexadecimal address', 'expected a hexadecimal virtual address, e.g. 0x7f0000000000'),
  },
  { long: 'create-uio-dev', arg: 'none', noEffect: 'other' },
  { long: 'file-prefix', arg: 'required', defaults: { filePrefix: DEFAULT_FILE_PREFIX }, apply: (d, g) => void (d.filePrefix = g.arg) },
  { long: 'huge-dir', arg: 'required', noEffect: 'memory', defaults: { hugeDir: null }, apply: (d, g) => void (d.hugeDir = g.arg) },
  {
    long: 'huge-unlink', arg: 'optional', noEffect: 'memory', defaults: { hugeUnlink: 'existing' },
    apply: (d, g) => {
      if (g.value === null || g.value === 'always') d.hugeUnlink = 'always';
      else if (g.value === 'existing' || g.value === 'never') d.hugeUnlink = g.value;
      else g.bad('unknown mode', 'expected --huge-unlink, --huge-unlink=existing, --huge-unlink=always or --huge-unlink=never');
    },
  },
  { long: 'iova-mode', arg: 'required', noEffect: 'memory', apply: checked((a) => a === 'pa' || a === 'va', 'unknown IOVA mode', "expected 'pa' or 'va'") },
  { long: 'lcores', arg: 'required', noEffect: 'lcores', apply: lcoreSet(parseLcoresMap) },
  {
    long: 'log-level', arg: 'required', defaults: { logLevels: [], logLevelHelp: false },
    apply: (d, g) => {
      if (g.arg === 'help') d.logLevelHelp = true;
      else d.logLevels.push(parseLogLevelOption(g.arg));
    },
  },
  { long: 'trace', arg: 'required', noEffect: 'other', apply: checked(NOT_EMPTY, 'empty value', 'expected a regular expression of trace point names') },
  { long: 'trace-dir', arg: 'required', noEffect: 'other', apply: checked(NOT_EMPTY, 'empty value', 'expected a non-empty value') },
  {
    long: 'trace-bufsz', arg: 'required', noEffect: 'other',
    apply: checked((a) => /^\d+[BKM]?$/.test(a) && !/^0+[BKM]?$/.test(a), 'not a size', 'expected a size with an optional unit B, K or M, e.g. 2M'),
  },
  {
    long: 'trace-mode', arg: 'required', noEffect: 'other',
    apply: checked((a) => a !== '' && ('overwrite'.startsWith(a) || 'discard'.startsWith(a)), 'unknown mode', 'expected o[verwrite] or d[iscard]'),
  },
  {
    long: 'main-lcore', arg: 'required', noEffect: 'lcores', defaults: { mainLcore: null },
    apply: (d, g) => {
      const lcore = unsignedAnyBase(g.arg);
      if (lcore === undefined || lcore >= RTE_MAX_LCORE) g.bad('not an lcore id', `expected a number below ${RTE_MAX_LCORE}`);
      d.mainLcore = lcore!;
    },
  },
  { long: 'mbuf-pool-ops-name', arg: 'required', noEffect: 'other', apply: checked(NOT_EMPTY, 'empty value', 'expected a non-empty value') },
  { long: 'no-hpet', arg: 'none', noEffect: 'other' },
  // DPDK: no-huge is legacy mem.
  { long: 'no-huge', arg: 'none', noEffect: 'memory', defaults: { noHuge: false }, apply: (d) => void ((d.noHuge = true), (d.legacyMem = true)) },
  { long: 'no-pci', arg: 'none', defaults: { noPci: false }, apply: (d) => void (d.noPci = true) },
  { long: 'no-shconf', arg: 'none', defaults: { noShconf: false }, apply: (d) => void (d.noShconf = true) },
  {
    long: 'in-memory', arg: 'none', defaults: { inMemory: false },
    apply: (d) => {
      d.inMemory = true;
      d.noShconf = true;
      if (d.hugeUnlink === 'existing') d.hugeUnlink = 'always';
    },
  },
  {
    long: 'proc-type', arg: 'required', defaults: { procType: 'primary', procTypeText: 'primary' },
    apply: (d, g) => {
      d.procType = (['primary', 'secondary', 'auto'] as const).find((t) => t === g.arg.toLowerCase()) ?? null;
      d.procTypeText = g.arg;
    },
  },
  { long: 'socket-mem', arg: 'required', noEffect: 'memory', defaults: { socketMem: null }, apply: socketArg('socketMem') },
  { long: 'socket-limit', arg: 'required', noEffect: 'memory', defaults: { socketLimit: null }, apply: socketArg('socketLimit') },
  {
    long: 'syslog', arg: 'required', noEffect: 'other', defaults: { syslog: null },
    apply: checked((a) => (SYSLOG_FACILITIES as readonly string[]).includes(a), 'unknown facility', `expected one of ${SYSLOG_FACILITIES.join(', ')}`, (d, a) => void (d.syslog = a)),
  },
  { long: 'vdev', arg: 'required', apply: device('virtual', '--vdev', 'expected <driver><id>[,key=val,...], e.g. --vdev=net_null0,size=64') },
  {
    long: 'vfio-intr', arg: 'required', noEffect: 'other',
    apply: checked((a) => a === 'legacy' || a === 'msi' || a === 'msix', 'unknown interrupt mode', 'expected legacy, msi or msix'),
  },
  { long: 'vfio-vf-token', arg: 'required', noEffect: 'other', apply: checked((a) => UUID.test(a), 'not a UUID', 'expected a UUID such as 14d63f20-8445-11ea-8900-1f9ce7d5650d') },
  { long: 'vmware-tsc-map', arg: 'none', noEffect: 'other' },
  { long: 'legacy-mem', arg: 'none', noEffect: 'memory', defaults: { legacyMem: false }, apply: (d) => void (d.legacyMem = true) },
  { long: 'single-file-segments', arg: 'none', noEffect: 'memory', defaults: { singleFileSegments: false }, apply: (d) => void (d.singleFileSegments = true) },
  { long: 'match-allocations', arg: 'none', noEffect: 'memory', defaults: { matchAllocations: false }, apply: (d) => void (d.matchAllocations = true) },
  { long: 'telemetry', arg: 'none', defaults: { telemetry: true }, apply: (d) => void (d.telemetry = true) },
  { long: 'no-telemetry', arg: 'none', apply: (d) => void (d.telemetry = false) },
  {
    long: 'force-max-simd-bitwidth', arg: 'required', noEffect: 'other',
    apply: checked(
      (a) => {
        const width = unsignedAnyBase(a);
        return width !== undefined && (width === 0 || (width >= 64 && width <= 32768 && (width & (width - 1)) === 0));
      },
      'invalid bitwidth',
      'expected 0 (no limit) or a power of two from 64 to 32768',
    ),
  },
  {
    long: 'huge-worker-stack', arg: 'optional', noEffect: 'memory', defaults: { hugeWorkerStack: false },
    apply: (d, g) => {
      if (g.value !== null && g.value !== '' && !unsignedDecimal(g.value)) {
        g.bad('invalid stack size', 'expected --huge-worker-stack or --huge-worker-stack=<kB>, a positive number');
      }
      d.hugeWorkerStack = true;
    },
  },
  // eal-ts extensions
  {
    long: 'mp-layout', arg: 'required', defaults: { mpLayout: 'auto' },
    apply: checked(
      (a) => a === 'auto' || isMpLayout(a),
      'unknown layout',
      "expected auto (the primary's DPDK version decides, the default), 22.11 (DPDK 18.11 to 25.07, 332-byte messages) or 25.11 (DPDK 25.11 and later, 340 bytes)",
      (d, a) => void (d.mpLayout = a as MpLayout | 'auto'),
    ),
  },
  {
    long: 'hotplug-timeout-ms', arg: 'required', defaults: { hotplugTimeoutMs: DEFAULT_HOTPLUG_TIMEOUT_MS },
    apply: count('hotplugTimeoutMs', (ms) => ms > 0 && ms <= 0x7fff_ffff, 'not a timeout', "expected a positive number of milliseconds, e.g. 500 (default 5000, DPDK's)"),
  },
  { long: 'hotplug-observer', arg: 'none', defaults: { hotplugObserver: false }, apply: (d) => void (d.hotplugObserver = true) },
];

/** Every field's default, from the specs that set it (copied per parse: some are arrays). */
const DEFAULTS: Draft = Object.assign({ noEffect: [] }, ...SPECS.map((spec) => spec.defaults ?? {})) as Draft;

function applySpec(d: Draft, spec: OptionSpec, value: string | null): void {
  const option = optionName(spec);
  const arg = value ?? '';
  const bad = (why: string, accepted: string): never => {
    throw new EalArgsError(`invalid parameter for ${option} '${arg}': ${why}; ${accepted}`, { option, argument: arg });
  };
  spec.apply?.(d, { option, value, arg, bad });
  if (spec.noEffect) d.noEffect.push({ option, value, area: spec.noEffect });
}

/**
 * rte_eal_init's argument parsing. `argv` holds the arguments only, without
 * the program name (`process.argv.slice(2)`). Throws EalArgsError (EINVAL)
 * for an unknown, ambiguous or malformed option.
 */
export function parseEalArgs(argv: readonly string[]): ParsedEalArgs {
  const d = structuredClone(DEFAULTS);
  // DPDK prints the help and exits at once: what follows is not looked at.
  const helped = (): boolean => d.help || d.logLevelHelp;
  const { next, nonOptions } = getoptLong(argv, SPECS, (spec, value) => applySpec(d, spec, value), helped);
  if (!helped()) checkCommonOptions(d);
  const { procType, procTypeText: _t, legacyMem: _l, hugeUnlink: _h, singleFileSegments: _s, matchAllocations: _m, hugeWorkerStack: _w, ...fields } = d;
  const options: EalOptions = {
    ...fields,
    procType: procType ?? 'primary',
    allow: d.devices.filter((x) => x.type === 'allowed').map((x) => x.devargs),
    block: d.devices.filter((x) => x.type === 'blocked').map((x) => x.devargs),
    vdevs: d.devices.filter((x) => x.type === 'virtual').map((x) => x.devargs),
  };
  return { options, consumed: next - nonOptions.length, args: [...nonOptions, ...argv.slice(next)] };
}
