/**
 * eal_check_common_options (lib/eal/common/eal_common_options.c, DPDK
 * 22.11), for what eal-ts can check: the cross-checks between options that
 * run once the whole command line has been read.
 */
import type { Draft } from './eal_common_options.js';
import { EalArgsError } from './errors.js';

/** eal_check_common_options, for what eal-ts can check. */
export function checkCommonOptions(b: Draft): void {
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

