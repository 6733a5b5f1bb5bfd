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

export interface NativeReadableFdHandle {
  readonly fd: number;
}

/** (null, data) per read, (null, null) at end of file. */
export type NativeReadableFdListener = (...event: [error: Error] | [error: null, data: Buffer | null]) => void;

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
  rfdOpen(fd: number, bufferSize: number, onEvent: NativeReadableFdListener): NativeReadableFdHandle;
  rfdClose(handle: NativeReadableFdHandle): void;
  rfdRef(handle: NativeReadableFdHandle, keepAlive: boolean): void;
  isatty(fd: number): boolean;
  recordLock(fd: number, type: 'read' | 'write' | 'unlock', start: number, length: number): boolean;
  recordLockTest(fdOrPath: number | string, type: 'read' | 'write', start: number, length: number): NativeLockHolder | null;
  flockLock(fd: number, operation: 'shared' | 'exclusive' | 'unlock'): boolean;
  readAt(fd: number, bytes: Uint8Array, position: number): number;
  writeAt(fd: number, bytes: Uint8Array, position: number): number;
  diffChunks(a: Uint8Array, b: Uint8Array, chunkSize: number): number[];
  lockedReadAt(fd: number, exclusive: boolean, bytes: Uint8Array, position: number, unlockAfter: boolean): number;
  writeAtUnlock(fd: number, bytes: Uint8Array, position: number): number;
  fstatInto(fd: number, out: Float64Array): void;
}

interface AddonResolver {
  addonCandidates(packageDir: string): string[];
  localBuild(packageDir: string): string;
  runtimeLibc(): string | null;
  buildHelp(): string;
}

const require = createRequire(import.meta.url);
// Shared with the install script, which runs before anything is compiled; '..' from both src/ and dist/.
const resolver = require('../scripts/resolve-addon.cjs') as AddonResolver;
const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** Where `node-gyp rebuild` puts the addon (tried after the prebuilt binaries). */
export const addonPath = resolver.localBuild(packageDir);

/** Tries $EAL_TS_SYS_ADDON, then prebuilds/<platform>-<arch>/ (N-API, right libc), then build/Release. */
function load(): NativeAddon {
  const failures: string[] = [];
  let lastCause: unknown;
  for (const path of resolver.addonCandidates(packageDir)) {
    try {
      return require(path) as NativeAddon;
    } catch (cause) {
      lastCause = cause;
      failures.push(`  ${path}: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`);
    }
  }
  throw new Error(
    `@eal-ts/sys: the native addon is not built: no binary for ${process.platform}-${process.arch} ` +
      `(${resolver.runtimeLibc() ?? 'unknown libc'}) loads. Tried:\n${failures.join('\n')}\n${resolver.buildHelp()}\nCause: ` +
      (lastCause instanceof Error ? lastCause.message : String(lastCause)),
    { cause: lastCause },
  );
}

export const native: NativeAddon = load();
