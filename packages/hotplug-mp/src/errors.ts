import { EalError } from '@eal-ts/bus';
import { type ErrnoName, nameOf } from '@eal-ts/errno';

/** The two hotplug operations (rte_dev_probe / rte_dev_remove). */
export type HotplugOp = 'attach' | 'detach';

/**
 * Where a hotplug operation failed:
 * - `local`: this process's own probe/remove (or the devargs were refused here);
 * - `secondary`: a secondary answered a broadcast with an error (`peer` names it);
 * - `ipc`: a broadcast or the request to the primary could not be sent, or not
 *   every process answered in time;
 * - `primary`: a secondary asked the primary, which answered with an error.
 */
export type HotplugStage = 'local' | 'secondary' | 'ipc' | 'primary';

export interface HotplugErrorDetails {
  op: HotplugOp;
  devargs: string;
  stage: HotplugStage;
  /** The socket path of the process whose answer made the operation fail (a secondary, or the primary). */
  peer?: string;
  /** Whether the operation was rolled back in every process before failing. */
  rolledBack?: boolean;
  cause?: unknown;
  /** The number a peer sent, when it is not `code`'s own (see fromResult). */
  errno?: number;
}

/**
 * A failed attach or detach. `code` is the errno name and `errno` the
 * negative number DPDK's rte_dev_probe/rte_dev_remove would return (and that
 * goes on the wire in the `result` field); the message names the failing
 * secondary and its answer when a secondary caused it.
 */
export class HotplugError extends EalError {
  readonly op: HotplugOp;
  readonly devargs: string;
  readonly stage: HotplugStage;
  readonly peer: string | undefined;
  readonly rolledBack: boolean;

  constructor(code: ErrnoName, message: string, details: HotplugErrorDetails) {
    super(code, message, details);
    this.op = details.op;
    this.devargs = details.devargs;
    this.stage = details.stage;
    this.peer = details.peer;
    this.rolledBack = details.rolledBack ?? false;
  }

  /**
   * From a negative errno a peer sent. A number outside the errno table keeps
   * its value under the EIO name (the name is only a label).
   */
  static fromResult(errno: number, message: string, details: HotplugErrorDetails): HotplugError {
    return new HotplugError(nameOf(errno) ?? 'EIO', message, { ...details, errno });
  }
}

/** `EFAULT (-14)`: how messages show a result. */
export function describeResult(result: number): string {
  const name = nameOf(result);
  return `${name ?? 'errno'} (${result})`;
}

export { messageOf as describeError } from '@eal-ts/errno';
