/**
 * A telemetry v2 client (what dpdk-telemetry.py does, as a library): connect
 * by file prefix and instance, read the greeting, send one request at a
 * time, parse each reply. Works against DPDK applications and eal-ts ones.
 */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';

import { SysError, UnixSeqpacketSocket } from '@eal-ts/sys';

import { TelemetryError, TelemetryUnavailableError } from './errors.js';
import { MAX_OUTPUT_LEN, type TelemetryValue, replyKey } from './telemetry_json.js';
import { parseRequest } from './telemetry.js';
import { DEFAULT_FILE_PREFIX, type TelemetryEnvironment, telemetrySocketPath } from './telemetry_path.js';
import type { TelemetryInfo } from './telemetry_registry.js';

export interface TelemetryConnectOptions extends TelemetryEnvironment {
  /** --file-prefix of the application; default "rte". */
  filePrefix?: string;
  /** Which process of the prefix: 0 (default) is `dpdk_telemetry.v2`, N is `dpdk_telemetry.v2:N`. */
  instance?: number;
  /** A socket path, instead of prefix and instance. */
  path?: string;
  /** Bound on connect + greeting and the default per request; default 5000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface TelemetryRequestOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** /ethdev/info,N: the keys DPDK 22.11 reports (others may follow in newer versions). */
export interface EthdevInfo {
  name: string;
  state: number;
  nb_rx_queues: number;
  nb_tx_queues: number;
  port_id: number;
  mtu: number;
  mac_addr: string;
  promiscuous: number;
  dev_started: number;
  [key: string]: TelemetryValue;
}

/** struct rte_eth_stats's port-wide counters, under DPDK's names (also @eal-ts/ethdev's EthStats). */
export interface RteEthStats {
  /** Packets received. */
  ipackets: number;
  /** Packets sent. */
  opackets: number;
  /** Bytes received. */
  ibytes: number;
  /** Bytes sent. */
  obytes: number;
  /** Packets dropped by the hardware because no receive buffer was free. */
  imissed: number;
  /** Erroneous received packets. */
  ierrors: number;
  /** Failed transmissions. */
  oerrors: number;
}

/** /ethdev/stats,N: the port-wide counters, then the per-queue ones. */
export interface EthdevTelemetryStats extends RteEthStats {
  rx_nombuf: number;
  q_ipackets: number[];
  q_opackets: number[];
  q_ibytes: number[];
  q_obytes: number[];
  q_errors: number[];
}

/** /ethdev/link_status,N: `{"status":"DOWN"}` when down. */
export interface EthdevLinkStatus {
  status: 'UP' | 'DOWN';
  speed?: number;
  duplex?: 'full-duplex' | 'half-duplex';
}

interface Waiter {
  resolve: (data: Buffer | null) => void;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class TelemetryClient {
  readonly path: string;
  /** The greeting: version, pid and max_output_len of the application. */
  readonly info: TelemetryInfo;
  readonly #socket: UnixSeqpacketSocket;
  readonly #timeoutMs: number;
  readonly #inbox: (Buffer | null)[] = [];
  #waiter: Waiter | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #ended = false;

  private constructor(path: string, socket: UnixSeqpacketSocket, info: TelemetryInfo, timeoutMs: number, inbox: (Buffer | null)[]) {
    this.path = path;
    this.#socket = socket;
    this.info = info;
    this.#timeoutMs = timeoutMs;
    this.#inbox = inbox;
  }

  /**
   * Connects and reads the greeting. Rejects with TelemetryUnavailableError
   * (ENOENT) when there is no telemetry socket — the application runs with
   * --no-telemetry, or nothing runs with that prefix —, TelemetryError
   * ECONNREFUSED for a socket nobody serves (a stale file), ECONNRESET when
   * the application closed the connection at once (its 10 connections are
   * taken), ETIMEDOUT, EPROTO for a greeting that is not telemetry v2.
   */
  static async connect(options: TelemetryConnectOptions = {}): Promise<TelemetryClient> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const path =
      options.path ??
      telemetrySocketPath(options.filePrefix ?? DEFAULT_FILE_PREFIX, options.instance ?? 0, {
        ...(options.env ? { env: options.env } : {}),
        ...(options.uid !== undefined ? { uid: options.uid } : {}),
      });
    options.signal?.throwIfAborted();
    let socket: UnixSeqpacketSocket;
    try {
      socket = await UnixSeqpacketSocket.connect(path, { receiveBufferSize: MAX_OUTPUT_LEN });
    } catch (error) {
      throw await connectError(path, options, error);
    }
    socket.unref();
    const inbox: (Buffer | null)[] = [];
    const holder: { client?: TelemetryClient; waiter?: Waiter } = {};
    const push = (data: Buffer | null): void => {
      const target = holder.client;
      if (target) return target.#push(data);
      if (holder.waiter) {
        const w = holder.waiter;
        holder.waiter = undefined;
        w.resolve(data);
      } else inbox.push(data);
    };
    socket.on('message', ({ data }) => push(data));
    socket.on('end', () => push(null));
    socket.on('error', () => push(null));
    try {
      const first = await withDeadline(
        new Promise<Buffer | null>((resolve) => {
          const queued = inbox.shift();
          if (queued !== undefined) resolve(queued);
          else holder.waiter = { resolve };
        }),
        timeoutMs,
        options.signal,
        `the greeting of ${path}`,
      );
      if (first === null) {
        throw new TelemetryError(
          'ECONNRESET',
          `${path} closed the connection at once: the application serves at most 10 telemetry clients and has that many`,
        );
      }
      const info = parseJson(first, 'greeting');
      if (!isRecord(info) || typeof info.max_output_len !== 'number' || typeof info.pid !== 'number') {
        throw new TelemetryError('EPROTO', `${path} greeted with ${first.toString().slice(0, 200)}: not a telemetry v2 greeting`);
      }
      const client = new TelemetryClient(path, socket, info as unknown as TelemetryInfo, timeoutMs, inbox);
      holder.client = client;
      return client;
    } catch (error) {
      socket.close();
      throw error;
    }
  }

