import { errnoNameOf } from '@eal-ts/errno';
import { LogLevel, LogRegistry, type Logger } from '@eal-ts/log';
import { closeFdsQuietly } from '@eal-ts/sys';
import { resolve } from 'node:path';
import { systemClock } from './clock.js';
import { mpSocketPath, secondarySocketPath } from './eal_filesystem.js';
import { primaryMpLayout, readPrimaryConfig } from './eal_memcfg.js';
import { MpError } from './errors.js';
import {
  decodeMpMsg,
  encodeMpMsgForSend,
  checkMpName,
  checkedNameBytes,
  isMpLayout,
  MpMsgType,
  mpMsgTypeName,
  RTE_MP_MAX_FD_NUM,
  RTE_MP_MAX_FD_NUM_24_11,
  RTE_MP_MAX_PARAM_LEN,
  type DecodedMpMsg,
  type MpLayout,
} from './rte_mp_msg.js';
import { describe, runAction } from './mp_action.js';
import { PendingRequests } from './mp_request.js';
import type { MpEndpoint, MpTransport, ReceivedDatagram } from './transport.js';
import type { ProcessType } from './eal_proc_type.js';
import type {
  MpAction,
  MpChannelOptions,
  MpMessage,
  MpRequestOptions,
  MpResponse,
  MpTrace,
  MpUnhandledAction,
} from './mp_types.js';

/** A secondary's first words must be in its primary's layout: read its version from the config file. */
async function autoLayout(runtimeDir: string, logger: Logger): Promise<MpLayout> {
  try {
    return primaryMpLayout(await readPrimaryConfig(runtimeDir), '22.11');
  } catch (error) {
    logger.warning(`Cannot read the primary's config in ${runtimeDir} (${describe(error)}): speaking the 22.11 layout`);
    return '22.11';
  }
}

/**
 * The rte_mp channel of one process (eal_common_proc.c): named actions,
 * fire-and-forget messages, requests with gathered replies, broadcast from
 * the primary to every secondary, over any MpTransport.
 */
export class MpChannel {
  readonly role: ProcessType;
  readonly runtimeDir: string;
  /** Our socket path, which peers reply to. */
  readonly path: string;
  readonly logger: Logger;
  readonly #transport: MpTransport;
  readonly #layout: MpLayout;
  readonly #maxFds: number;
  readonly #trustedUids: ReadonlySet<number>;
  readonly #ownUid: number;
  readonly #actions = new Map<string, MpAction>();
  readonly #requests: PendingRequests;
  readonly #primaryPath: string;
  readonly #peerLayouts = new Map<string, MpLayout>();
  readonly #tap: ((trace: MpTrace) => void) | undefined;
  readonly #unhandled: MpUnhandledAction | undefined;
  #endpoint: MpEndpoint | undefined;
  #backlog: ReceivedDatagram[] | undefined = [];
  #initComplete = false;
  #closing: Promise<void> | undefined;

