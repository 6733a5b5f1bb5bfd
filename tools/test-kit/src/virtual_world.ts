// The virtual-time world of the in-memory suites: every mp channel of one
// runtime directory on one virtual clock, opened with unique secondary
// socket names, run until nothing is scheduled, closed together. The
// channel type and its opening stay with the caller (this package depends
// on no eal-ts package but log), typed by shape here.

export interface RunnableClock {
  /** Runs every timer until none is left. */
  runAll(): Promise<unknown>;
}

export interface Closable {
  close(): Promise<unknown>;
}

export type Role = 'primary' | 'secondary';

/** What every channel of the world is opened with (spread it into MpChannel.open's options). */
export interface WorldChannelOptions<C> {
  role: Role;
  runtimeDir: string;
  clock: C;
  /** A unique `mp_socket_<n>_<tag>` for a secondary; undefined for the primary (its default path). */
  socketPath: string | undefined;
}

export class VirtualWorld<C extends RunnableClock, Ch extends Closable = Closable> {
  readonly channels: Ch[] = [];
  #next: number;

  constructor(
    readonly clock: C,
    readonly runtimeDir: string,
    /** Secondary socket names run from `mp_socket_<first>_<tag>` on. */
    readonly secondaryNames: { first: number; tag: string } = { first: 1000, tag: 'a' },
  ) {
    this.#next = secondaryNames.first;
  }

  /** Options for the next channel of `role`. */
  channelOptions(role: Role): WorldChannelOptions<C> {
    const { tag } = this.secondaryNames;
    return {
      role,
      runtimeDir: this.runtimeDir,
      clock: this.clock,
      socketPath: role === 'secondary' ? `${this.runtimeDir}/mp_socket_${this.#next++}_${tag}` : undefined,
    };
  }

  /** Keeps `channel` for closeAll, and gives it back. */
  async track<T extends Ch>(channel: Promise<T>): Promise<T> {
    const opened = await channel;
    this.channels.push(opened);
    return opened;
  }

  /** Lets virtual time run until nothing is scheduled, then gives p's outcome. */
  run = async <T>(p: Promise<T>): Promise<T> => {
    p.catch(() => undefined);
    await this.clock.runAll();
    return p;
  };

  /** Runs `p` to completion and returns what it rejected with (fails if it resolved). */
  async rejection(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
    try {
      await this.run(p);
    } catch (error) {
      return error as Error & Record<string, unknown>;
    }
    throw new Error('expected a rejection');
  }

  closeAll = (): Promise<unknown[]> => Promise.all(this.channels.map((c) => c.close()));
}
