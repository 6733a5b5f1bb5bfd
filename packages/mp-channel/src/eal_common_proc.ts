import { errnoNameOf } from '@eal-ts/errno';
import { LogRegistry, type Logger } from '@eal-ts/log';
import { closeSync } from 'node:fs';
import { resolve } from 'node:path';
import { systemClock, type Clock } from './clock.js';
import { mpSocketPath, secondarySocketPath } from './eal_filesystem.js';
import { primaryMpLayout, readPrimaryConfig } from './eal_memcfg.js';
import { MpError } from './errors.js';
import {
  decodeMpMsg,
  encodeMpMsg,
  encodeMpName,
  isMpLayout,
  MpMsgType,
  mpMsgTypeName,
  RTE_MP_MAX_FD_NUM,
  RTE_MP_MAX_FD_NUM_24_11,
  RTE_MP_MAX_PARAM_LEN,
  type DecodedMpMsg,
  type MpLayout,
  type MpMsgTypeName,
} from './rte_mp_msg.js';
import type { MpEndpoint, MpTransport, ReceivedDatagram } from './transport.js';
import type { ProcessType } from './eal_proc_type.js';

/**
 * One message as callers send it (struct rte_mp_msg without the counts).
 * The fds a caller passes stay the caller's, whether the send succeeds or
 * fails: the kernel gives the receiver duplicates, the channel never closes them.
 */
export interface MpMessage {
  name: string;
  param: Uint8Array;
  /** File descriptors travelling with the message (SCM_RIGHTS). */
  fds: number[];
}

/**
 * A message as an action receives it. Its fds belong to the channel until
 * the action takes them: they are closed when the action returns (or its
 * promise settles) unless it called takeFds() — DPDK's cleanup_msg_fds for
 * every message nobody keeps the descriptors of.
 */
export interface MpReceivedMessage extends MpMessage {
  /** Takes ownership of the received fds (the action must close them); [] when already taken. */
  takeFds(): number[];
}

/**
 * A reply to a request, with the socket path of the process that sent it.
 * Its fds are the caller's to close when it asked for them (`keepFds`);
 * otherwise the channel closed them and `fds` is empty.
 */
export interface MpReply extends MpMessage {
  peer: string;
}

/** struct rte_mp_reply: how many requests went out, how many were answered, and the answers in peer-path order. */
export interface MpResponse {
  nbSent: number;
  nbReceived: number;
  replies: MpReply[];
}

/**
 * An action (rte_mp_t). `peer` is where to send the reply; a rejection or
 * throw is logged, never fatal. The message's fds are closed when it returns
 * (or its promise settles) unless it called `msg.takeFds()`.
 */
export type MpAction = (msg: MpReceivedMessage, peer: string) => void | Promise<void>;

/** One datagram as it crossed our socket, for observers (the eal-mp CLI prints these). */
export interface MpTrace {
  dir: 'in' | 'out';
  type: MpMsgTypeName;
  name: string;
  param: Uint8Array;
  /** How many fds travelled with it. */
  fds: number;
  /** The other side's socket path. */
  peer: string;
  layout: MpLayout;
}

/**
 * Receives a MSG or REQ whose action is not registered, instead of DPDK's
 * IGN answer or 'Cannot find action' log; fds as for an MpAction.
 */
export type MpUnhandledAction = (msg: MpReceivedMessage, peer: string, type: 'MSG' | 'REQ') => void | Promise<void>;

export interface MpChannelOptions {
  transport: MpTransport;
  role: ProcessType;
  /** `<base>/dpdk/<prefix>`: where mp_socket and the secondaries' sockets live. */
  runtimeDir: string;
  /** Default: a fresh registry's `lib.eal` type with DPDK's `EAL` prefix. */
  logger?: Logger;
  clock?: Clock;
  /**
   * Layout for peers we have not heard from yet. 'auto' (the default): a
   * secondary speaks what its primary's config file says (340 bytes to a DPDK
   * 25.11+, which drops anything else; 332 to older DPDK and to eal-ts); a
   * primary starts with '22.11'.
   */
  layout?: MpLayout | 'auto';
  /** Most fds we send in one message (default 8 as DPDK up to 24.07; 253 from 24.11). */
  maxFds?: number;
  /** Sender uids accepted besides ours and root's. */
  trustedUids?: number[];
  /** Our socket path; default `mp_socket` for the primary, `mp_socket_<pid>_<hex>` for a secondary. */
  socketPath?: string;
  /** Sees every valid datagram received and every datagram sent. */
  tap?: (trace: MpTrace) => void;
  /** Takes messages for unregistered actions (tools that answer anything); DPDK has no such hook. */
  unhandled?: MpUnhandledAction;
  /** Gives up open() (its waits for the runtime directory's lock) with the signal's reason. */
  signal?: AbortSignal;
}

