/** The error of rte_eal_init past the command line, and how init turns any failure into it. */
import { EalError, type ErrnoName, isErrnoName } from '@eal-ts/bus';

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
  override name = 'EalInitError';
  readonly stage: EalInitStage;

  constructor(code: ErrnoName, stage: EalInitStage, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.stage = stage;
  }
}

export function codeOf(error: unknown, fallback: ErrnoName): ErrnoName {
  const code = (error as { code?: unknown } | null)?.code;
  return isErrnoName(code) ? code : fallback;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function initError(stage: EalInitStage, fallback: ErrnoName, context: string, error: unknown): EalInitError {
  if (error instanceof EalInitError) return error;
  return new EalInitError(codeOf(error, fallback), stage, `${context}: ${messageOf(error)}`, { cause: error });
}
