import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { type SeqpacketMessage, SysError, UnixSeqpacketServer, UnixSeqpacketSocket } from '../src/index.js';
import { Inbox, eventually, fixture, makeTempDir, removeTempDirs, within } from './helpers.js';

const servers: UnixSeqpacketServer[] = [];
const sockets: UnixSeqpacketSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  for (const server of servers.splice(0)) server.close();
  await removeTempDirs();
});

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

interface Pair {
  server: UnixSeqpacketServer;
  client: UnixSeqpacketSocket;
  accepted: UnixSeqpacketSocket;
  path: string;
}

/** A server listening at `name` in a fresh directory; its connections are closed after the test. */
async function listenHere(name: string, options: { receiveBufferSize?: number } = {}) {
  const path = join(await makeTempDir(), name);
  const server = await UnixSeqpacketServer.listen(path, options);
  servers.push(server);
  const connections = new Inbox<UnixSeqpacketSocket>();
  server.on('connection', (socket) => {
    sockets.push(socket);
    connections.push(socket);
  });
  return { path, server, connections };
}

async function pair(options: { receiveBufferSize?: number } = {}): Promise<Pair> {
  const { path, server, connections } = await listenHere('seq.sock', options);
  const client = await UnixSeqpacketSocket.connect(path, options);
  sockets.push(client);
  const accepted = await connections.next('the server to accept');
  return { server, client, accepted, path };
}

function collect(socket: UnixSeqpacketSocket): Inbox<SeqpacketMessage> {
  const inbox = new Inbox<SeqpacketMessage>();
  socket.on('message', inbox.push);
  return inbox;
}

