import { LogLevel } from '@eal-ts/log';
import { describe, expect, it } from 'vitest';
import { EalArgsError, parseEalArgs, usage } from '../src/index.js';

function rejects(argv: string[], message: RegExp): EalArgsError {
  let caught: unknown;
  try {
    parseEalArgs(argv);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(EalArgsError);
  const error = caught as EalArgsError;
  expect(error.code).toBe('EINVAL');
  expect(error.errno).toBe(-22);
  expect(error.message).toMatch(message);
  return error;
}

describe('getopt_long syntax', () => {
  it('takes a short option argument attached or as the next word', () => {
    expect(parseEalArgs(['-l', '0-3']).options.lcores?.lcores).toEqual([0, 1, 2, 3]);
    expect(parseEalArgs(['-l0-3']).options.lcores?.lcores).toEqual([0, 1, 2, 3]);
  });

  it('takes a long option argument after = or as the next word', () => {
    expect(parseEalArgs(['--lcores=0-1']).options.lcores?.lcores).toEqual([0, 1]);
    expect(parseEalArgs(['--lcores', '0-1']).options.lcores?.lcores).toEqual([0, 1]);
    expect(parseEalArgs(['--file-prefix', 'x']).options.filePrefix).toBe('x');
  });

  it('clusters short options without arguments, the last one taking the rest as its argument', () => {
    const { options } = parseEalArgs(['-vl0,2']);
    expect(options.version).toBe(true);
    expect(options.lcores?.lcores).toEqual([0, 2]);
  });

  it('accepts a unique prefix of a long option and refuses an ambiguous one', () => {
    expect(parseEalArgs(['--file=p']).options.filePrefix).toBe('p');
    expect(parseEalArgs(['--in-mem']).options.inMemory).toBe(true);
    const error = rejects(['--no-h'], /ambiguous; possibilities: '--no-hpet' '--no-huge'/);
    expect(error.option).toBe('--no-h');
  });

  it('refuses an unknown option, naming it', () => {
    expect(rejects(['--bogus'], /unrecognized option '--bogus'/).option).toBe('--bogus');
    expect(rejects(['-x'], /invalid option -- 'x'/).option).toBe('-x');
  });

  it('refuses a missing argument and an argument given to a flag', () => {
    rejects(['-l'], /option requires an argument -- 'l'/);
    rejects(['--vdev'], /option '--vdev' requires an argument/);
    rejects(['--no-pci=1'], /option '--no-pci' doesn't allow an argument/);
  });

  it('takes an optional argument only after =', () => {
    expect(() => parseEalArgs(['--huge-unlink=never'])).not.toThrow();
    const { consumed, args } = parseEalArgs(['--huge-unlink', 'never']);
    expect(consumed).toBe(1);
    expect(args).toEqual(['never']);
    rejects(['--huge-unlink=sometimes'], /--huge-unlink/);
  });
});

describe('consumed and the application arguments', () => {
  it('counts every EAL entry and the -- itself, as rte_eal_init returns', () => {
    const argv = ['-l', '0-1', '--vdev=net_null0', '--', '-i', '--foo'];
    const { consumed, args } = parseEalArgs(argv);
    expect(consumed).toBe(4);
    expect(argv.slice(consumed)).toEqual(['-i', '--foo']);
    expect(args).toEqual(['-i', '--foo']);
  });

  it('counts every entry when there is no --', () => {
    expect(parseEalArgs(['-l', '0', '--no-pci']).consumed).toBe(3);
    expect(parseEalArgs([]).consumed).toBe(0);
  });

  it('moves non-option words behind the options, as glibc permutes argv', () => {
    const { consumed, args, options } = parseEalArgs(['app-word', '--no-pci', '--', '-i']);
    expect(options.noPci).toBe(true);
    expect(consumed).toBe(2);
    expect(args).toEqual(['app-word', '-i']);
  });

  it('does not parse what follows --', () => {
    const { options } = parseEalArgs(['--', '--bogus', '-l']);
    expect(options.lcores).toBeNull();
  });
});

describe('cores: -c, -l, --lcores', () => {
  it('-c takes a hexadecimal coremask with or without 0x', () => {
    expect(parseEalArgs(['-c', '0xf']).options.lcores?.lcores).toEqual([0, 1, 2, 3]);
    expect(parseEalArgs(['-c', 'A']).options.lcores?.lcores).toEqual([1, 3]);
    expect(parseEalArgs(['-c', ' 0X10 ']).options.lcores?.lcores).toEqual([4]);
  });

  it('-c refuses non-hex characters, an empty mask and a mask without bits', () => {
    rejects(['-c', '0xg'], /invalid characters in coremask/);
    rejects(['-c', '0x'], /no lcores in coremask/);
    rejects(['-c', '0'], /no lcores in coremask/);
  });

  it('-l takes numbers and ranges, ignoring duplicates and blanks', () => {
    expect(parseEalArgs(['-l', '0,2,4-6']).options.lcores?.lcores).toEqual([0, 2, 4, 5, 6]);
    expect(parseEalArgs(['-l', ' 1 - 2 ,1']).options.lcores?.lcores).toEqual([1, 2]);
  });

  it('-l refuses bad syntax, downward ranges and lcores from RTE_MAX_LCORE (128) up', () => {
    rejects(['-l', '0-'], /invalid core list syntax/);
    rejects(['-l', 'a'], /invalid core list syntax/);
    rejects(['-l', '0,,1'], /invalid core list syntax/);
    rejects(['-l', '3-1'], /goes downwards/);
    rejects(['-l', '130'], /lcore 130 >= RTE_MAX_LCORE \(128\).*--lcores 0@130/);
  });

  it('--lcores maps lcore sets to cpu sets as DPDK documents', () => {
    const config = parseEalArgs(['--lcores', '1,2@(5-7),(3-5)@(0,2),(0,6),7-8']).options.lcores!;
    expect(config.lcores).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(config.cpusets.get(0)).toEqual([0, 6]);
    expect(config.cpusets.get(1)).toEqual([1]);
    expect(config.cpusets.get(2)).toEqual([5, 6, 7]);
    expect(config.cpusets.get(4)).toEqual([0, 2]);
    expect(config.cpusets.get(7)).toEqual([7]);
    expect(config.cpusets.get(8)).toEqual([8]);
  });

  it('--lcores refuses unclosed groups, a bare range before @ and lcores from 128 up', () => {
    rejects(['--lcores', '(0,1'], /not closed/);
    rejects(['--lcores', '1-3@5'], /--lcores/);
    rejects(['--lcores', '0@'], /--lcores/);
    rejects(['--lcores', '200@1'], /lcore 200 >= RTE_MAX_LCORE/);
    rejects(['--lcores', ''], /--lcores/);
  });

  it('refuses a second core option, whichever it is', () => {
    rejects(['-l', '0', '-c', '1'], /-c is refused because -l 0 is already set/);
    rejects(['-c', '1', '--lcores', '0'], /--lcores is refused because -c 1/);
  });

  it('--main-lcore must be one of the enabled lcores', () => {
    expect(parseEalArgs(['-l', '0-3', '--main-lcore', '2']).options.mainLcore).toBe(2);
    rejects(['-l', '0-1', '--main-lcore=3'], /main lcore 3 is not enabled/);
    rejects(['--main-lcore=x'], /--main-lcore/);
  });
});

describe('memory options: accepted, checked, without effect', () => {
  it('accepts -m, -n, --socket-mem, --huge-dir and --no-huge and lists them as without effect', () => {
    const { options } = parseEalArgs(['-m', '256', '-n', '4', '--huge-dir', '/mnt/huge', '--no-huge']);
    expect(options.memoryMb).toBe(256);
    expect(options.memoryChannels).toBe(4);
    expect(options.hugeDir).toBe('/mnt/huge');
    expect(options.noHuge).toBe(true);
    expect(options.noEffect.map((o) => o.option)).toEqual(['-m', '-n', '--huge-dir', '--no-huge']);
    expect(parseEalArgs(['--socket-mem=1024,512']).options.socketMem).toEqual([1024, 512]);
  });

  it('refuses malformed values', () => {
    rejects(['-m', 'lots'], /invalid parameter for -m 'lots'/);
    rejects(['-n', '0'], /invalid channel number/);
    rejects(['-r', '17'], /invalid rank number/);
    rejects(['--socket-mem', '1024,x'], /invalid parameters for --socket-mem/);
    rejects(['--huge-dir='], /--huge-dir/);
  });

  it('refuses the combinations DPDK refuses', () => {
    rejects(['-m', '64', '--socket-mem', '64'], /-m and --socket-mem cannot be specified at the same time/);
    rejects(['--no-huge', '--socket-mem', '64'], /--socket-mem cannot be specified together with --no-huge/);
    rejects(['--no-huge', '--in-memory'], /--legacy-mem \(implied by --no-huge\) is not compatible with --in-memory/);
    rejects(['--in-memory', '--huge-unlink=never'], /--in-memory is not compatible with --huge-unlink=never/);
  });
});

describe('process type, file prefix and shared config', () => {
  it('defaults to a primary with prefix rte, as DPDK', () => {
    const { options } = parseEalArgs([]);
    expect(options.procType).toBe('primary');
    expect(options.filePrefix).toBe('rte');
    expect(options.mpLayout).toBe('auto');
    expect(options.hotplugTimeoutMs).toBe(5000);
  });

  it('accepts primary, secondary and auto in any case', () => {
    expect(parseEalArgs(['--proc-type=auto']).options.procType).toBe('auto');
    expect(parseEalArgs(['--proc-type', 'SECONDARY']).options.procType).toBe('secondary');
  });

  it('refuses another process type', () => {
    rejects(['--proc-type=second'], /invalid process type 'second'.*primary, secondary or auto/);
  });

  it('refuses an empty file prefix, one with % and one with /', () => {
    rejects(['--file-prefix='], /--file-prefix/);
    rejects(['--file-prefix=a%d'], /'%'/);
    rejects(['--file-prefix=a/b'], /one name without '\/'/);
  });

  it('--in-memory implies --no-shconf', () => {
    const { options } = parseEalArgs(['--in-memory']);
    expect(options.inMemory).toBe(true);
    expect(options.noShconf).toBe(true);
    expect(parseEalArgs(['--no-shconf']).options.inMemory).toBe(false);
  });
});

describe('devices: -a, -b, --vdev, --no-pci', () => {
  it('keeps every -a, -b and --vdev in command-line order', () => {
    const { options } = parseEalArgs(['--vdev', 'net_null0', '-a', '0000:03:00.0', '--allow=04:00.0,foo=1', '--vdev=net_null1,size=128']);
    expect(options.devices).toEqual([
      { type: 'virtual', option: '--vdev', devargs: 'net_null0' },
      { type: 'allowed', option: '-a', devargs: '0000:03:00.0' },
      { type: 'allowed', option: '-a', devargs: '04:00.0,foo=1' },
      { type: 'virtual', option: '--vdev', devargs: 'net_null1,size=128' },
    ]);
    expect(options.allow).toEqual(['0000:03:00.0', '04:00.0,foo=1']);
    expect(options.vdevs).toEqual(['net_null0', 'net_null1,size=128']);
    expect(parseEalArgs(['-b', '0000:03:00.0', '--block', '0000:04:00.0']).options.block).toHaveLength(2);
  });

  it('refuses -a together with -b, in either order', () => {
    rejects(['-a', '0000:03:00.0', '-b', '0000:04:00.0'], /allow \(-a\) and block \(-b\) can't be used at the same time/);
    rejects(['--block=0000:04:00.0', '--allow=0000:03:00.0'], /can't be used at the same time/);
  });

  it('refuses empty devargs', () => {
    rejects(['--vdev='], /empty devargs/);
    rejects(['-a', ''], /empty devargs/);
  });

  it('--no-pci sets noPci', () => {
    expect(parseEalArgs(['--no-pci']).options.noPci).toBe(true);
  });
});

describe('--log-level', () => {
  it('takes a global level as a number or a name prefix', () => {
    expect(parseEalArgs(['--log-level=8']).options.logLevels[0]).toMatchObject({ kind: 'global', level: LogLevel.DEBUG });
    expect(parseEalArgs(['--log-level', 'err']).options.logLevels[0]).toMatchObject({ kind: 'global', level: LogLevel.ERR });
    expect(parseEalArgs(['--log-level=0x7']).options.logLevels[0]?.level).toBe(LogLevel.INFO);
  });

  it('takes glob:level and regex,level and is repeatable', () => {
    const { logLevels } = parseEalArgs(['--log-level=lib.eal:debug', '--log-level', 'pmd.*:info', '--log-level=^bus\\..*,5']).options;
    expect(logLevels).toEqual([
      { kind: 'pattern', match: 'lib.eal', level: LogLevel.DEBUG, text: 'lib.eal:debug' },
      { kind: 'pattern', match: 'pmd.*', level: LogLevel.INFO, text: 'pmd.*:info' },
      { kind: 'regexp', match: '^bus\\..*', level: LogLevel.WARNING, text: '^bus\\..*,5' },
    ]);
  });

  it('clamps a number above 8 to debug, as DPDK', () => {
    expect(parseEalArgs(['--log-level=9']).options.logLevels[0]).toMatchObject({ level: LogLevel.DEBUG, clampedFrom: 9 });
  });

  it('refuses level 0, unknown names, empty levels and bad regular expressions', () => {
    rejects(['--log-level=0'], /invalid log level '0'/);
    rejects(['--log-level=lib.eal:verbose'], /invalid log level 'verbose'.*emergency, alert/);
    rejects(['--log-level=lib.eal:'], /invalid log level ''/);
    rejects(['--log-level=(,8'], /invalid regular expression '\('/);
  });

  it('help asks for the log usage and stops parsing', () => {
    const { options } = parseEalArgs(['--log-level=help', '--bogus']);
    expect(options.logLevelHelp).toBe(true);
  });
});

describe('-h, -v and the eal-ts options', () => {
  it('-h and --help ask for usage and stop parsing', () => {
    expect(parseEalArgs(['-h', '--bogus']).options.help).toBe(true);
    expect(parseEalArgs(['--help']).options.help).toBe(true);
  });

  it('-v asks for the version', () => {
    expect(parseEalArgs(['-v']).options.version).toBe(true);
  });

  it('--mp-layout takes auto, 22.11 or 25.11', () => {
    expect(parseEalArgs(['--mp-layout=25.11']).options.mpLayout).toBe('25.11');
    expect(parseEalArgs(['--mp-layout=22.11']).options.mpLayout).toBe('22.11');
    expect(parseEalArgs(['--mp-layout=auto']).options.mpLayout).toBe('auto');
    rejects(['--mp-layout=23.11'], /auto.*22\.11.*25\.11/);
  });

  it('--hotplug-observer is a flag, off by default', () => {
    expect(parseEalArgs([]).options.hotplugObserver).toBe(false);
    expect(parseEalArgs(['--hotplug-observer']).options.hotplugObserver).toBe(true);
    rejects(['--hotplug-observer=yes'], /hotplug-observer/);
  });

  it('--hotplug-timeout-ms takes a positive number of milliseconds', () => {
    expect(parseEalArgs(['--hotplug-timeout-ms', '250']).options.hotplugTimeoutMs).toBe(250);
    rejects(['--hotplug-timeout-ms=0'], /positive number of milliseconds/);
    rejects(['--hotplug-timeout-ms=1s'], /positive number of milliseconds/);
  });

  it('--no-telemetry turns telemetry off, --telemetry back on, the last one winning', () => {
    expect(parseEalArgs([]).options.telemetry).toBe(true);
    expect(parseEalArgs(['--no-telemetry']).options.telemetry).toBe(false);
    expect(parseEalArgs(['--no-telemetry', '--telemetry']).options.telemetry).toBe(true);
    expect(parseEalArgs(['--no-telemetry']).options.noEffect).toEqual([]);
  });

  it('accepts the other DPDK 22.11 options and checks their syntax', () => {
    expect(() =>
      parseEalArgs([
        '--iova-mode=va', '--syslog', 'daemon', '--no-telemetry', '--telemetry', '--no-hpet', '--vmware-tsc-map',
        '--base-virtaddr=0x7f0000000000', '--vfio-intr=msix', '--trace=lib.eal.*', '--trace-mode=o', '--trace-bufsz=2M',
        '--force-max-simd-bitwidth=512', '--mbuf-pool-ops-name=ring_mp_mc', '--legacy-mem', '--single-file-segments',
        '-s', '0x2', '-S', '1', '-d', '/usr/lib/dpdk/pmds',
      ]),
    ).not.toThrow();
    rejects(['--iova-mode=xx'], /'pa' or 'va'/);
    rejects(['--syslog=nope'], /unknown facility/);
    rejects(['--force-max-simd-bitwidth=100'], /power of two/);
    rejects(['--vfio-vf-token=nope'], /UUID/);
  });
});

describe('usage()', () => {
  it("reads like DPDK's usage, with the program name and the eal-ts options", () => {
    const text = usage('hotplug_mp');
    expect(text).toContain('Usage: hotplug_mp [options]');
    expect(text).toContain('EAL common options:');
    expect(text).toContain('-l CORELIST         List of cores to run on');
    expect(text).toContain('--proc-type         Type of this process (primary|secondary|auto)');
    expect(text).toContain('[NOTE: allow cannot be used with block option]');
    expect(text).toContain('EAL Linux options:');
    expect(text).toContain('--mp-layout=auto|22.11|25.11');
    expect(text).toContain('--hotplug-timeout-ms=N');
  });
});
