// The channel over real AF_UNIX sockets between real processes. Needs the
// package built (`pnpm run build`): the child fixture imports ../../dist.
import { LogLevel, LogRegistry } from '@eal-ts/log';
import { DEADLINE_MS, JsonPeer } from '@eal-ts/test-peer';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { closeSync, readSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MpChannel } from '../src/eal_common_proc.js';
import type { MpMessage } from '../src/mp_types.js';
import { createRuntimeDir, mpSocketPath } from '../src/eal_filesystem.js';
import { UnixTransport } from '../src/transport_unix.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/mp-peer.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
type Peer = JsonPeer;

let base: string;
let dir: string;
const peers: Peer[] = [];
const channels: MpChannel[] = [];
const lines: string[] = [];

async function startPeer(role: 'primary' | 'secondary', ...flags: string[]): Promise<{ peer: Peer; path: string }> {
  const child = spawn(process.execPath, [FIXTURE, role, dir, ...flags], { stdio: ['pipe', 'pipe', 'pipe'] });
  const peer = new JsonPeer(child);
  peers.push(peer);
  const ready = await peer.waitFor((e) => e.event === 'ready');
  return { peer, path: ready.path as string };
}

async function openHere(role: 'primary' | 'secondary'): Promise<MpChannel> {
  const logger = new LogRegistry({ sink: (line) => lines.push(line) }).register('lib.eal', { prefix: 'EAL', level: LogLevel.DEBUG });
  const channel = await MpChannel.open({ transport: new UnixTransport(), role, runtimeDir: dir, logger });
  channels.push(channel);
  return channel;
}

const msg = (name: string, param: number[] = []): MpMessage => ({ name, param: Uint8Array.from(param), fds: [] });

beforeAll(() => {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`pnpm run build\` in packages/mp-channel before these tests`);
});

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'mpp-'));
  dir = await createRuntimeDir('mp', { env: { RUNTIME_DIRECTORY: base } });
  lines.length = 0;
});

afterEach(async () => {
  await Promise.all(channels.splice(0).map((c) => c.close()));
  for (const peer of peers.splice(0)) await peer.stop();
  await rm(base, { recursive: true, force: true });
});

