import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import type { Credentials } from './unix_dgram.js';

/** What the C side hands back for a bound socket; opaque apart from `fd`. */
export interface NativeDgramHandle {
  readonly fd: number;
}

/** Called by the poll handle: an error, or one received datagram. */
export type NativeDgramListener = (
  ...event:
    | [error: Error]
    | [
        error: null,
        data: Buffer,
        size: number,
        truncated: boolean,
        controlTruncated: boolean,
        peer: string,
        fds: number[],
        credentials: Credentials | null,
      ]
) => void;

export interface NativeSeqpacketHandle {
  readonly fd: number;
}

/** A listener reports (null, fd) per accepted connection; a connection reports
 * (null, data, size, truncated) per message and (null, null) at end of stream. */
export type NativeSeqpacketListener = (
  ...event:
    | [error: Error]
    | [error: null, fd: number]
    | [error: null, data: null]
    | [error: null, data: Buffer, size: number, truncated: boolean]
) => void;

export interface NativeLockHolder {
  type: 'read' | 'write';
  pid: number;
  start: number;
  length: number;
}

export interface NativeAddon {
  dgramBind(path: string, receiveBufferSize: number, maxReceiveFds: number, onEvent: NativeDgramListener): NativeDgramHandle;
  dgramSend(handle: NativeDgramHandle, path: string, data: Uint8Array, fds: readonly number[]): void;
  dgramClose(handle: NativeDgramHandle): void;
  dgramRef(handle: NativeDgramHandle, keepAlive: boolean): void;
  seqListen(path: string, backlog: number, onEvent: NativeSeqpacketListener): NativeSeqpacketHandle;
  seqConnect(path: string): number;
  seqOpen(fd: number, receiveBufferSize: number, onEvent: NativeSeqpacketListener): NativeSeqpacketHandle;
  seqSend(handle: NativeSeqpacketHandle, data: Uint8Array): void;
  seqClose(handle: NativeSeqpacketHandle): void;
  seqRef(handle: NativeSeqpacketHandle, keepAlive: boolean): void;
  recordLock(fd: number, type: 'read' | 'write' | 'unlock', start: number, length: number, wait: false): boolean;
  recordLock(fd: number, type: 'read' | 'write', start: number, length: number, wait: true): Promise<true>;
  recordLockTest(fdOrPath: number | string, type: 'read' | 'write', start: number, length: number): NativeLockHolder | null;
  flockLock(fd: number, operation: 'shared' | 'exclusive' | 'unlock', wait: false): boolean;
  flockLock(fd: number, operation: 'shared' | 'exclusive', wait: true): Promise<true>;
}

/** Where node-gyp puts the addon, relative to both src/ and dist/. */
export const addonPath = fileURLToPath(new URL('../build/Release/eal_sys.node', import.meta.url));

function load(): NativeAddon {
  const require = createRequire(import.meta.url);
  try {
    return require(addonPath) as NativeAddon;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new Error(
      `@eal-ts/sys: the native addon is not built (${addonPath}): run \`pnpm --filter @eal-ts/sys rebuild\` ` +
        `(node-gyp rebuild; needs python3, make and a C compiler). Cause: ${reason}`,
      { cause },
    );
  }
}

export const native: NativeAddon = load();
