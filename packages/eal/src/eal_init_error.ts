/** The error of rte_eal_init past the command line, and how init turns any failure into it. */
import { EalError } from '@eal-ts/bus';
import { type EalTsErrorOptions, type ErrnoName, errnoNameOf, messageOf } from '@eal-ts/errno';

/** Where in rte_eal_init a failure happened. */
export type EalInitStage =
  | 'runtime-dir'
  | 'proc-type'
  | 'mp-channel'
  | 'ethdev'
  | 'buses'
  | 'devargs'
  | 'scan'
  | 'hotplug'
  | 'probe'
  | 'telemetry';

/** rte_eal_init failed after the command line was accepted; everything set up so far has been undone. */
export class EalInitError extends EalError {
  constructor(code: ErrnoName, readonly stage: EalInitStage, message: string, options?: EalTsErrorOptions) {
    super(code, message, options);
  }
}

export { messageOf } from '@eal-ts/errno';

export function initError(stage: EalInitStage, fallback: ErrnoName, context: string, error: unknown): EalInitError {
  if (error instanceof EalInitError) return error;
  return new EalInitError(errnoNameOf(error) ?? fallback, stage, `${context}: ${messageOf(error)}`, { cause: error, context });
}
