import { EventEmitter } from 'node:events';
import { closeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { native, type NativeDgramHandle, type NativeDgramListener } from './addon.js';
import { SysError, fromAddon, settle } from './errors.js';
import {
  MAX_FDS_PER_DATAGRAM,
  assertBytes,
  assertFds,
  assertPath,
  optionalInteger,
  optionalObject,
} from './validate.js';

export interface Credentials {
  pid: number;
  uid: number;
  gid: number;
}

export interface Datagram {
  /** The bytes received: at most receiveBufferSize of them. */
  data: Buffer;
  /** The datagram's real size, even when it did not fit the buffer. */
  size: number;
  /** The datagram was larger than the receive buffer (MSG_TRUNC). */
  truncated: boolean;
  /** Control data was cut (MSG_CTRUNC): some fds may have been dropped by the kernel. */
  controlTruncated: boolean;
  /** The sender's bound path; '' for an unnamed sender, '@name' for an abstract one. */
  peer: string;
  /** fds received with SCM_RIGHTS (close-on-exec). The receiver owns and must close them. */
  fds: number[];
  /** The sender's pid/uid/gid from SCM_CREDENTIALS. */
  credentials: Credentials | null;
}

export interface UnixDgramSocketOptions {
  /** Receive buffer in bytes; default 4096 (DPDK datagrams are 332 or 340 bytes). */
  receiveBufferSize?: number;
  /** How many fds one received datagram may carry; default 253 (DPDK 24.11+ max). */
  maxReceiveFds?: number;
}

export interface UnixDgramSocketEvents {
  datagram: [Datagram];
  error: [SysError];
}

const DEFAULT_RECEIVE_BUFFER_SIZE = 4096;
const MAX_RECEIVE_BUFFER_SIZE = 64 * 1024 * 1024;
/** A full receiver queue is normal back-pressure; give the peer this long to drain it. */
const SEND_RETRY_BUDGET_MS = 2000;
const SEND_RETRY_MAX_DELAY_MS = 64;

const errnoEAGAIN = 'EAGAIN';
const errnoENOBUFS = 'ENOBUFS';

/**
 * An AF_UNIX SOCK_DGRAM socket bound to a path, with SCM_RIGHTS fd passing and
 * SCM_CREDENTIALS on every received datagram. It starts receiving as soon as
 * it is bound; events are always emitted from the event loop, never during bind().
 */
export class UnixDgramSocket extends EventEmitter<UnixDgramSocketEvents> {
  readonly path: string;
  readonly fd: number;
  readonly #handle: NativeDgramHandle;
  #closed = false;

  private constructor(path: string, handle: NativeDgramHandle) {
    super();
    this.path = path;
    this.fd = handle.fd;
    this.#handle = handle;
  }

  /**
   * Binds a new socket at `path` (a filesystem path, or '@name' for the
   * abstract namespace). Rejects with SysError EADDRINUSE when the path
   * exists and ENAMETOOLONG when it does not fit sun_path.
   */
  // `override` only because Function.prototype.bind sits on the static side.
  static override bind(path: string, options?: UnixDgramSocketOptions): Promise<UnixDgramSocket> {
    return settle(() => {
      assertPath(path, 'path');
      const opts = optionalObject(options, 'options');
      const receiveBufferSize = optionalInteger(
        opts.receiveBufferSize,
        'options.receiveBufferSize',
        DEFAULT_RECEIVE_BUFFER_SIZE,
        1,
        MAX_RECEIVE_BUFFER_SIZE,
      );
      const maxReceiveFds = optionalInteger(
        opts.maxReceiveFds,
        'options.maxReceiveFds',
        MAX_FDS_PER_DATAGRAM,
        0,
        MAX_FDS_PER_DATAGRAM,
      );
      // The native side only calls back from the event loop, by which time
      // `socket` is assigned.
      const bound: { socket?: UnixDgramSocket } = {};
      const listener: NativeDgramListener = (...event) => {
        if (bound.socket !== undefined) bound.socket.#onNativeEvent(event);
      };
      const handle = native.dgramBind(path, receiveBufferSize, maxReceiveFds, listener);
      bound.socket = new UnixDgramSocket(path, handle);
      return bound.socket;
    });
  }

  /**
   * Sends one datagram to the socket bound at `path`, with `fds` as one
   * SCM_RIGHTS message (the fds stay ours; the kernel duplicates them).
   * A full receiver queue (EAGAIN/ENOBUFS) is retried with a short backoff
   * for about two seconds, then rejected with SysError EAGAIN.
   */
  async send(path: string, data: Uint8Array, fds: readonly number[] = []): Promise<void> {
    assertPath(path, 'path');
    assertBytes(data, 'data');
    assertFds(fds, 'fds');
    const deadline = performance.now() + SEND_RETRY_BUDGET_MS;
    let delay = 1;
    for (;;) {
      let error: Error;
      try {
        native.dgramSend(this.#handle, path, data, fds);
        return;
      } catch (thrown) {
        error = fromAddon(thrown);
      }
      const full = error instanceof SysError && (error.code === errnoEAGAIN || error.code === errnoENOBUFS);
      if (!full) throw error;
      if (performance.now() >= deadline) {
        throw new SysError(errnoEAGAIN, 'sendmsg', path, { cause: error });
      }
      await sleep(delay);
      delay = Math.min(delay * 2, SEND_RETRY_MAX_DELAY_MS);
    }
  }

  /** Stops receiving and closes the fd. Idempotent. The path is left in place. */
  close(): Promise<void> {
    return settle(() => {
      if (this.#closed) return;
      this.#closed = true;
      native.dgramClose(this.#handle);
    });
  }

  /** Lets the socket keep the event loop alive (the default). */
  ref(): this {
    if (!this.#closed) native.dgramRef(this.#handle, true);
    return this;
  }

  /** Lets the process exit while this socket is open. */
  unref(): this {
    if (!this.#closed) native.dgramRef(this.#handle, false);
    return this;
  }

  #onNativeEvent(event: Parameters<NativeDgramListener>): void {
    if (event[0] !== null) {
      this.emit('error', SysError.fromNative(event[0]));
      return;
    }
    const [, data, size, truncated, controlTruncated, peer, fds, credentials] = event;
    if (this.listenerCount('datagram') === 0) {
      // Nobody can ever see these fds: closing them is the only way not to leak.
      for (const fd of fds) {
        try {
          closeSync(fd);
        } catch {
          // already gone: nothing to release
        }
      }
      return;
    }
    this.emit('datagram', { data, size, truncated, controlTruncated, peer, fds, credentials });
  }
}
