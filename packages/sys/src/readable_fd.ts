import { native, type NativeReadableFdHandle, type NativeReadableFdListener } from './addon.js';
import { SysError, fromAddon, settle } from './errors.js';
import { NativeSocket, type NativeSocketEvents } from './unix_socket.js';
import { assertFd, optionalInteger, optionalObject } from './validate.js';

export interface ReadableFdOptions {
  /** The most bytes one read(2) takes; default 65536. */
  bufferSize?: number;
}

export interface ReadableFdEvents extends NativeSocketEvents {
  /** What one read(2) returned. */
  data: [Buffer];
  /** End of file (the writer closed): no more 'data'. */
  end: [];
}

type ReadableFdEvent = Exclude<Parameters<NativeReadableFdListener>, [Error]>;

const DEFAULT_BUFFER_SIZE = 65536;
const MAX_BUFFER_SIZE = 64 * 1024 * 1024;

const calls = {
  close: (handle: NativeReadableFdHandle) => native.rfdClose(handle),
  ref: (handle: NativeReadableFdHandle, keepAlive: boolean) => native.rfdRef(handle, keepAlive),
};

/**
 * Whether `fd` is a terminal (isatty(3)). The same answer as node:tty's
 * isatty, without loading node:tty (with the stream modules behind it, 1.6
 * MiB of a small process's peak RSS). False for an fd that is not open.
 */
export function isatty(fd: number): boolean {
  assertFd(fd, 'fd');
  return native.isatty(fd);
}

/**
 * A pipe, socket or terminal read from the event loop, each read(2) one
 * 'data' Buffer, then 'end': what DPDK's cmdline does with its fd, without
 * a Node stream in between (issue 11: on a process that had idled, the
 * stream layers cost a scripted command 16–20 µs). It reads a close-on-exec
 * duplicate of `fd`, made non-blocking (a flag of the open file description,
 * as Node's own stdin sets); close() closes the duplicate only, so `fd`
 * stays open and its owner's. Events come from the event loop only.
 */
export class ReadableFd extends NativeSocket<ReadableFdEvents, NativeReadableFdHandle, Parameters<NativeReadableFdListener>> {
  private constructor(fd: number, bufferSize: number) {
    super(calls, (listener) => native.rfdOpen(fd, bufferSize, listener));
  }

  /**
   * Starts reading `fd`. Throws SysError EPERM (syscall 'poll') for a
   * regular file or a directory, which cannot be polled: read those with
   * fs instead. EBADF for an fd that is not open.
   */
  static open(fd: number, options?: ReadableFdOptions): ReadableFd {
    assertFd(fd, 'fd');
    const opts = optionalObject(options, 'options');
    const bufferSize = optionalInteger(opts.bufferSize, 'options.bufferSize', DEFAULT_BUFFER_SIZE, 1, MAX_BUFFER_SIZE);
    try {
      return new ReadableFd(fd, bufferSize);
    } catch (thrown) {
      const error = fromAddon(thrown);
      if (error instanceof SysError && error.code === 'EPERM' && error.syscall === 'poll') {
        throw new SysError('EPERM', 'poll', undefined, {
          description: `fd ${fd} is a regular file or a directory, which cannot be polled; read it with node:fs`,
        });
      }
      throw error;
    }
  }

  /** Stops reading and closes the duplicate (not `fd` itself). Idempotent. */
  close(): Promise<void> {
    return settle(() => this.closeHandle());
  }

  protected override onNativeEvent(event: ReadableFdEvent): void {
    const data = event[1];
    if (data === null) this.emit('end');
    else this.emit('data', data);
  }
}