describe('UnixSeqpacketSocket', () => {
  it('keeps message boundaries both ways', async () => {
    const { client, accepted } = await pair();
    const atServer = collect(accepted);
    const atClient = collect(client);
    await client.send(Buffer.from('/ethdev/list'));
    await client.send(Buffer.from('/info'));
    expect((await atServer.next('first message')).data.toString()).toBe('/ethdev/list');
    expect((await atServer.next('second message')).data.toString()).toBe('/info');
    const big = Buffer.alloc(16384, 0x61);
    await accepted.send(big);
    const got = await atClient.next('the big reply');
    expect(got).toMatchObject({ size: 16384, truncated: false });
    expect(got.data.equals(big)).toBe(true);
  });

  it('reports a message longer than the receive buffer as truncated with its real size', async () => {
    const { client, accepted } = await pair({ receiveBufferSize: 8 });
    const atServer = collect(accepted);
    await client.send(Buffer.from('0123456789abcdefghij'));
    await client.send(Buffer.from('next'));
    const first = await atServer.next('the long message');
    expect({ text: first.data.toString(), size: first.size, truncated: first.truncated }).toEqual({
      text: '01234567',
      size: 20,
      truncated: true,
    });
    expect((await atServer.next('the following message')).data.toString()).toBe('next');
  });

  it("emits 'end' when the peer closes, and sending then fails with EPIPE", async () => {
    const { client, accepted } = await pair();
    let ended = false;
    accepted.on('end', () => (ended = true));
    client.close();
    await eventually(() => ended, "the server side's end event");
    const error = await accepted.send(Buffer.from('late')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SysError);
    expect((error as SysError).code).toMatch(/^(EPIPE|ECONNRESET|ENOTCONN)$/);
  });

  it('never blocks on a peer that does not read: trySend says false, send times out with EAGAIN, abort wins', async () => {
    const { path, connections } = await listenHere('silent.sock');
    const child = spawn('python3', [fixture('seqpacket-echo.py'), path, 'silent'], { stdio: 'ignore' });
    try {
      const peer = await connections.next('python to connect');
      const chunk = Buffer.alloc(4096);
      let sent = 0;
      while (peer.trySend(chunk)) {
        sent++;
        if (sent > 100_000) throw new Error('the queue never filled');
      }
      expect(sent).toBeGreaterThan(0);
      const started = performance.now();
      const timedOut = await peer.send(chunk, { timeoutMs: 50 }).catch((e: unknown) => e);
      expect((timedOut as SysError).code).toBe('EAGAIN');
      expect(performance.now() - started).toBeLessThan(2000);
      const controller = new AbortController();
      const aborted = peer.send(chunk, { timeoutMs: 60_000, signal: controller.signal }).catch((e: unknown) => e);
      controller.abort(new Error('stop'));
      expect(((await within(aborted, 'the aborted send')) as Error).message).toBe('stop');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('names the failure: ENOENT, ECONNREFUSED for a stale socket file, EADDRINUSE, EBADF after close', async () => {
    const dir = await makeTempDir();
    const missing = await UnixSeqpacketSocket.connect(join(dir, 'none')).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SysError);
    expect((missing as SysError).code).toBe('ENOENT');
    expect((missing as SysError).path).toBe(join(dir, 'none'));

    const path = join(dir, 'stale.sock');
    const server = await UnixSeqpacketServer.listen(path);
    const again = await UnixSeqpacketServer.listen(path).catch((e: unknown) => e);
    expect((again as SysError).code).toBe('EADDRINUSE');
    server.close();
    const stale = await UnixSeqpacketSocket.connect(path).catch((e: unknown) => e);
    expect((stale as SysError).code).toBe('ECONNREFUSED');

    writeFileSync(join(dir, 'plain'), 'x');
    const notSocket = await UnixSeqpacketSocket.connect(join(dir, 'plain')).catch((e: unknown) => e);
    expect((notSocket as SysError).code).toBe('ECONNREFUSED');

    const long = await UnixSeqpacketServer.listen(join(dir, 'x'.repeat(200))).catch((e: unknown) => e);
    expect((long as SysError).code).toBe('ENAMETOOLONG');

    const { client } = await pair();
    client.close();
    client.close();
    const closed = await client.send(Buffer.from('x')).catch((e: unknown) => e);
    expect((closed as SysError).code).toBe('EBADF');
  });

  it('rejects bad arguments with a TypeError or RangeError naming them', async () => {
    await expect(UnixSeqpacketSocket.connect('')).rejects.toThrow(/path must not be empty/);
    await expect(UnixSeqpacketSocket.connect(42 as unknown as string)).rejects.toThrow(TypeError);
    await expect(UnixSeqpacketServer.listen('/tmp/x', { backlog: 0 })).rejects.toThrow(/backlog.*1\.\.4096/);
    const { client } = await pair();
    await expect(client.send('text' as unknown as Uint8Array)).rejects.toThrow(/data must be a Uint8Array/);
  });

  it('closes every fd it opened, on success and failure paths alike', async () => {
    const before = openFds();
    for (let i = 0; i < 20; i++) {
      const { server, client, accepted, path } = await pair();
      await UnixSeqpacketSocket.connect(path + '.missing').catch(() => undefined);
      await UnixSeqpacketServer.listen(path).catch(() => undefined);
      client.close();
      accepted.close();
      server.close();
    }
    sockets.splice(0);
    servers.splice(0);
    // Temp dirs and vitest's own fds are unaffected; our sockets must all be gone.
    await eventually(() => openFds() <= before, `fds to return to ${before} (now ${openFds()})`);
  });

  it("talks to Python's SOCK_SEQPACKET socket (dpdk-telemetry.py's socket type)", async () => {
    const { path, connections } = await listenHere('py.sock');
    const child = spawn('python3', [fixture('seqpacket-echo.py'), path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const peer = await connections.next('python to connect');
      const inbox = collect(peer);
      await peer.send(Buffer.from('hello'));
      await peer.send(Buffer.from('world'));
      expect((await inbox.next('first echo')).data.toString()).toBe('HELLO');
      expect((await inbox.next('second echo')).data.toString()).toBe('WORLD');
      peer.close();
      expect(await within(exited, 'python to exit')).toBe(0);
      expect(stdout).toContain('peer done');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