  private constructor(options: MpChannelOptions, path: string, logger: Logger) {
    this.role = options.role;
    this.runtimeDir = options.runtimeDir;
    this.#primaryPath = mpSocketPath(options.runtimeDir);
    this.path = path;
    this.logger = logger;
    this.#transport = options.transport;
    this.#requests = new PendingRequests({
      logger,
      clock: options.clock ?? systemClock,
      sendTo: (peer, type, msg) => this.#sendTo(peer, type, msg),
      closeFds: this.#closeFdsBound,
    });
    this.#layout = options.layout === undefined || options.layout === 'auto' ? '22.11' : options.layout;
    this.#maxFds = options.maxFds ?? RTE_MP_MAX_FD_NUM;
    this.#trustedUids = new Set(options.trustedUids ?? []);
    this.#ownUid = process.getuid?.() ?? 0;
    this.#tap = options.tap;
    this.#unhandled = options.unhandled;
  }

  /**
   * rte_mp_channel_init: a primary first removes sockets and fbarray files
   * left by dead processes, then each role binds its socket.
   */
  static async open(options: MpChannelOptions): Promise<MpChannel> {
    if (options.role !== 'primary' && options.role !== 'secondary') {
      throw new MpError('EINVAL', `invalid mp role ${String(options.role)}: expected 'primary' or 'secondary'`);
    }
    if (typeof options.runtimeDir !== 'string' || options.runtimeDir.length === 0) {
      throw new MpError('EINVAL', 'mp runtime directory is empty');
    }
    if (options.layout !== undefined && options.layout !== 'auto' && !isMpLayout(options.layout)) {
      throw new MpError('EINVAL', `unknown mp layout ${String(options.layout)}: expected 'auto', '22.11' or '25.11'`);
    }
    const maxFds = options.maxFds ?? RTE_MP_MAX_FD_NUM;
    if (!Number.isInteger(maxFds) || maxFds < 0 || maxFds > RTE_MP_MAX_FD_NUM_24_11) {
      throw new MpError('EINVAL', `invalid maxFds ${maxFds}: expected 0..${RTE_MP_MAX_FD_NUM_24_11}`);
    }
    // Peers see our path as we bound it, and the stale-socket scan compares absolute paths.
    options = { ...options, runtimeDir: resolve(options.runtimeDir) };
    const logger = options.logger ?? new LogRegistry().register('lib.eal', { prefix: 'EAL' });
    if ((options.layout ?? 'auto') === 'auto' && options.role === 'secondary') {
      options = { ...options, layout: await autoLayout(options.runtimeDir, logger) };
    }
    const lockOptions = { signal: options.signal };
    options.signal?.throwIfAborted();
    if (options.role === 'primary') {
      for (const removed of await options.transport.cleanStale(options.runtimeDir, lockOptions)) {
        logger.debug(`Removed stale runtime file ${removed}`);
      }
    }
    const path =
      options.socketPath !== undefined
        ? resolve(options.socketPath)
        : options.role === 'primary'
          ? mpSocketPath(options.runtimeDir)
          : secondarySocketPath(options.runtimeDir);
    const channel = new MpChannel(options, path, logger);
    channel.#endpoint = await options.transport.bind(
      path,
      (d) => channel.#receive(d),
      (error) => logger.err(`mp socket ${path}: receive failed: ${describe(error)}`),
      lockOptions,
    );
    logger.info(`Multi-process socket ${path}`);
    const backlog = channel.#backlog ?? [];
    channel.#backlog = undefined;
    for (const d of backlog) channel.#receive(d);
    return channel;
  }

  /** The primary's socket, where a secondary sends everything. */
  get primaryPath(): string {
    return this.#primaryPath;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** The layout sent to peers not heard from yet (what `layout: 'auto'` resolved to). */
  get layout(): MpLayout {
    return this.#layout;
  }

  get initCompleted(): boolean {
    return this.#initComplete;
  }

  /** rte_mp_action_register. */
  register(name: string, action: MpAction): void {
    checkMpName(name);
    if (typeof action !== 'function') throw new MpError('EINVAL', `mp action ${name}: handler is not a function`);
    if (this.#actions.has(name)) throw new MpError('EEXIST', `mp action ${name} is already registered`);
    this.#actions.set(name, action);
  }

  /** rte_mp_action_unregister; returns whether the action was registered. */
  unregister(name: string): boolean {
    checkMpName(name);
    return this.#actions.delete(name);
  }

  /**
   * An IGN answer to a REQ: the requester counts us as not sent to, so its
   * nbSent/nbReceived are as if we did not exist (mp_request_sync's
   * reply_received == -1). Resolves false if the peer is gone.
   */
  async ignore(name: string, peer: string): Promise<boolean> {
    this.#checkOpen();
    checkMpName(name);
    if (typeof peer !== 'string' || peer.length === 0) throw new MpError('EINVAL', `cannot answer IGN for ${name}: peer is empty (an unbound socket)`);
    return this.#sendTo(peer, MpMsgType.IGN, { name, param: new Uint8Array(0), fds: [] });
  }

  /** From now on a request for an unknown action is only logged instead of answered with IGN (internal_conf->init_complete). */
  initComplete(): void {
    this.#initComplete = true;
  }

  /**
   * rte_mp_sendmsg: a secondary sends to the primary; the primary broadcasts
   * to every secondary. Resolves with how many sockets took the message
   * (secondaries that died are skipped and their socket files removed).
   */
  async send(msg: MpMessage): Promise<number> {
    this.#checkOpen();
    this.#checkMessage(msg);
    if (this.role === 'secondary') {
      await this.#sendTo(this.primaryPath, MpMsgType.MSG, msg);
      return 1;
    }
    return this.#transport.withPeers(this.runtimeDir, async (peers) => {
      const results = await Promise.allSettled(
        peers.map((peer) => this.#sendTo(peer, MpMsgType.MSG, msg)),
      );
      let sent = 0;
      for (const r of results) {
        if (r.status === 'rejected') throw r.reason;
        if (r.value) sent++;
      }
      return sent;
    });
  }

  /**
   * A MSG to one peer. A secondary may only address the primary. Resolves
   * false if the peer (seen from the primary) has died: DPDK treats that as
   * the peer's problem, not the sender's, and removes its socket file.
   */
  async sendTo(peer: string, msg: MpMessage): Promise<boolean> {
    this.#checkOpen();
    this.#checkMessage(msg);
    this.#checkPeer(peer);
    return this.#sendTo(peer, MpMsgType.MSG, msg);
  }

  /** rte_mp_reply: a REP to `peer`; `msg.name` must be the request's name for the requester to match it. */
  async reply(msg: MpMessage, peer: string): Promise<boolean> {
    this.#checkOpen();
    this.#checkMessage(msg);
    if (typeof peer !== 'string' || peer.length === 0) throw new MpError('EINVAL', 'mp reply: peer is empty');
    return this.#sendTo(peer, MpMsgType.REP, msg);
  }

  /**
   * True only for a primary whose request or broadcast, started now, would
   * surely reach no secondary: nothing in this process holds the runtime
   * directory's lock, and the directory is unchanged since a kept listing
   * found nobody (the check request() itself makes before it skips the
   * directory's flock). A caller may then skip building a message nobody
   * would receive. False in a secondary, when the channel is closed, and
   * whenever in doubt.
   */
  surelyAlone(): boolean {
    return this.role === 'primary' && this.#closing === undefined && this.#transport.surelyAlone?.(this.runtimeDir) === true;
  }

  /**
   * rte_mp_request_sync: a secondary asks the primary; the primary asks every
   * secondary at once and gathers the replies while holding the directory's
   * shared lock. A timeout is not an error: it shows as nbReceived < nbSent.
   */
  request(msg: MpMessage, options: MpRequestOptions): Promise<MpResponse> {
    let timeoutMs: number;
    let signal: AbortSignal | undefined;
    let keepFds: boolean;
    try {
      this.#checkOpen();
      this.#checkMessage(msg);
      ({ timeoutMs, signal, keepFds = false } = options);
      if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
        throw new MpError('EINVAL', `invalid request timeout ${String(timeoutMs)}: expected a non-negative number of ms`);
      }
      signal?.throwIfAborted();
    } catch (error) {
      // The validation's own error (MpError, or the signal's reason), as an async function would reject.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(error);
    }
    // Not async: the secondary's request (the hot path) costs one promise, the one gather() returns.
    if (this.role === 'secondary') return this.#requests.gather([this.primaryPath], msg, timeoutMs, signal, keepFds);
    return this.#transport.withPeers(
      this.runtimeDir,
      (peers) => this.#requests.gather(peers, msg, timeoutMs, signal, keepFds),
      { signal },
    );
  }

  /** rte_mp_channel_cleanup: pending requests fail with ECANCELED, the socket is closed and its file removed. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const reason = new MpError('ECANCELED', `mp channel ${this.path} closed`);
      this.#requests.cancelAll(reason);
      // Datagrams that arrived before open() finished will never be handled.
      for (const d of this.#backlog ?? []) this.#closeFds(d.fds);
      this.#backlog = undefined;
      this.#transport.releaseDir?.(this.runtimeDir);
      await this.#endpoint?.close();
    })();
    return this.#closing;
  }

  #checkOpen(): void {
    if (this.#closing) throw new MpError('EBADF', `mp channel ${this.path} is closed`);
  }

  /** check_input of eal_common_proc.c, with our own fd limit. */
  #checkMessage(msg: MpMessage): void {
    if (typeof msg !== 'object' || msg === null) throw new MpError('EINVAL', 'mp message is missing');
    checkedNameBytes(msg.name);
    if (!(msg.param instanceof Uint8Array)) throw new MpError('EINVAL', `mp message ${msg.name}: param is not a Uint8Array`);
    if (msg.param.length > RTE_MP_MAX_PARAM_LEN) {
      throw new MpError('E2BIG', `mp message ${msg.name}: param is ${msg.param.length} bytes, at most ${RTE_MP_MAX_PARAM_LEN}`);
    }
    if (!Array.isArray(msg.fds) || msg.fds.some((fd) => !Number.isInteger(fd) || fd < 0)) {
      throw new MpError('EINVAL', `mp message ${msg.name}: fds must be non-negative integers`);
    }
    if (msg.fds.length > this.#maxFds) {
      throw new MpError('E2BIG', `mp message ${msg.name}: cannot send more than ${this.#maxFds} fds (got ${msg.fds.length})`);
    }
  }

  #checkPeer(peer: string): void {
    if (typeof peer !== 'string' || peer.length === 0) throw new MpError('EINVAL', 'mp peer is empty');
    if (this.role === 'secondary' && peer !== this.primaryPath) {
      throw new MpError('EINVAL', `a secondary sends only to the primary (${this.primaryPath}), not to ${peer}`);
    }
  }

  /**
   * send_msg: true if the socket took the datagram, false if the peer is gone
   * (primary only: ECONNREFUSED means the secondary died, so its file goes).
   */
  async #sendTo(peer: string, type: MpMsgType, msg: MpMessage): Promise<boolean> {
    const endpoint = this.#endpoint;
    if (!endpoint) throw new MpError('EBADF', `mp channel ${this.path} is not bound`);
    const layout = this.#peerLayouts.get(peer) ?? this.#layout;
    const body = encodeMpMsgForSend({ type, name: msg.name, param: msg.param, numFds: msg.fds.length }, layout);
    try {
      await endpoint.send(peer, body, msg.fds);
      this.#tap?.({ dir: 'out', type: mpMsgTypeName(type), name: msg.name, param: msg.param, fds: msg.fds.length, peer, layout });
      return true;
    } catch (error) {
      if (errnoNameOf(error) === 'ECONNREFUSED' && this.role === 'primary') {
        this.logger.debug(`mp peer ${peer} is gone; removing its socket`);
        this.#peerLayouts.delete(peer);
        await this.#transport.unlink(peer).catch((e: unknown) => this.logger.warning(`Cannot remove ${peer}: ${describe(e)}`));
        return false;
      }
      this.logger.err(`failed to send to (${peer}) due to ${describe(error)}`);
      throw error;
    }
  }

  /**
   * mp_handle + read_msg + process_msg for one datagram. Every fd received
   * ends either with an action that takes it or closed here, whatever
   * happens: drop, IGN, stray reply, unknown action, a throwing handler.
   */
  #receive(d: ReceivedDatagram): void {
    if (this.#closing) {
      this.#closeFds(d.fds);
      return;
    }
    if (this.#backlog) {
      this.#backlog.push(d);
      return;
    }
    let handedOver = false;
    try {
      handedOver = this.#process(d);
    } catch (error) {
      this.logger.err(`Fail to process mp datagram: ${describe(error)}`);
    } finally {
      if (!handedOver) this.#closeFds(d.fds);
    }
  }

  /** Returns true when an action took charge of d.fds (it releases them itself); false: the caller closes them. */
  #process(d: ReceivedDatagram): boolean {
    const from = d.peer === '' ? 'an unbound socket' : d.peer;
    const drop = (reason: string): false => {
      this.logger.err(`Drop mp datagram from ${from}: ${reason}`);
      return false;
    };
    if (d.truncated || d.controlTruncated) {
      return drop(`truncated msg (${d.size} bytes${d.controlTruncated ? ', control data cut' : ''})`);
    }
    if (d.credentials && !this.#trusted(d.credentials.uid)) {
      return drop(`sender uid ${d.credentials.uid} (pid ${d.credentials.pid}) is not trusted`);
    }
    let decoded: DecodedMpMsg;
    try {
      decoded = decodeMpMsg(d.size === d.data.length ? d.data : d.data.subarray(0, d.size));
    } catch (error) {
      return drop(describe(error));
    }
    if (d.fds.length !== decoded.numFds) {
      // A DPDK sender passes exactly num_fds descriptors; anything else is not a message we can trust.
      return drop(`num_fds ${decoded.numFds} but ${d.fds.length} fd${d.fds.length === 1 ? '' : 's'} received (SCM_RIGHTS)`);
    }
    const fds = d.fds;
    if (d.peer !== '') this.#peerLayouts.set(d.peer, decoded.layout);
    const typeName = mpMsgTypeName(decoded.type);
    if (this.logger.isEnabled(LogLevel.DEBUG)) this.logger.debug(`msg: ${decoded.name} (${typeName} from ${from})`);
    this.#tap?.({ dir: 'in', type: typeName, name: decoded.name, param: decoded.param, fds: fds.length, peer: d.peer, layout: decoded.layout });

    if (decoded.type === MpMsgType.REP || decoded.type === MpMsgType.IGN) {
      // settle() keeps a REP's fds for the requester and closes the rest.
      if (this.#requests.settle(decoded.type, d.peer, decoded.name, { name: decoded.name, param: decoded.param, fds })) return true;
      this.logger.err(`Drop mp reply: ${decoded.name} (from ${from})`);
      return false;
    }

    const registered = this.#actions.get(decoded.name);
    const unhandled = this.#unhandled;
    const action: MpAction | undefined =
      registered ?? (unhandled && ((m, peer) => unhandled(m, peer, decoded.type === MpMsgType.REQ ? 'REQ' : 'MSG')));
    if (!action) {
      if (decoded.type === MpMsgType.REQ && !this.#initComplete) {
        // Not ready yet: tell the requester not to count us.
        this.#answerIgn(d.peer, decoded.name);
      } else this.logger.err(`Cannot find action: ${decoded.name}`);
      return false;
    }
    runAction(action, { name: decoded.name, param: decoded.param, fds, peer: d.peer }, this.logger, this.#closeFdsBound);
    return true;
  }

  /** IGN for a request we cannot handle yet; never throws. */
  #answerIgn(peer: string, name: string): void {
    if (peer === '') {
      this.logger.err(`Cannot answer IGN for ${name} to an unbound socket`);
      return;
    }
    this.ignore(name, peer).catch(() => undefined);
  }

  readonly #closeFdsBound = (fds: readonly number[]): void => this.#closeFds(fds);

  #closeFds(fds: readonly number[]): void {
    if (fds.length === 0) return;
    if (this.#transport.closeFds) this.#transport.closeFds(fds);
    else closeFdsQuietly(fds);
  }

  #trusted(uid: number): boolean {
    return uid === this.#ownUid || uid === 0 || this.#trustedUids.has(uid);
  }
}
