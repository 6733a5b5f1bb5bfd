/** One datagram as a transport hands it to the channel (the shape of @eal-ts/sys's Datagram). */
export interface ReceivedDatagram {
  data: Uint8Array;
  /** The datagram's real size, even when `data` was cut short. */
  size: number;
  truncated: boolean;
  controlTruncated: boolean;
  /** The sender's socket path; '' for an unbound sender, which cannot be answered. */
  peer: string;
  /** Received file descriptors; the channel owns them (closes them or hands them to a handler). */
  fds: number[];
  credentials: { pid: number; uid: number; gid: number } | null;
}

/** Lets a caller give up a wait for the runtime directory's lock. */
export interface MpLockOptions {
  signal?: AbortSignal;
}

export interface MpEndpoint {
  readonly path: string;
  /** Rejects with an error carrying `.code` (ECONNREFUSED: nobody bound there any more; ENOENT: no such path). */
  send(to: string, datagram: Uint8Array, fds: readonly number[]): Promise<void>;
  /** Closes the socket and unlinks its path. */
  close(): Promise<void>;
}

/** Where the channel's sockets and its runtime-directory locking come from, so the channel runs the same over Unix sockets and in memory. */
export interface MpTransport {
  /**
   * Binds `path` (replacing a leftover file there, as DPDK unlinks before
   * bind) under the runtime dir's exclusive lock (DPDK flock(LOCK_EX) on the
   * directory while binding). `onError` hears receive errors of the socket.
   */
  bind(path: string, onDatagram: (d: ReceivedDatagram) => void, onError?: (error: Error) => void, options?: MpLockOptions): Promise<MpEndpoint>;
  /**
   * Runs fn with the current secondary socket paths of `dir` (entries
   * matching mp_socket_*, sorted), holding the directory's shared lock for
   * the whole of fn (DPDK holds LOCK_SH during the entire broadcast, replies
   * included, so no secondary can join halfway).
   */
  withPeers<T>(dir: string, fn: (peers: string[]) => Promise<T>, options?: MpLockOptions): Promise<T>;
  /**
   * True only when a withPeers of `dir` started now would surely find no
   * secondary, decided without waiting for the directory's lock (the check
   * withPeers itself makes before it skips the lock). False when in doubt;
   * a transport without the method is always in doubt.
   */
  surelyAlone?(dir: string): boolean;
  /** Removes a dead peer's socket path (ignores ENOENT). */
  unlink(path: string): Promise<void>;
  /**
   * Primary start-up clean-up under the directory's exclusive lock: removes
   * mp_socket_* that no live process has bound and fbarray_* files nobody
   * holds a lock on (DPDK's eal_clean_runtime_dir). Returns the removed paths.
   */
  cleanStale(dir: string, options?: MpLockOptions): Promise<string[]>;
  /**
   * Releases received descriptors nobody will own (dropped datagrams, unknown
   * actions, IGN). Default: close(2) each. The in-memory transport passes the
   * sender's own numbers, so it must not close them.
   */
  closeFds?(fds: readonly number[]): void;
  /**
   * The channel of `dir` is closed: let go of anything kept open for `dir`
   * between broadcasts (UnixTransport keeps the directory's fd it flocks).
   */
  releaseDir?(dir: string): void;
}
