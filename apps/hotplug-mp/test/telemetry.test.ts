// The telemetry socket of a real hotplug-mp process under abuse: DPDK's
// connection limit, malformed and over-long requests, a client that never
// reads, one that leaves mid-reply — the application keeps working.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppProcess, started } from '@eal-ts/interop';
import { TelemetryClient, type TelemetryError } from '@eal-ts/telemetry';

// A telemetry client in Python (dpdk-telemetry.py's language) that misbehaves on purpose.
const BAD_CLIENT = `
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
mode = sys.argv[2]
if mode == "flood":
    s.setblocking(False)
    try:
        for _ in range(100000):
            s.send(b"/ethdev/stats,0")
    except OSError:  # queue full (BlockingIOError), or the server dropped us
        pass
    print("flooded", flush=True)
    time.sleep(600)
elif mode == "midreply":
    s.recv(16384)
    s.send(b"/")
    s.close()
    print("closed", flush=True)
else:
    s.recv(16384)
    for m in [bytes(range(1, 256)), b"/" + b"q" * 4000, b"/ethdev/info,999999999999", b",,,"]:
        s.send(m)
        print(s.recv(16384).decode("utf-8", "replace"), flush=True)
`;

let base: string;
let env: NodeJS.ProcessEnv;
let filePrefix: string;
const children: ChildProcess[] = [];
const clients: TelemetryClient[] = [];

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'eal-ts-hotplug-tel-'));
  env = { ...process.env, RUNTIME_DIRECTORY: base };
  filePrefix = `hptel${process.pid}`;
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const child of children.splice(0)) if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  await Promise.all([...started].map((p) => p.stop()));
  await rm(base, { recursive: true, force: true });
});

function python(mode: string): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn('python3', ['-c', BAD_CLIENT, join(base, 'dpdk', filePrefix, 'dpdk_telemetry.v2'), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  return { child, output: () => out, exited: new Promise((resolve) => child.on('exit', resolve)) };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the telemetry of a hotplug-mp primary', () => {
  it('serves 10 clients, closes 2 more at once, and survives garbage, a flood without reading and a client leaving mid-reply', async () => {
    const app = await AppProcess.start('primary', ['--no-pci', `--file-prefix=${filePrefix}`, '--vdev=net_null0'], env);
    const attempts = await Promise.allSettled(
      Array.from({ length: 12 }, () => TelemetryClient.connect({ filePrefix, env }).then((c) => (clients.push(c), c))),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(10);
    const refused = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    expect(refused.map((r) => (r.reason as TelemetryError).code)).toEqual(['ECONNRESET', 'ECONNRESET']);
    expect(await clients[0]!.ethdevList()).toEqual([0]);
    for (const c of clients.splice(0)) c.close();

    const garbage = python('garbage');
    expect(await garbage.exited).toBe(0);
    const replies = garbage.output().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(replies.map((r) => Object.values(r))).toEqual([[null], [null], [null], [null]]);
    const flood = python('flood');
    await until(() => flood.output().includes('flooded'), 'the flooding client');
    const mid = python('midreply');
    expect(await mid.exited).toBe(0);

    // The application and its telemetry carry on meanwhile.
    expect(await app.command('attach net_null1')).toEqual(['attached device net_null1']);
    expect(await app.list()).toEqual(['0\tnet_null0', '1\tnet_null1']);
    const client = await TelemetryClient.connect({ filePrefix, env });
    clients.push(client);
    expect(await client.ethdevList()).toEqual([0, 1]);
    expect(((await client.request('/eal_ts/hotplug')) as { name: string }[]).map((e) => e.name)).toContain('net_null1');
  });
});
