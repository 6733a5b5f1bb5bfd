/**
 * The telemetry v2 server (DPDK's lib/telemetry/telemetry.c) on the event
 * loop: a SOCK_SEQPACKET socket `dpdk_telemetry.v2` in the runtime
 * directory, a greeting on connect, one request message → one reply
 * message, at most MAX_CONNECTIONS clients (a further one is closed at
 * once), replies cut to max_output_len. A client that never reads or
 * vanishes mid-reply costs its own connection, never the application.
 */
import { unlinkSync } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

import type { Logger } from '@eal-ts/log';
import { SysError, UnixSeqpacketServer, UnixSeqpacketSocket } from '@eal-ts/sys';

import { TelemetryError } from './errors.js';
import { MAX_CMD_LEN, formatReply } from './telemetry_json.js';
import { TELEMETRY_SOCKET_NAME } from './telemetry_path.js';
import type { TelemetryRegistry } from './telemetry_registry.js';

/** MAX_CONNECTIONS of DPDK's telemetry. */
export const MAX_CONNECTIONS = 10;
/** DPDK reads a request into a 1024-byte buffer, NUL included: longer ones are cut. */
export const MAX_REQUEST_LEN = 1023;
/**
 * Requests one client may have waiting for their replies. DPDK reads the next
 * request only after answering the last; a client that keeps sending without
 * reading would otherwise queue work without bound here.
 */
export const MAX_PENDING_REQUESTS = 64;
/** How many `:N` names a server tries before giving up (DPDK tries until the int wraps). */
const MAX_INSTANCES = 1024;

export interface TelemetryServerOptions {
  /** The runtime directory (`<base>/dpdk/<file prefix>`); it must exist. */
  runtimeDir: string;
  registry: TelemetryRegistry;
  logger?: Logger;
  /** Default MAX_CONNECTIONS (10). */
  maxConnections?: number;
  /** How long a handler may take before the client gets null; default 5000 ms. */
  handlerTimeoutMs?: number;
  /** How long a reply waits for a client that does not read before that client is dropped; default 2000 ms. */
  sendTimeoutMs?: number;
}

export interface TelemetryRequest {
  /** The command (before the first ','), undefined for a request of commas only. */
  command: string | undefined;
  /** What followed the first ',' after the command, undefined when empty. */
  params: string | undefined;
}

/**
 * Splits a request as DPDK's client_handler does with strtok(buffer, ",")
 * then strtok(NULL, "\0"): leading commas are skipped, the command ends at
 * the next comma, the rest (if not empty) is the parameter string. The
 * request ends at its first NUL, as a C string does.
 */
export function parseRequest(data: Buffer): TelemetryRequest {
  let text = data.subarray(0, MAX_REQUEST_LEN).toString('latin1');
  const nul = text.indexOf('\0');
  if (nul >= 0) text = text.slice(0, nul);
  const utf8 = Buffer.from(text, 'latin1').toString('utf8');
  const start = utf8.search(/[^,]/);
  if (start < 0) return { command: undefined, params: undefined };
  const rest = utf8.slice(start);
  const comma = rest.indexOf(',');
  if (comma < 0) return { command: rest, params: undefined };
  const params = rest.slice(comma + 1);
  return { command: rest.slice(0, comma), params: params === '' ? undefined : params };
}

export class TelemetryServer {
  readonly path: string;
  /** 0 for `dpdk_telemetry.v2`, N for `dpdk_telemetry.v2:N`. */
  readonly instance: number;
  readonly #server: UnixSeqpacketServer;
  readonly #registry: TelemetryRegistry;
  readonly #logger: Logger | undefined;
  readonly #maxConnections: number;
  readonly #handlerTimeoutMs: number;
  readonly #sendTimeoutMs: number;
  readonly #clients = new Set<UnixSeqpacketSocket>();
  readonly #onExit = (): void => this.#unlinkSync();
  #rejected = 0;
  #closed = false;