describe('MpChannel over UnixTransport between processes', () => {
  it('broadcasts a MSG from the primary to two secondary processes', async () => {
    const primary = await openHere('primary');
    const a = await startPeer('secondary', '--record', 'note');
    const b = await startPeer('secondary', '--record', 'note');
    expect(await primary.send(msg('note', [1, 2]))).toBe(2);
    for (const s of [a, b]) {
      const got = await s.peer.waitFor((e) => e.event === 'msg');
      expect(got).toMatchObject({ name: 'note', param: [1, 2], peer: mpSocketPath(dir), nfds: 0 });
    }
  });

  it('the primary gathers replies from two secondary processes', async () => {
    const primary = await openHere('primary');
    const a = await startPeer('secondary', '--echo', 'sync', '--init');
    const b = await startPeer('secondary', '--echo', 'sync', '--init');
    const res = await primary.request(msg('sync', [7]), { timeoutMs: DEADLINE_MS });
    expect(res).toMatchObject({ nbSent: 2, nbReceived: 2 });
    expect(res.replies.map((r) => r.peer)).toEqual([a.path, b.path].sort());
    const byPeer = new Map(res.replies.map((r) => [r.peer, [...r.param]]));
    expect(byPeer.get(a.path)).toEqual([7, a.peer.pid % 256]);
    expect(byPeer.get(b.path)).toEqual([7, b.peer.pid % 256]);
  });

  it('a secondary process requests and the primary (this process) replies', async () => {
    const primary = await openHere('primary');
    primary.register('ask', (m, peer) => primary.reply(msg('ask', [m.param[0]! * 2]), peer).then(() => undefined));
    const s = await startPeer('secondary');
    const res = await s.peer.command({ cmd: 'request', name: 'ask', param: [21] }, 'response');
    expect(res).toMatchObject({ nbSent: 1, nbReceived: 1, replies: [{ peer: mpSocketPath(dir), name: 'ask', param: [42] }] });
  });

  it('a primary process answers this process as a secondary', async () => {
    const p = await startPeer('primary', '--echo', 'ask', '--init');
    expect(p.path).toBe(mpSocketPath(dir));
    const secondary = await openHere('secondary');
    const res = await secondary.request(msg('ask', [5]), { timeoutMs: DEADLINE_MS });
    expect(res).toMatchObject({ nbSent: 1, nbReceived: 1 });
    expect([...res.replies[0]!.param]).toEqual([5, p.peer.pid % 256]);
  });

  it('a secondary that has not completed init answers IGN and is not counted', async () => {
    const primary = await openHere('primary');
    await startPeer('secondary');
    const res = await primary.request(msg('unknown_yet'), { timeoutMs: DEADLINE_MS });
    expect(res).toEqual({ nbSent: 0, nbReceived: 0, replies: [] });
  });

  it('a secondary that never answers makes the request time out with nbReceived < nbSent', async () => {
    const primary = await openHere('primary');
    const quiet = await startPeer('secondary', '--silent', 'q', '--init');
    const res = await primary.request(msg('q'), { timeoutMs: 500 });
    expect(res).toEqual({ nbSent: 1, nbReceived: 0, replies: [] });
    await quiet.peer.waitFor((e) => e.event === 'silent');
    expect(lines).toContain(`EAL: Fail to recv reply for request ${quiet.path}:q`);
  });

  it('a SIGKILLed secondary is skipped and its socket file removed', async () => {
    const primary = await openHere('primary');
    const alive = await startPeer('secondary', '--echo', 'x', '--init');
    const doomed = await startPeer('secondary', '--echo', 'x', '--init');
    process.kill(doomed.peer.pid, 'SIGKILL');
    await doomed.peer.exited;
    expect(await readdir(dir)).toContain(doomed.path.slice(dir.length + 1));
    const res = await primary.request(msg('x'), { timeoutMs: DEADLINE_MS });
    expect(res).toMatchObject({ nbSent: 1, nbReceived: 1 });
    expect(res.replies[0]!.peer).toBe(alive.path);
    expect(existsSync(doomed.path)).toBe(false);
  });

  it('a secondary passes an fd with a MSG and the primary reads through it', async () => {
    const primary = await openHere('primary');
    const file = join(base, 'payload.txt');
    await writeFile(file, 'hello through SCM_RIGHTS');
    const received = new Promise<string>((resolve) => {
      primary.register('fd', (m) => {
        const buffer = Buffer.alloc(256);
        // Taken: this handler closes it; without takeFds() the channel would once it returns.
        const [fd] = m.takeFds();
        const n = readSync(fd!, buffer, 0, buffer.length, 0);
        closeSync(fd!);
        resolve(`${m.fds.length}:${buffer.subarray(0, n).toString()}`);
      });
    });
    const s = await startPeer('secondary');
    await s.peer.command({ cmd: 'sendfd', name: 'fd', path: file }, 'sent');
    expect(await received).toBe('1:hello through SCM_RIGHTS');
    expect(await readFile(file, 'utf8')).toBe('hello through SCM_RIGHTS');
  });

  it('the primary passes an fd to a secondary process in a broadcast', async () => {
    const primary = await openHere('primary');
    const file = join(base, 'down.txt');
    await writeFile(file, 'from the primary');
    const s = await startPeer('secondary', '--record', 'fd');
    const { open } = await import('node:fs/promises');
    const handle = await open(file, 'r');
    try {
      expect(await primary.send({ name: 'fd', param: new Uint8Array(), fds: [handle.fd] })).toBe(1);
    } finally {
      await handle.close();
    }
    expect(await s.peer.waitFor((e) => e.event === 'msg')).toMatchObject({ nfds: 1, content: 'from the primary' });
  });

  it('a primary starting up removes the socket file of a killed secondary', async () => {
    const doomed = await startPeer('secondary');
    process.kill(doomed.peer.pid, 'SIGKILL');
    await doomed.peer.exited;
    expect(existsSync(doomed.path)).toBe(true);
    await openHere('primary');
    expect(existsSync(doomed.path)).toBe(false);
  });
});
