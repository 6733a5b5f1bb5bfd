import { EalTsError } from '@eal-ts/errno';

/** The errno names telemetry failures carry. */
export type TelemetryErrorCode =
  | 'EINVAL'
  | 'EEXIST'
  | 'ENOENT'
  | 'ENOSPC'
  | 'ENAMETOOLONG'
  | 'ECONNREFUSED'
  | 'ECONNRESET'
  | 'ETIMEDOUT'
  | 'EPROTO'
  | 'ENODEV'
  | 'EIO';

/** Every failure of this package; `code` is the errno name to branch on, `errno` its negative number. */
export class TelemetryError extends EalTsError<TelemetryErrorCode> {}

/**
 * The application has no telemetry socket: it runs with --no-telemetry (or
 * its telemetry failed to start), or no application uses that file prefix.
 * `code` is ENOENT; `appRunning` tells the two apart.
 */
export class TelemetryUnavailableError extends TelemetryError {
  /** The runtime directory exists (an application of that prefix ran or runs). */
  readonly appRunning: boolean;
  readonly path: string;

  constructor(path: string, appRunning: boolean, message: string, options?: ErrorOptions) {
    super('ENOENT', message, options);
    this.path = path;
    this.appRunning = appRunning;
  }
}
