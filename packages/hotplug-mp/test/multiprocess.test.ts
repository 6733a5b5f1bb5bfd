// The whole protocol between real processes over AF_UNIX sockets. Needs the
// package built (`pnpm run build`): the child fixture imports ../../dist.
import { createRuntimeDir } from '@eal-ts/mp-channel';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/hotplug-peer.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
/** Generous: a loaded 2-core machine starts a Node process in well under this. */
const DEADLINE_MS = 20_000;

interface Event {
  event: string;
  [key: string]: unknown;
}

/** One child process speaking JSON lines; every event is kept so waits never miss one. */
class Peer {
  readonly events: Event[] = [];
  readonly exited: Promise<void>;
  #wake: (() => void) | undefined;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as Event);
      } catch {
        this.events.push({ event: 'stdout', line });
      }
      this.#wake?.();
    });
    child.stderr.on('data', (chunk: Buffer) => this.events.push({ event: 'stderr', text: chunk.toString() }));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get pid(): number {
    return this.child.pid!;
  }

  async waitFor(predicate: (e: Event) => boolean, from = 0): Promise<Event> {
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const found = this.events.slice(from).find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`peer ${this.pid}: timed out; events: ${JSON.stringify(this.events.slice(-30))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 250);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async command(cmd: Record<string, unknown>, reply: string): Promise<Event> {
    const from = this.events.length;
    this.child.stdin.write(JSON.stringify(cmd) + '\n');
    return this.waitFor((e) => e.event === reply || e.event === 'error', from);
  }

  async list(): Promise<string[]> {
    return (await this.command({ cmd: 'list' }, 'list')).devices as string[];
  }
}

let base: string;
let dir: string;
const peers: Peer[] = [];

async function startPeer(role: 'primary' | 'secondary'): Promise<Peer> {
  const child = spawn(process.execPath, [FIXTURE, role, dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  const peer = new Peer(child);
  peers.push(peer);
  await peer.waitFor((e) => e.event === 'ready');
  return peer;
}

beforeAll(() => {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`pnpm run build\` in packages/hotplug-mp before these tests`);
});

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'hotplug-mp-'));
  dir = await createRuntimeDir('hp', { env: { RUNTIME_DIRECTORY: base } });
});

afterEach(async () => {
  for (const peer of peers.splice(0)) {
    if (peer.child.exitCode === null && peer.child.signalCode === null) {
      try {
        process.kill(peer.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await peer.exited;
  }
  await rm(base, { recursive: true, force: true });
});

describe('hotplug between real processes (UnixTransport)', () => {
  it('a primary and two secondaries: attach from a secondary, detach from the primary', async () => {
    const primary = await startPeer('primary');
    const s1 = await startPeer('secondary');
    const s2 = await startPeer('secondary');
    const all = [primary, s1, s2];

    const attached = await s1.command({ cmd: 'probe', devargs: 'net_null0,size=64' }, 'done');
    expect(attached).toMatchObject({ event: 'done', name: 'net_null0', local: true });
    for (const p of all) {
      expect(await p.list()).toEqual(['net_null0']);
      expect(p.events.filter((e) => e.event === 'attached')).toEqual([{ event: 'attached', name: 'net_null0', devargs: 'net_null0,size=64' }]);
    }

    // Attaching it again changes nothing anywhere.
    expect(await s2.command({ cmd: 'probe', devargs: 'net_null0' }, 'done')).toMatchObject({ event: 'done' });

    expect(await primary.command({ cmd: 'remove', devargs: 'net_null0' }, 'done')).toMatchObject({ event: 'done' });
    for (const p of all) {
      expect(await p.list()).toEqual([]);
      expect(p.events.filter((e) => e.event === 'detached')).toEqual([{ event: 'detached', name: 'net_null0', devargs: 'vdev:net_null0,' }]);
    }

    // An unknown driver: EFAULT from the primary, as DPDK 22.11 answers.
    expect(await s2.command({ cmd: 'probe', devargs: 'net_bogus0' }, 'done')).toMatchObject({ event: 'error', code: 'EFAULT', errno: -14 });
  });
});
