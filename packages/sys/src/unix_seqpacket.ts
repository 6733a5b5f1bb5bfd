import { EventEmitter } from 'node:events';
import { closeSync } from 'node:fs';

import { native, type NativeSeqpacketHandle, type NativeSeqpacketListener } from './addon.js';
import { SysError, fromAddon, settle } from './errors.js';
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

export interface UnixSeqpacketSocketEvents {
  message: [SeqpacketMessage];
  /** The peer closed (or sent an empty message, which DPDK reads the same way). */
  end: [];
  error: [SysError];
}

export interface UnixSeqpacketServerEvents {
  connection: [UnixSeqpacketSocket];
  error: [SysError];
}

const DEFAULT_RECEIVE_BUFFER_SIZE = 65536;
const MAX_RECEIVE_BUFFER_SIZE = 64 * 1024 * 1024;
const DEFAULT_SEND_TIMEOUT_MS = 2000;
const SEND_RETRY_MAX_DELAY_MS = 32;

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already gone: nothing to release
  }
}

function receiveBufferSize(opts: Readonly<Record<string, unknown>>): number {
  return optionalInteger(
    opts.receiveBufferSize,
    'options.receiveBufferSize',
    DEFAULT_RECEIVE_BUFFER_SIZE,
    1,
    MAX_RECEIVE_BUFFER_SIZE,
  );
}

/**
 * A connected AF_UNIX SOCK_SEQPACKET socket: message boundaries are kept, so
 * one send() is one 'message' on the other side. Events come from the event
 * loop only; nothing here ever blocks.
 */
export class UnixSeqpacketSocket extends EventEmitter<UnixSeqpacketSocketEvents> {
  readonly fd: number;
  readonly #handle: NativeSeqpacketHandle;
  #closed = false;

  private constructor(handle: NativeSeqpacketHandle) {
    super();
    this.fd = handle.fd;
    this.#handle = handle;
  }

  /**
   * Connects to the listening socket at `path`. Rejects with SysError
   * ENOENT (no such socket), ECONNREFUSED (nobody listens: a stale file) or
   * EAGAIN (the listener's backlog is full).
   */
  static connect(path: string, options?: UnixSeqpacketSocketOptions): Promise<UnixSeqpacketSocket> {
    return settle(() => {
      assertPath(path, 'path');
      const size = receiveBufferSize(optionalObject(options, 'options'));
      const fd = native.seqConnect(path);
      return UnixSeqpacketSocket.adopt(fd, size);
    });
  }

  /** Wraps a connected fd (taking ownership: it is closed even when this throws). */
  static adopt(fd: number, size: number = DEFAULT_RECEIVE_BUFFER_SIZE): UnixSeqpacketSocket {
    const bound: { socket?: UnixSeqpacketSocket } = {};
    const listener: NativeSeqpacketListener = (...event) => {
      if (bound.socket !== undefined) bound.socket.#onNativeEvent(event);
    };
    try {
      bound.socket = new UnixSeqpacketSocket(native.seqOpen(fd, size, listener));
    } catch (error) {
      throw fromAddon(error);
    }
    return bound.socket;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends one message without blocking. Returns false when the peer's queue
   * is full (EAGAIN); throws SysError for anything else (EPIPE when the peer
   * is gone, EMSGSIZE when the message is bigger than the socket allows).
   */
  trySend(data: Uint8Array): boolean {
    assertBytes(data, 'data');
    try {
      native.seqSend(this.#handle, data);
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
    const deadline = performance.now() + timeoutMs;
    let delay = 1;
    for (;;) {
      signal?.throwIfAborted();
      if (this.trySend(data)) return;
      if (performance.now() >= deadline) throw new SysError('EAGAIN', 'send');
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, delay);
        signal?.addEventListener('abort', done, { once: true });
      });
      delay = Math.min(delay * 2, SEND_RETRY_MAX_DELAY_MS);
    }
  }

  /** Stops receiving and closes the fd. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    native.seqClose(this.#handle);
  }

  ref(): this {
    if (!this.#closed) native.seqRef(this.#handle, true);
    return this;
  }

  unref(): this {
    if (!this.#closed) native.seqRef(this.#handle, false);
    return this;
  }

  #onNativeEvent(event: Parameters<NativeSeqpacketListener>): void {
    if (event[0] !== null) {
      this.emit('error', SysError.fromNative(event[0]));
      return;
    }
    const [, data, size, truncated] = event;
    if (data === null || typeof data === 'number') {
      this.emit('end');
      return;
    }
    this.emit('message', { data, size: size ?? data.length, truncated: truncated ?? false });
  }
}

/** A listening AF_UNIX SOCK_SEQPACKET socket bound to a path. */
export class UnixSeqpacketServer extends EventEmitter<UnixSeqpacketServerEvents> {
  readonly path: string;
  readonly fd: number;
  readonly #handle: NativeSeqpacketHandle;
  readonly #receiveBufferSize: number;
  #closed = false;

  private constructor(path: string, handle: NativeSeqpacketHandle, size: number) {
    super();
    this.path = path;
    this.fd = handle.fd;
    this.#handle = handle;
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
      const size = receiveBufferSize(opts);
      const bound: { server?: UnixSeqpacketServer } = {};
      const listener: NativeSeqpacketListener = (...event) => {
        if (bound.server !== undefined) bound.server.#onNativeEvent(event);
        else if (event[0] === null && typeof event[1] === 'number') closeQuietly(event[1]);
      };
      bound.server = new UnixSeqpacketServer(path, native.seqListen(path, backlog, listener), size);
      return bound.server;
    });
  }

  /** Stops accepting and closes the fd; connections already made stay open. The path is left in place. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    native.seqClose(this.#handle);
  }

  ref(): this {
    if (!this.#closed) native.seqRef(this.#handle, true);
    return this;
  }

  unref(): this {
    if (!this.#closed) native.seqRef(this.#handle, false);
    return this;
  }

  #onNativeEvent(event: Parameters<NativeSeqpacketListener>): void {
    if (event[0] !== null) {
      this.emit('error', SysError.fromNative(event[0]));
      return;
    }
    const fd = event[1];
    if (typeof fd !== 'number') return;
    if (this.#closed || this.listenerCount('connection') === 0) {
      closeQuietly(fd);
      return;
    }
    let socket: UnixSeqpacketSocket;
    try {
      socket = UnixSeqpacketSocket.adopt(fd, this.#receiveBufferSize);
    } catch (error) {
      this.emit('error', SysError.fromNative(error));
      return;
    }
    this.emit('connection', socket);
  }
}
