// The README's demo: a primary and two secondaries as real processes, all
// eal-mp, in a throw-away runtime directory, narrated step by step.
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DemoProcess } from './process.js';

const manifest = createRequire(import.meta.url).resolve('@eal-ts/mp-channel/package.json');
const EAL_MP = join(dirname(manifest), (JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> }).bin['eal-mp']!);
const PREFIX = 'demo';

function say(text: string): void {
  process.stdout.write(`\n* ${text}\n`);
}

const base = await mkdtemp(join(tmpdir(), 'eal-ts-demo-'));
const env = { ...process.env, RUNTIME_DIRECTORY: base };
const started: DemoProcess[] = [];
const run = (label: string, ...args: string[]): DemoProcess => {
  const p = DemoProcess.start(label, process.execPath, [EAL_MP, ...args, '--file-prefix', PREFIX], env);
  started.push(p);
  return p;
};

try {
  say(`A primary takes the config lock and binds ${join(base, 'dpdk', PREFIX, 'mp_socket')}; it echoes every request.`);
  const primary = run('primary', 'serve', '--echo');
  await primary.waitFor(/serving as the primary/);

  say('A first secondary joins and listens, answering any request the primary broadcasts.');
  const listener = run('secondary-1', 'listen', '--echo-requests');

  say('eal-mp peers shows who is there: the lock holder, the primary socket and each secondary socket.');
  for (let seen = false; !seen; ) {
    const peers = run('peers', 'peers');
    await peers.exited;
    seen = (await readdir(join(base, 'dpdk', PREFIX))).some((name) => name.startsWith('mp_socket_'));
  }

  say("A second secondary sends one request, DPDK's 332-byte datagram, and prints what comes back.");
  const requester = run('secondary-2', 'request', '--name', 'hello_dpdk', '--param-hex', Buffer.from('eal-ts says hi').toString('hex'));
  const status = await requester.exited;
  if (status !== 0) throw new Error(`the request failed with exit status ${status}`);
  await primary.waitFor(/REQ hello_dpdk/);

  say('Every process is stopped; the runtime directory is removed.');
  await Promise.all([listener.stop(), primary.stop()]);
  process.stdout.write('\nDone: the same request/reply works against a real DPDK primary (see tools/interop).\n');
} finally {
  await Promise.all(started.map((p) => p.stop()));
  await rm(base, { recursive: true, force: true });
}