  private constructor(path: string, instance: number, server: UnixSeqpacketServer, options: TelemetryServerOptions) {
    this.path = path;
    this.instance = instance;
    this.#server = server;
    this.#registry = options.registry;
    this.#logger = options.logger;
    this.#maxConnections = options.maxConnections ?? MAX_CONNECTIONS;
    this.#handlerTimeoutMs = options.handlerTimeoutMs ?? 5000;
    this.#sendTimeoutMs = options.sendTimeoutMs ?? 2000;
    server.on('connection', (socket) => this.#accept(socket));
    server.on('error', (error) => this.#logger?.err(`TELEMETRY: accept on ${path} failed: ${error.message}`));
    // A telemetry socket must not keep an application alive by itself.
    server.unref();
    process.once('exit', this.#onExit);
  }

  /**
   * Binds `dpdk_telemetry.v2` in the runtime directory, or the first free
   * `dpdk_telemetry.v2:N` when another live process of the prefix has it. A
   * socket file nobody answers on is stale and is replaced (DPDK 23.03+'s
   * rules). Rejects with TelemetryError ENOENT when the directory is
   * missing, ENAMETOOLONG when the path does not fit sun_path.
   */
  static async start(options: TelemetryServerOptions): Promise<TelemetryServer> {
    const dir = options.runtimeDir;
    const info = await stat(dir).catch(() => null);
    if (!info?.isDirectory()) {
      throw new TelemetryError('ENOENT', `Cannot access DPDK runtime directory: ${dir}`);
    }
    for (let instance = 0; instance < MAX_INSTANCES; instance++) {
      const path = join(dir, instance === 0 ? TELEMETRY_SOCKET_NAME : `${TELEMETRY_SOCKET_NAME}:${instance}`);
      const server = await TelemetryServer.#bind(path);
      if (server !== null) return new TelemetryServer(path, instance, server, options);
    }
    throw new TelemetryError('ENOSPC', `no free telemetry socket name in ${dir} (tried ${MAX_INSTANCES})`);
  }

  /** The server, or null when a live process answers on `path`. */
  static async #bind(path: string): Promise<UnixSeqpacketServer | null> {
    const attempt = (): Promise<UnixSeqpacketServer> =>
      UnixSeqpacketServer.listen(path, { backlog: 16, receiveBufferSize: MAX_REQUEST_LEN + 1 });
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof SysError)) throw error;
      if (error.code === 'ENAMETOOLONG') {
        throw new TelemetryError('ENAMETOOLONG', `telemetry socket path ${path} is too long for AF_UNIX`, { cause: error });
      }
      if (error.code !== 'EADDRINUSE') throw new TelemetryError('EIO', `cannot bind ${path}: ${error.message}`, { cause: error });
    }
    // Taken: alive (someone accepts) or stale (nobody listens)?
    try {
      const probe = await UnixSeqpacketSocket.connect(path, { receiveBufferSize: 1 });
      probe.close();
      return null;
    } catch {
      await unlink(path).catch(() => undefined);
    }
    try {
      return await attempt();
    } catch (error) {
      if (error instanceof SysError && error.code === 'EADDRINUSE') return null;
      throw new TelemetryError('EIO', `cannot bind ${path}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Clients connected now. */
  get connections(): number {
    return this.#clients.size;
  }

  /** Clients turned away because MAX_CONNECTIONS were connected. */
  get rejected(): number {
    return this.#rejected;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Stops listening, drops every client and removes the socket file. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    process.removeListener('exit', this.#onExit);
    this.#server.close();
    for (const client of this.#clients) client.close();
    this.#clients.clear();
    await unlink(this.path).catch(() => undefined);
  }

  #unlinkSync(): void {
    try {
      unlinkSync(this.path);
    } catch {
      // gone already
    }
  }

  #accept(socket: UnixSeqpacketSocket): void {
    socket.unref();
    if (this.#closed || this.#clients.size >= this.#maxConnections) {
      // As DPDK: closed at once, the client reads an empty message.
      this.#rejected++;
      socket.close();
      return;
    }
    this.#clients.add(socket);
    let queue = Promise.resolve();
    let pending = 0;
    const drop = (): void => {
      socket.close();
      this.#clients.delete(socket);
    };
    socket.on('end', drop);
    socket.on('error', (error) => {
      this.#logger?.debug(`TELEMETRY: client connection failed: ${error.message}`);
      drop();
    });
    socket.on('message', ({ data }) => {
      if (++pending > MAX_PENDING_REQUESTS) {
        this.#logger?.debug(`TELEMETRY: dropping a client with ${MAX_PENDING_REQUESTS} requests unanswered (it does not read)`);
        drop();
        return;
      }
      queue = queue
        .then(() => this.#answer(socket, data))
        .then(
          () => void pending--,
          (error: unknown) => {
            this.#logger?.debug(`TELEMETRY: dropping a client: ${(error as Error).message}`);
            drop();
          },
        );
    });
    const greeting = JSON.stringify(this.#registry.info());
    queue = this.#send(socket, greeting).catch(drop);
  }

  async #answer(socket: UnixSeqpacketSocket, data: Buffer): Promise<void> {
    if (socket.closed) return;
    const { command, params } = parseRequest(data);
    const known = command !== undefined && Buffer.byteLength(command) < MAX_CMD_LEN && this.#registry.has(command);
    const value = known ? await this.#registry.execute(command, params, this.#handlerTimeoutMs) : null;
    await this.#send(socket, formatReply(command, value));
  }

  #send(socket: UnixSeqpacketSocket, text: string): Promise<void> {
    if (socket.closed) return Promise.resolve();
    return socket.send(Buffer.from(text), { timeoutMs: this.#sendTimeoutMs });
  }
}