export interface MpRequestOptions {
  /** How long to wait for all the replies (DPDK's timespec), on the channel's clock. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Hand the replies' fds to the caller, who must close them; by default the channel closes them and `fds` is empty. */
  keepFds?: boolean;
}

type WaitState = 'sending' | 'waiting' | 'replied' | 'ignored' | 'timeout' | 'gone';

interface PendingWait {
  readonly peer: string;
  readonly name: string;
  state: WaitState;
  reply?: MpReply;
  settle(type: MpMsgType, msg: MpMessage): void;
}

/** A secondary's first words must be in its primary's layout: read its version from the config file. */
async function autoLayout(runtimeDir: string, logger: Logger): Promise<MpLayout> {
  try {
    return primaryMpLayout(await readPrimaryConfig(runtimeDir), '22.11');
  } catch (error) {
    logger.warning(`Cannot read the primary's config in ${runtimeDir} (${describe(error)}): speaking the 22.11 layout`);
    return '22.11';
  }
}

function pendingKey(peer: string, name: string): string {
  return `${peer}\0${name}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function closeFdsSync(fds: readonly number[]): void {
  for (const fd of fds) {
    try {
      closeSync(fd);
    } catch {
      // Already closed by someone else (or never ours in memory): nothing to release.
    }
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
  readonly #clock: Clock;
  readonly #layout: MpLayout;
  readonly #maxFds: number;
  readonly #trustedUids: ReadonlySet<number>;
  readonly #ownUid: number;
  readonly #actions = new Map<string, MpAction>();
  readonly #pending = new Map<string, PendingWait>();
  readonly #cancellers = new Set<(reason: Error) => void>();
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
    this.path = path;
    this.logger = logger;
    this.#transport = options.transport;
    this.#clock = options.clock ?? systemClock;
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
    return mpSocketPath(this.runtimeDir);
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
    encodeMpName(name);
    if (typeof action !== 'function') throw new MpError('EINVAL', `mp action ${name}: handler is not a function`);
    if (this.#actions.has(name)) throw new MpError('EEXIST', `mp action ${name} is already registered`);
    this.#actions.set(name, action);
  }

  /** rte_mp_action_unregister; returns whether the action was registered. */
  unregister(name: string): boolean {
    encodeMpName(name);
    return this.#actions.delete(name);
  }

  /**
   * An IGN answer to a REQ: the requester counts us as not sent to, so its
   * nbSent/nbReceived are as if we did not exist (mp_request_sync's
   * reply_received == -1). Resolves false if the peer is gone.
   */
  async ignore(name: string, peer: string): Promise<boolean> {
    this.#checkOpen();
    encodeMpName(name);
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
        [...peers].sort().map((peer) => this.#sendTo(peer, MpMsgType.MSG, msg)),
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
   * rte_mp_request_sync: a secondary asks the primary; the primary asks every
   * secondary at once and gathers the replies while holding the directory's
   * shared lock. A timeout is not an error: it shows as nbReceived < nbSent.
   */
  async request(msg: MpMessage, options: MpRequestOptions): Promise<MpResponse> {
    this.#checkOpen();
    this.#checkMessage(msg);
    const { timeoutMs, signal, keepFds = false } = options;
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
      throw new MpError('EINVAL', `invalid request timeout ${String(timeoutMs)}: expected a non-negative number of ms`);
    }
    signal?.throwIfAborted();
    const response =
      this.role === 'secondary'
        ? await this.#gather([this.primaryPath], msg, timeoutMs, signal)
        : await this.#transport.withPeers(this.runtimeDir, (peers) => this.#gather([...peers].sort(), msg, timeoutMs, signal), { signal });
    if (keepFds) return response;
    for (const reply of response.replies) {
      this.#closeFds(reply.fds);
      reply.fds = [];
    }
    return response;
  }

  /** rte_mp_channel_cleanup: pending requests fail with ECANCELED, the socket is closed and its file removed. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const reason = new MpError('ECANCELED', `mp channel ${this.path} closed`);
      for (const cancel of [...this.#cancellers]) cancel(reason);
      // Datagrams that arrived before open() finished will never be handled.
      for (const d of this.#backlog ?? []) this.#closeFds(d.fds);
      this.#backlog = undefined;
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
    encodeMpName(msg.name);
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
    const body = encodeMpMsg({ type, name: msg.name, param: msg.param, numFds: msg.fds.length }, layout);
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
   * Sends one REQ to every peer at once and waits for them all, with the
   * results DPDK's one-by-one walk would give: gone peers and IGN answers are
   * not counted, a silent peer counts as sent but not received.
   */
  #gather(peers: string[], msg: MpMessage, timeoutMs: number, signal: AbortSignal | undefined): Promise<MpResponse> {
    for (const peer of peers) {
      if (this.#pending.has(pendingKey(peer, msg.name))) {
        this.logger.err(`A pending request ${peer}:${msg.name}`);
        return Promise.reject(new MpError('EEXIST', `a request ${msg.name} to ${peer} is already pending`));
      }
    }
    return new Promise<MpResponse>((resolve, reject) => {
      let done = false;
      let timedOut = false;
      const waits: PendingWait[] = [];

      const cleanup = (): void => {
        done = true;
        this.#clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#cancellers.delete(fail);
        for (const w of waits) {
          const key = pendingKey(w.peer, w.name);
          if (this.#pending.get(key) === w) this.#pending.delete(key);
        }
      };
      const finish = (): void => {
        if (done || waits.some((w) => w.state === 'sending' || w.state === 'waiting')) return;
        cleanup();
        const replies = waits.flatMap((w) => (w.reply ? [w.reply] : []));
        const nbSent = waits.filter((w) => w.state === 'replied' || w.state === 'timeout').length;
        resolve({ nbSent, nbReceived: replies.length, replies });
      };
      const fail = (reason: unknown): void => {
        if (done) return;
        cleanup();
        // Replies already in hand have fds nobody will receive now.
        for (const w of waits) if (w.reply) this.#closeFds(w.reply.fds);
        // An abort rejects with the signal's own reason, whatever the caller made it.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(reason);
      };
      const onAbort = (): void => fail(signal?.reason);

      const timer = this.#clock.setTimeout(() => {
        timedOut = true;
        for (const w of waits) {
          if (w.state !== 'waiting') continue;
          w.state = 'timeout';
          this.logger.err(`Fail to recv reply for request ${w.peer}:${w.name}`);
        }
        finish();
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#cancellers.add(fail);

      for (const peer of peers) {
        const wait: PendingWait = {
          peer,
          name: msg.name,
          state: 'sending',
          settle: (type, reply) => {
            if (wait.state !== 'sending' && wait.state !== 'waiting') {
              this.#closeFds(reply.fds);
              return;
            }
            this.#pending.delete(pendingKey(peer, msg.name));
            if (type === MpMsgType.REP) {
              wait.state = 'replied';
              wait.reply = { ...reply, peer };
            } else {
              this.logger.debug('Asked to ignore response');
              wait.state = 'ignored';
              this.#closeFds(reply.fds);
            }
            finish();
          },
        };
        waits.push(wait);
        this.#pending.set(pendingKey(peer, msg.name), wait);
      }

      for (const wait of waits) {
        this.#sendTo(wait.peer, MpMsgType.REQ, msg).then(
          (sent) => {
            if (wait.state !== 'sending') return;
            if (!sent) {
              wait.state = 'gone';
              this.#pending.delete(pendingKey(wait.peer, wait.name));
            } else if (timedOut) {
              wait.state = 'timeout';
              this.logger.err(`Fail to recv reply for request ${wait.peer}:${wait.name}`);
            } else wait.state = 'waiting';
            finish();
          },
          (error: unknown) => {
            this.logger.err(`Fail to send request ${wait.peer}:${wait.name}`);
            fail(error);
          },
        );
      }
      finish();
    });
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
    this.logger.debug(`msg: ${decoded.name} (${typeName} from ${from})`);
    this.#tap?.({ dir: 'in', type: typeName, name: decoded.name, param: decoded.param, fds: fds.length, peer: d.peer, layout: decoded.layout });

    if (decoded.type === MpMsgType.REP || decoded.type === MpMsgType.IGN) {
      const wait = this.#pending.get(pendingKey(d.peer, decoded.name));
      if (!wait) {
        this.logger.err(`Drop mp reply: ${decoded.name} (from ${from})`);
        return false;
      }
      // settle() keeps a REP's fds for the requester and closes the rest.
      wait.settle(decoded.type, { name: decoded.name, param: decoded.param, fds });
      return true;
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
    this.#runAction(action, decoded.name, fds, decoded.param, d.peer);
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

  /** Runs an action; its fds are closed once it is done unless it took them. */
  #runAction(action: MpAction, name: string, fds: number[], param: Uint8Array, peer: string): void {
    let owned = fds.length > 0;
    const release = (): void => {
      if (!owned) return;
      owned = false;
      this.#closeFds(fds);
    };
    const failed = (error: unknown): void => this.logger.err(`Fail to handle message: ${name}: ${describe(error)}`);
    const msg: MpReceivedMessage = {
      name,
      param,
      fds,
      takeFds: () => {
        if (!owned) return [];
        owned = false;
        return fds;
      },
    };
    let result: unknown;
    try {
      result = action(msg, peer);
    } catch (error) {
      failed(error);
      release();
      return;
    }
    if (result instanceof Promise) {
      result.then(release, (error: unknown) => {
        failed(error);
        release();
      });
    } else release();
  }

  #closeFds(fds: readonly number[]): void {
    if (fds.length === 0) return;
    if (this.#transport.closeFds) this.#transport.closeFds(fds);
    else closeFdsSync(fds);
  }

  #trusted(uid: number): boolean {
    return uid === this.#ownUid || uid === 0 || this.#trustedUids.has(uid);
  }
}
