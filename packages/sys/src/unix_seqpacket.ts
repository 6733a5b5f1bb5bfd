import { native, type NativeSeqpacketHandle, type NativeSeqpacketListener } from './addon.js';
import { SysError, fromAddon, settle } from './errors.js';
import { retryWithBackoff } from './retry.js';
import { NativeSocket, type NativeSocketEvents, closeQuietly, receiveBufferSizeOption } from './unix_socket.js';
import { assertBytes, assertPath, optionalInteger, optionalObject } from './validate.js';

/** One whole message of a SOCK_SEQPACKET connection. */
export interface SeqpacketMessage {
  /** The bytes received: at most receiveBufferSize of them. */
  data: Buffer;
  /** The message's real size, even when it did not fit the buffer. */
  size: number;
  /** The message was larger than the receive buffer; the rest is lost (MSG_TRUNC). */
  truncated: boolean;
}

export interface UnixSeqpacketSocketOptions {
  /** Receive buffer in bytes: the largest message read whole. Default 65536. */
  receiveBufferSize?: number;
}

export interface UnixSeqpacketServerOptions extends UnixSeqpacketSocketOptions {
  /** listen(2) backlog; default 16. */
  backlog?: number;
}

export interface SeqpacketSendOptions {
  /** How long a full peer queue (EAGAIN) is retried; default 2000 ms, 0 = fail at once. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface UnixSeqpacketSocketEvents extends NativeSocketEvents {
  message: [SeqpacketMessage];
  /** The peer closed (or sent an empty message, which DPDK reads the same way). */
  end: [];
}

export interface UnixSeqpacketServerEvents extends NativeSocketEvents {
  connection: [UnixSeqpacketSocket];
}

const DEFAULT_RECEIVE_BUFFER_SIZE = 65536;
const DEFAULT_SEND_TIMEOUT_MS = 2000;
const SEND_RETRY_MAX_DELAY_MS = 32;

type SeqpacketEvent = Exclude<Parameters<NativeSeqpacketListener>, [Error]>;

/** Listeners and connections are handles of one kind. */
const calls = {
  close: (handle: NativeSeqpacketHandle) => native.seqClose(handle),
  ref: (handle: NativeSeqpacketHandle, keepAlive: boolean) => native.seqRef(handle, keepAlive),
};

/**
 * A connected AF_UNIX SOCK_SEQPACKET socket: message boundaries are kept, so
 * one send() is one 'message' on the other side. Events come from the event
 * loop only; nothing here ever blocks.
 */
export class UnixSeqpacketSocket extends NativeSocket<UnixSeqpacketSocketEvents, NativeSeqpacketHandle, Parameters<NativeSeqpacketListener>> {
  private constructor(fd: number, size: number) {
    super(calls, (listener) => native.seqOpen(fd, size, listener));
  }

  /**
   * Connects to the listening socket at `path`. Rejects with SysError
   * ENOENT (no such socket), ECONNREFUSED (nobody listens: a stale file) or
   * EAGAIN (the listener's backlog is full).
   */
  static connect(path: string, options?: UnixSeqpacketSocketOptions): Promise<UnixSeqpacketSocket> {
    return settle(() => {
      assertPath(path, 'path');
      const size = receiveBufferSizeOption(optionalObject(options, 'options'), DEFAULT_RECEIVE_BUFFER_SIZE);
      const fd = native.seqConnect(path);
      return UnixSeqpacketSocket.adopt(fd, size);
    });
  }

  /** Wraps a connected fd (taking ownership: it is closed even when this throws). */
  static adopt(fd: number, size: number = DEFAULT_RECEIVE_BUFFER_SIZE): UnixSeqpacketSocket {
    try {
      return new UnixSeqpacketSocket(fd, size);
    } catch (error) {
      throw fromAddon(error);
    }
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Sends one message without blocking. Returns false when the peer's queue
   * is full (EAGAIN); throws SysError for anything else (EPIPE when the peer
   * is gone, EMSGSIZE when the message is bigger than the socket allows).
   */
  trySend(data: Uint8Array): boolean {
    assertBytes(data, 'data');
    try {
      native.seqSend(this.handle, data);
      return true;
    } catch (thrown) {
      const error = fromAddon(thrown);
      if (error instanceof SysError && error.code === 'EAGAIN') return false;
      throw error;
    }
  }

  /**
   * Sends one message; a full peer queue is retried with a short backoff for
   * `timeoutMs`, then rejected with SysError EAGAIN. An aborted signal
   * rejects with its reason.
   */
  async send(data: Uint8Array, options?: SeqpacketSendOptions): Promise<void> {
    const opts = optionalObject(options, 'options');
    const timeoutMs = optionalInteger(opts.timeoutMs, 'options.timeoutMs', DEFAULT_SEND_TIMEOUT_MS, 0, 2 ** 31 - 1);
    const signal = opts.signal as AbortSignal | undefined;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError('options.signal must be an AbortSignal');
    }
    if (await retryWithBackoff(() => this.trySend(data), { timeoutMs, maxDelayMs: SEND_RETRY_MAX_DELAY_MS, signal })) return;
    throw new SysError('EAGAIN', 'send');
  }

  /** Stops receiving and closes the fd. Idempotent. */
  close(): void {
    this.closeHandle();
  }

  protected override onNativeEvent(event: SeqpacketEvent): void {
    const [, data, size, truncated] = event;
    if (data === null || typeof data === 'number') {
      this.emit('end');
      return;
    }
    this.emit('message', { data, size: size ?? data.length, truncated: truncated ?? false });
  }
}

/** A listening AF_UNIX SOCK_SEQPACKET socket bound to a path. */
export class UnixSeqpacketServer extends NativeSocket<UnixSeqpacketServerEvents, NativeSeqpacketHandle, Parameters<NativeSeqpacketListener>> {
  readonly path: string;
  readonly #receiveBufferSize: number;

  private constructor(path: string, backlog: number, size: number) {
    super(calls, (listener) => native.seqListen(path, backlog, listener));
    this.path = path;
    this.#receiveBufferSize = size;
  }

  /**
   * Binds and listens at `path`. Rejects with SysError EADDRINUSE when the
   * path exists (deciding whether a socket file is stale is the caller's
   * business: UnixSeqpacketSocket.connect answers ECONNREFUSED for one).
   */
  static listen(path: string, options?: UnixSeqpacketServerOptions): Promise<UnixSeqpacketServer> {
    return settle(() => {
      assertPath(path, 'path');
      const opts = optionalObject(options, 'options');
      const backlog = optionalInteger(opts.backlog, 'options.backlog', 16, 1, 4096);
      const size = receiveBufferSizeOption(opts, DEFAULT_RECEIVE_BUFFER_SIZE);
      return new UnixSeqpacketServer(path, backlog, size);
    });
  }

  /** Stops accepting and closes the fd; connections already made stay open. The path is left in place. */
  close(): void {
    this.closeHandle();
  }

  protected override onNativeEvent(event: SeqpacketEvent): void {
    const fd = event[1];
    if (typeof fd !== 'number') return;
    if (this.isClosed || this.listenerCount('connection') === 0) {
      closeQuietly(fd);
      return;
    }
    let socket: UnixSeqpacketSocket;
    try {
      socket = UnixSeqpacketSocket.adopt(fd, this.#receiveBufferSize);
    } catch (error) {
      this.emitError(error);
      return;
    }
    this.emit('connection', socket);
  }
}
