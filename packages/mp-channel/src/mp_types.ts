// The rte_mp API's shapes (lib/eal/include/rte_eal.h's struct rte_mp_msg,
// struct rte_mp_reply, rte_mp_t) and the channel's options, apart from the
// channel itself (eal_common_proc.ts) so the request and receive paths can
// share them.
import type { Logger } from '@eal-ts/log';
import type { Clock } from './clock.js';
import type { ProcessType } from './eal_proc_type.js';
import type { MpLayout, MpMsgTypeName } from './rte_mp_msg.js';
import type { MpTransport } from './transport.js';

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