  /** The full reply object of one request, e.g. `{"/ethdev/list":[0,1]}`. */
  raw(request: string, options: TelemetryRequestOptions = {}): Promise<Record<string, TelemetryValue>> {
    if (typeof request !== 'string' || request.length === 0) {
      return Promise.reject(new TelemetryError('EINVAL', 'a telemetry request is a non-empty string such as "/ethdev/list"'));
    }
    const run = async (): Promise<Record<string, TelemetryValue>> => {
      if (this.#ended || this.#socket.closed) throw new TelemetryError('ECONNRESET', `the connection to ${this.path} is closed`);
      // A reply from an earlier, timed-out request must not answer this one.
      this.#inbox.length = 0;
      const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
      options.signal?.throwIfAborted();
      try {
        await this.#socket.send(Buffer.from(request), { timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        throw new TelemetryError('ECONNRESET', `cannot send to ${this.path}: ${(error as Error).message}`, { cause: error });
      }
      const expected = replyKeyOf(request);
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const left = Math.max(0, deadline - performance.now());
        const data = await withDeadline(this.#next(), left, options.signal, `the reply to ${request}`);
        if (data === null) throw new TelemetryError('ECONNRESET', `${this.path} closed the connection`);
        const reply = parseJson(data, `reply to ${request}`);
        if (!isRecord(reply)) throw new TelemetryError('EPROTO', `the reply to ${request} is not a JSON object`);
        // A late reply to an earlier request that timed out: skip it.
        const keys = Object.keys(reply);
        if (expected !== undefined && keys.length === 1 && keys[0] !== expected) continue;
        return reply as Record<string, TelemetryValue>;
      }
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** The value of one request (`/ethdev/list` → `[0, 1]`); null when the application answered null. */
  async request(request: string, options: TelemetryRequestOptions = {}): Promise<TelemetryValue> {
    const reply = await this.raw(request, options);
    const values = Object.values(reply);
    return values.length === 1 ? values[0]! : (reply);
  }

  /** The commands the application offers (`/`). */
  async commands(options?: TelemetryRequestOptions): Promise<string[]> {
    const list = await this.request('/', options);
    return Array.isArray(list) ? list.filter((c): c is string => typeof c === 'string') : [];
  }

  async ethdevList(options?: TelemetryRequestOptions): Promise<number[]> {
    const list = await this.request('/ethdev/list', options);
    if (!Array.isArray(list)) throw new TelemetryError('EPROTO', `/ethdev/list answered ${JSON.stringify(list)}`);
    return list.filter((id): id is number => typeof id === 'number');
  }

  ethdevInfo(portId: number, options?: TelemetryRequestOptions): Promise<EthdevInfo> {
    return this.#portQuery<EthdevInfo>('/ethdev/info', portId, options);
  }

  ethdevStats(portId: number, options?: TelemetryRequestOptions): Promise<EthdevTelemetryStats> {
    return this.#portQuery<EthdevTelemetryStats>('/ethdev/stats', portId, options);
  }

  ethdevXstats(portId: number, options?: TelemetryRequestOptions): Promise<Record<string, number>> {
    return this.#portQuery<Record<string, number>>('/ethdev/xstats', portId, options);
  }

  ethdevLinkStatus(portId: number, options?: TelemetryRequestOptions): Promise<EthdevLinkStatus> {
    return this.#portQuery<EthdevLinkStatus>('/ethdev/link_status', portId, options);
  }

  get closed(): boolean {
    return this.#socket.closed;
  }

  /** Closes the connection. Idempotent. */
  close(): void {
    this.#ended = true;
    this.#socket.close();
    this.#push(null);
  }

  async #portQuery<T>(command: string, portId: number, options?: TelemetryRequestOptions): Promise<T> {
    if (!Number.isInteger(portId) || portId < 0 || portId > 0xffff) {
      throw new TelemetryError('EINVAL', `invalid port id ${String(portId)}: expected an integer 0..65535`);
    }
    const value = await this.request(`${command},${portId}`, options);
    if (!isRecord(value)) {
      throw new TelemetryError('ENODEV', `${command},${portId}: the application has no port ${portId} (it answered null)`);
    }
    return value as T;
  }

  #push(data: Buffer | null): void {
    if (data === null) this.#ended = true;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.resolve(data);
    } else this.#inbox.push(data);
  }

