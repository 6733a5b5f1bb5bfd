import { native, type NativeDgramHandle, type NativeDgramListener } from './addon.js';
import { SysError, fromAddon, settle } from './errors.js';
import { retryWithBackoff } from './retry.js';
import { NativeSocket, type NativeSocketEvents, closeFdsQuietly, receiveBufferSizeOption } from './unix_socket.js';
import { MAX_FDS_PER_DATAGRAM, assertBytes, assertFds, assertPath, optionalInteger, optionalObject } from './validate.js';

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

export interface UnixDgramSocketEvents extends NativeSocketEvents {
  datagram: [Datagram];
}

const DEFAULT_RECEIVE_BUFFER_SIZE = 4096;
/** A full receiver queue is normal back-pressure; give the peer this long to drain it. */
const SEND_RETRY_BUDGET_MS = 2000;
const SEND_RETRY_MAX_DELAY_MS = 64;

const errnoEAGAIN = 'EAGAIN';
const errnoENOBUFS = 'ENOBUFS';

type DatagramEvent = Exclude<Parameters<NativeDgramListener>, [Error]>;

const calls = {
  close: (handle: NativeDgramHandle) => native.dgramClose(handle),
  ref: (handle: NativeDgramHandle, keepAlive: boolean) => native.dgramRef(handle, keepAlive),
};

/**
 * An AF_UNIX SOCK_DGRAM socket bound to a path, with SCM_RIGHTS fd passing and
 * SCM_CREDENTIALS on every received datagram. It starts receiving as soon as
 * it is bound; events are always emitted from the event loop, never during bind().
 */
export class UnixDgramSocket extends NativeSocket<UnixDgramSocketEvents, NativeDgramHandle, Parameters<NativeDgramListener>> {
  readonly path: string;

  private constructor(path: string, receiveBufferSize: number, maxReceiveFds: number) {
    super(calls, (listener) => native.dgramBind(path, receiveBufferSize, maxReceiveFds, listener));
    this.path = path;
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
      const receiveBufferSize = receiveBufferSizeOption(opts, DEFAULT_RECEIVE_BUFFER_SIZE);
      const maxReceiveFds = optionalInteger(
        opts.maxReceiveFds,
        'options.maxReceiveFds',
        MAX_FDS_PER_DATAGRAM,
        0,
        MAX_FDS_PER_DATAGRAM,
      );
      return new UnixDgramSocket(path, receiveBufferSize, maxReceiveFds);
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
    let queueFull: Error | undefined;
    const attempt = (): boolean => {
      try {
        native.dgramSend(this.handle, path, data, fds);
        return true;
      } catch (thrown) {
        const error = fromAddon(thrown);
        if (!(error instanceof SysError && (error.code === errnoEAGAIN || error.code === errnoENOBUFS))) throw error;
        queueFull = error;
        return false;
      }
    };
    // Every mp datagram comes through here: the uncontended send returns without the retry loop's await.
    if (attempt()) return;
    if (await retryWithBackoff(attempt, { timeoutMs: SEND_RETRY_BUDGET_MS, maxDelayMs: SEND_RETRY_MAX_DELAY_MS, afterFailedAttempt: true })) return;
    throw new SysError(errnoEAGAIN, 'sendmsg', path, { cause: queueFull });
  }

  /** Stops receiving and closes the fd. Idempotent. The path is left in place. */
  close(): Promise<void> {
    return settle(() => this.closeHandle());
  }

  protected override onNativeEvent(event: DatagramEvent): void {
    const [, data, size, truncated, controlTruncated, peer, fds, credentials] = event;
    if (this.listenerCount('datagram') === 0) {
      // Nobody can ever see these fds: closing them is the only way not to leak.
      closeFdsQuietly(fds);
      return;
    }
    this.emit('datagram', { data, size, truncated, controlTruncated, peer, fds, credentials });
  }
}
