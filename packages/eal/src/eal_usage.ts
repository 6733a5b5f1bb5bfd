/**
 * The help texts of rte_eal_init (eal_common_usage and eal_log_usage in
 * lib/eal/common/eal_common_options.c, DPDK 22.11), with eal-ts's own
 * options: what -h and --log-level=help print.
 */
import { LogLevel, logLevelName } from '@eal-ts/log';
import { RTE_MAX_LCORE } from './eal_lcores.js';

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
