// The requesting side of the channel: DPDK's pending_requests list and the
// wait of mp_request_sync, for many peers at once. eal_common_proc.ts owns the
// socket and hands replies here; this file owns what a request waits for.
//
// Hot path (issue 11): one promise per request, no closure per peer, and one
// deadline timer shared by every pending request instead of a setTimeout each.
import { LogLevel, type Logger } from '@eal-ts/log';
import type { Clock } from './clock.js';
import { MpError } from './errors.js';
import type { MpMessage, MpReply, MpResponse } from './mp_types.js';
import { MpMsgType } from './rte_mp_msg.js';

/** What the request table needs from its channel. */
export interface RequestHost {
  readonly logger: Logger;
  readonly clock: Clock;
  /** send_msg: true if the peer's socket took the datagram, false if the peer is gone. */
  sendTo(peer: string, type: MpMsgType, msg: MpMessage): Promise<boolean>;
  closeFds(fds: readonly number[]): void;
}

type WaitState = 'sending' | 'waiting' | 'replied' | 'ignored' | 'timeout' | 'gone';

/** One peer's part of a request (DPDK's struct pending_request). */
class PendingWait {
  state: WaitState = 'sending';
  reply: MpReply | undefined = undefined;

  constructor(
    readonly request: Request,
    readonly peer: string,
  ) {}
}

/** One request to one or more peers, settled once every peer answered, was found gone, or timed out. */
class Request {
  readonly waits: PendingWait[] = [];
  /** Waits still 'sending' or 'waiting'. */
  open = 0;
  done = false;
  timedOut = false;
  onAbort: (() => void) | undefined = undefined;

  constructor(
    readonly name: string,
    readonly deadline: number,
    readonly keepFds: boolean,
    readonly signal: AbortSignal | undefined,
    readonly resolve: (response: MpResponse) => void,
    readonly reject: (reason: unknown) => void,
  ) {}
}

/**
 * The requests of one channel waiting for replies, keyed by action name then
 * peer path as DPDK matches a reply (find_pending_request).
 */
export class PendingRequests {
  readonly #host: RequestHost;
  readonly #byName = new Map<string, Map<string, PendingWait>>();
  readonly #active = new Set<Request>();
  /** The one deadline timer, armed for the earliest deadline among #active (or later, lingering). */
  #timer: unknown = undefined;
  #timerAt = Infinity;
  #timerRefed = false;
  readonly #onTimer = (): void => this.#expire();

  constructor(host: RequestHost) {
    this.#host = host;
  }

  /**
   * Sends one REQ to every peer at once and waits for them all, with the
   * results DPDK's one-by-one walk would give: gone peers and IGN answers are
   * not counted, a silent peer counts as sent but not received. Unless
   * `keepFds`, the replies' fds are closed before it resolves.
   */
  gather(peers: readonly string[], msg: MpMessage, timeoutMs: number, signal: AbortSignal | undefined, keepFds: boolean): Promise<MpResponse> {
    const name = msg.name;
    const byPeer = this.#byName.get(name);
    if (byPeer) {
      for (const peer of peers) {
        if (byPeer.has(peer)) {
          this.#host.logger.err(`A pending request ${peer}:${name}`);
          return Promise.reject(new MpError('EEXIST', `a request ${name} to ${peer} is already pending`));
        }
      }
    }
    // Nobody to ask (a primary without secondaries): done, no timer, no table entry (issue 11).
    if (peers.length === 0) return Promise.resolve({ nbSent: 0, nbReceived: 0, replies: [] });
    let resolve!: (response: MpResponse) => void;
    let reject!: (reason: unknown) => void;
    const promise = new Promise<MpResponse>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const request = new Request(name, this.#host.clock.now() + timeoutMs, keepFds, signal, resolve, reject);
    this.#active.add(request);
    this.#arm(request.deadline);
    if (signal) {
      request.onAbort = () => this.#fail(request, signal.reason);
      signal.addEventListener('abort', request.onAbort, { once: true });
    }
    let table = byPeer;
    if (!table) this.#byName.set(name, (table = new Map<string, PendingWait>()));
    for (const peer of peers) {
      const wait = new PendingWait(request, peer);
      request.waits.push(wait);
      request.open++;
      table.set(peer, wait);
    }
    for (const wait of request.waits) {
      this.#host.sendTo(wait.peer, MpMsgType.REQ, msg).then(
        (sent) => this.#sent(wait, sent),
        (error: unknown) => {
          this.#host.logger.err(`Fail to send request ${wait.peer}:${name}`);
          this.#fail(request, error);
        },
      );
    }
    this.#finish(request);
    return promise;
  }