  #next(): Promise<Buffer | null> {
    const queued = this.#inbox.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => (this.#waiter = { resolve }));
  }
}

/** The key a server answers `request` under (the command, cut as DPDK cuts it), if predictable. */
function replyKeyOf(request: string): string | undefined {
  const command = parseRequest(Buffer.from(request)).command;
  if (command === undefined) return 'none';
  const key = JSON.parse(replyKey(command)) as string;
  // A server echoing raw bytes may differ for non-ASCII commands: do not filter those.
  return /^[\x20-\x7e]*$/.test(key) ? key : undefined;
}

function parseJson(data: Buffer, what: string): unknown {
  try {
    return JSON.parse(data.toString('utf8')) as unknown;
  } catch (error) {
    throw new TelemetryError('EPROTO', `the ${what} is not JSON: ${data.toString().slice(0, 200)}`, { cause: error });
  }
}

async function connectError(path: string, options: TelemetryConnectOptions, error: unknown): Promise<Error> {
  if (!(error instanceof SysError)) return error instanceof Error ? error : new Error(String(error));
  if (error.code === 'ENOENT') {
    const dir = dirname(path);
    const running = (await stat(dir).catch(() => null))?.isDirectory() ?? false;
    const who = options.path !== undefined ? dir : `file prefix ${JSON.stringify(options.filePrefix ?? DEFAULT_FILE_PREFIX)}`;
    return new TelemetryUnavailableError(
      path,
      running,
      running
        ? `no telemetry socket ${path}: the application of ${who} runs without telemetry (--no-telemetry)` +
            ((options.instance ?? 0) > 0 ? `, has no process number ${options.instance},` : '') +
            ' or is not running (its runtime directory is there)'
        : `no telemetry socket ${path}: no DPDK or eal-ts application uses ${who} (no runtime directory ${dir})`,
      { cause: error },
    );
  }
  if (error.code === 'ECONNREFUSED') {
    return new TelemetryError('ECONNREFUSED', `nobody serves ${path}: a stale socket of an application that exited`, { cause: error });
  }
  if (error.code === 'EAGAIN') {
    return new TelemetryError('ETIMEDOUT', `${path} is not accepting connections (its backlog is full)`, { cause: error });
  }
  return new TelemetryError('EIO', `cannot connect to ${path}: ${error.message}`, { cause: error });
}

async function withDeadline<T>(work: Promise<T>, timeoutMs: number, signal: AbortSignal | undefined, what: string): Promise<T> {
  signal?.throwIfAborted();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TelemetryError('ETIMEDOUT', `no answer within ${timeoutMs} ms for ${what}`)), timeoutMs);
    onAbort = () => reject(signal?.reason as Error);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
