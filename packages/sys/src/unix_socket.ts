import { EventEmitter } from 'node:events';
import { closeSync } from 'node:fs';

import { SysError } from './errors.js';
import { optionalInteger } from './validate.js';

// What the datagram and seqpacket socket classes share (native/unix_socket.c
// is the C side of it).

/** The native functions behind one kind of socket handle. */
export interface NativeSocketCalls<Handle> {
  close(handle: Handle): void;
  ref(handle: Handle, keepAlive: boolean): void;
}

const MAX_RECEIVE_BUFFER_SIZE = 64 * 1024 * 1024;

/** options.receiveBufferSize: 1 byte to 64 MiB. */
export function receiveBufferSizeOption(opts: Readonly<Record<string, unknown>>, fallback: number): number {
  return optionalInteger(opts.receiveBufferSize, 'options.receiveBufferSize', fallback, 1, MAX_RECEIVE_BUFFER_SIZE);
}

/** Closes an fd nobody will ever see, so that it does not leak. */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already gone: nothing to release
  }
}

/** Closes received fds nobody will own (one already closed elsewhere is skipped). */
export function closeFdsQuietly(fds: readonly number[]): void {
  for (const fd of fds) closeQuietly(fd);
}

/** What every kind of socket emits; each kind adds its own events. */
export interface NativeSocketEvents {
  error: [SysError];
}

/** What a native listener hears: an error, or an event of the handle's kind. */
type NativeEvent = [error: Error] | [error: null, ...rest: unknown[]];

/**
 * A socket object around a native handle: it owns the handle, routes the
 * handle's events (`Event`: its listener's arguments) to 'error' or to
 * onNativeEvent, and closes and refs it. Each subclass types its events; every kind has 'error'.
 */
export abstract class NativeSocket<
  Events extends Record<keyof Events, unknown[]> & NativeSocketEvents,
  Handle extends { readonly fd: number },
  Event extends NativeEvent,
> extends EventEmitter<Events> {
  readonly fd: number;
  readonly #handle: Handle;
  readonly #calls: NativeSocketCalls<Handle>;
  #closed = false;

  /** `open` makes the native handle, given the listener for its events. */
  protected constructor(calls: NativeSocketCalls<Handle>, open: (listener: (...event: Event) => void) => Handle) {
    super();
    this.#calls = calls;
    // The native side only calls back from the event loop, by which time
    // construction is over.
    this.#handle = open((...event) => {
      if (event[0] !== null) this.emitError(event[0]);
      else this.onNativeEvent(event as Exclude<Event, [Error]>);
    });
    this.fd = this.#handle.fd;
  }

  protected get isClosed(): boolean {
    return this.#closed;
  }

  /** Stops polling and closes the fd; idempotent. */
  protected closeHandle(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#calls.close(this.#handle);
  }

  protected get handle(): Handle {
    return this.#handle;
  }

  /** Lets the socket keep the event loop alive (the default). */
  ref(): this {
    if (!this.#closed) this.#calls.ref(this.#handle, true);
    return this;
  }

  /** Lets the process exit while this socket is open. */
  unref(): this {
    if (!this.#closed) this.#calls.ref(this.#handle, false);
    return this;
  }

  /** A failure reported by the native side (or met handling an event), as an 'error' event. */
  protected emitError(error: unknown): void {
    (this as EventEmitter).emit('error', SysError.fromNative(error));
  }

  /** An event of the handle's kind (errors go to emitError). */
  protected abstract onNativeEvent(event: Exclude<Event, [Error]>): void;
}