  /**
   * A REP or IGN from `peer` for `name`. Returns false when no request waits
   * for it (the caller drops it and closes its fds); otherwise the fds are
   * the request's (kept for a REP, closed for an IGN or a late answer).
   */
  settle(type: MpMsgType, peer: string, name: string, reply: MpMessage): boolean {
    const wait = this.#byName.get(name)?.get(peer);
    if (!wait) return false;
    if (wait.state !== 'sending' && wait.state !== 'waiting') {
      this.#host.closeFds(reply.fds);
      return true;
    }
    this.#forget(wait);
    if (type === MpMsgType.REP) {
      wait.state = 'replied';
      wait.reply = { name: reply.name, param: reply.param, fds: reply.fds, peer };
    } else {
      if (this.#host.logger.isEnabled(LogLevel.DEBUG)) this.#host.logger.debug('Asked to ignore response');
      wait.state = 'ignored';
      this.#host.closeFds(reply.fds);
    }
    wait.request.open--;
    this.#finish(wait.request);
    return true;
  }

  /** rte_mp_channel_cleanup: every pending request fails with `reason`. */
  cancelAll(reason: Error): void {
    for (const request of [...this.#active]) this.#fail(request, reason);
    this.#disarm();
  }

  #sent(wait: PendingWait, sent: boolean): void {
    if (wait.state !== 'sending') return;
    const request = wait.request;
    if (!sent) {
      wait.state = 'gone';
      this.#forget(wait);
      request.open--;
    } else if (request.timedOut) {
      wait.state = 'timeout';
      request.open--;
      this.#host.logger.err(`Fail to recv reply for request ${wait.peer}:${request.name}`);
    } else wait.state = 'waiting';
    this.#finish(request);
  }

  #finish(request: Request): void {
    if (request.done || request.open > 0) return;
    this.#cleanup(request);
    const replies: MpReply[] = [];
    let nbSent = 0;
    for (const w of request.waits) {
      if (w.state === 'replied' || w.state === 'timeout') nbSent++;
      if (w.reply) {
        if (!request.keepFds && w.reply.fds.length > 0) {
          this.#host.closeFds(w.reply.fds);
          w.reply.fds = [];
        }
        replies.push(w.reply);
      }
    }
    request.resolve({ nbSent, nbReceived: replies.length, replies });
  }

  #fail(request: Request, reason: unknown): void {
    if (request.done) return;
    this.#cleanup(request);
    // Replies already in hand have fds nobody will receive now.
    for (const w of request.waits) if (w.reply) this.#host.closeFds(w.reply.fds);
    request.reject(reason);
  }

  #cleanup(request: Request): void {
    request.done = true;
    this.#active.delete(request);
    if (request.onAbort) request.signal?.removeEventListener('abort', request.onAbort);
    for (const w of request.waits) this.#forget(w);
    if (this.#active.size === 0) this.#idle();
  }

  #forget(wait: PendingWait): void {
    const table = this.#byName.get(wait.request.name);
    if (table?.get(wait.peer) !== wait) return;
    table.delete(wait.peer);
    if (table.size === 0) this.#byName.delete(wait.request.name);
  }

  /** The deadline timer fired: time out every request due, re-arm for the next. */
  #expire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = this.#host.clock.now();
    let next = Infinity;
    for (const request of [...this.#active]) {
      if (request.deadline > now) {
        next = Math.min(next, request.deadline);
        continue;
      }
      request.timedOut = true;
      for (const w of request.waits) {
        if (w.state !== 'waiting') continue;
        w.state = 'timeout';
        request.open--;
        this.#host.logger.err(`Fail to recv reply for request ${w.peer}:${request.name}`);
      }
      this.#finish(request);
    }
    if (next < Infinity) this.#arm(next);
  }

  #arm(deadline: number): void {
    const clock = this.#host.clock;
    if (this.#timer !== undefined && deadline >= this.#timerAt) {
      // A lingering timer (see #idle) holds the process again while a request waits.
      if (!this.#timerRefed && clock.setRef) {
        clock.setRef(this.#timer, true);
        this.#timerRefed = true;
      }
      return;
    }
    if (this.#timer !== undefined) clock.clearTimeout(this.#timer);
    this.#timer = clock.setTimeout(this.#onTimer, deadline - clock.now());
    this.#timerAt = deadline;
    this.#timerRefed = true;
  }

  /**
   * No request left. A clock that can unref a timer keeps it armed, not
   * holding the process, so a ping-pong of requests does not create and
   * cancel a timer each; any other clock (virtual time) has it cancelled, so
   * time-driven tests see no timer the requests did not need.
   */
  #idle(): void {
    if (this.#timer === undefined) return;
    const clock = this.#host.clock;
    if (clock.setRef) {
      if (this.#timerRefed) clock.setRef(this.#timer, false);
      this.#timerRefed = false;
    } else this.#disarm();
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#host.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#timerRefed = false;
  }
}
