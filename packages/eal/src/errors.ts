import { EalError } from '@eal-ts/bus';
import { EalTsError } from '@eal-ts/errno';

/**
 * A command line rte_eal_init refuses (DPDK: -1 with rte_errno EINVAL,
 * "Invalid 'command line' arguments."). `code` is EINVAL, `errno` -22;
 * the message says what was wrong and what is accepted.
 */
export class EalArgsError extends EalError {
  /** The option at fault as written on the command line (`-l`, `--vdev` …), when there is one. */
  readonly option: string | undefined;
  /** The value at fault, when there is one. */
  readonly argument: string | undefined;

  constructor(message: string, details: { option?: string; argument?: string } = {}) {
    super('EINVAL', message);
    this.option = details.option;
    this.argument = details.argument;
  }
}

/**
 * `-h`/`--help` or `--log-level=help` was given: DPDK prints the text and
 * exits with status 0. `Eal.init` does the same unless told not to exit
 * (`exitOnHelp: false`), in which case it prints and throws this. Not a
 * failure: `exitCode` is 0; `code` is ECANCELED (init stopped at the user's
 * request).
 */
export class EalHelpRequested extends EalTsError<'ECANCELED'> {
  readonly exitCode = 0;

  constructor(
    readonly topic: 'usage' | 'log-level',
    readonly text: string,
  ) {
    super('ECANCELED', topic === 'usage' ? 'EAL usage was requested (-h, --help)' : 'log level help was requested (--log-level=help)');
  }
}
