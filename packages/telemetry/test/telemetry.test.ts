import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { UnixSeqpacketServer } from '@eal-ts/sys';
import { BAD_TELEMETRY_CLIENT, Child, type RunResult, runToExit, stopAll } from '@eal-ts/test-kit';
import { afterEach, describe, expect, it } from 'vitest';

import type {
  TelemetryError} from '../src/index.js';
import {
  TelemetryClient,
  TelemetryRegistry,
  TelemetryServer,
  TelemetryUnavailableError,
  listTelemetrySockets,
} from '../src/index.js';
import { eventually, removeTempDirs, runtimeFixture } from './helpers.js';

const BAD_CLIENT = BAD_TELEMETRY_CLIENT;
const servers: TelemetryServer[] = [];
const clients: TelemetryClient[] = [];

afterEach(async () => {
  await stopAll();
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await server.close();
  await removeTempDirs();
});

function registry(): TelemetryRegistry {
  const r = new TelemetryRegistry({ version: 'eal-ts test' });
  r.register('/test/echo', (params) => params ?? null, 'Echoes its parameter. Parameters: string');
  r.register('/test/fail', () => {
    throw new Error('boom');
  }, 'Always fails');
  r.register('/big', () => Array.from({ length: 512 }, (_, i) => `${'v'.repeat(100)}${i}`), 'A reply bigger than max_output_len');
  r.register('/test/slow', () => new Promise(() => undefined), 'Never answers');
  return r;
}

async function start(dir: string, options: Partial<ConstructorParameters<typeof TelemetryRegistry>[0]> & { handlerTimeoutMs?: number } = {}) {
  const server = await TelemetryServer.start({ runtimeDir: dir, registry: registry(), ...options });
  servers.push(server);
  return server;
}

async function connect(path: string, timeoutMs?: number): Promise<TelemetryClient> {
  const client = await TelemetryClient.connect({ path, ...(timeoutMs ? { timeoutMs } : {}) });
  clients.push(client);
  return client;
}

function run(command: string, args: string[], input: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  return runToExit(command, args, { input, env });
}

describe('TelemetryServer', () => {
  it('greets, lists, helps and answers null for unknown commands, bad params and failing handlers', async () => {
    const { dir } = await runtimeFixture();
    const server = await start(dir);
    expect(server.path).toBe(join(dir, 'dpdk_telemetry.v2'));
    const client = await connect(server.path);
    expect(client.info).toEqual({ version: 'eal-ts test', pid: process.pid, max_output_len: 16384 });
    expect(await client.commands()).toEqual(['/', '/big', '/help', '/info', '/test/echo', '/test/fail', '/test/slow']);
    expect(await client.raw('/info')).toEqual({ '/info': client.info });
    expect(await client.raw('/help,/test/echo')).toEqual({ '/help': { '/test/echo': 'Echoes its parameter. Parameters: string' } });
    expect(await client.raw('/help')).toEqual({ '/help': 'Returns help text for a command. Parameters: string command' });
    expect(await client.raw('/help,/nope')).toEqual({ '/help': null });
    expect(await client.raw('/nope')).toEqual({ '/nope': null });
    expect(await client.raw('/test/fail')).toEqual({ '/test/fail': null });
    expect(await client.raw('/test/echo,a,b')).toEqual({ '/test/echo': 'a,b' });
    const big = (await client.request('/big')) as string[];
    expect(big.length).toBeGreaterThan(100);
    expect(big.length).toBeLessThan(512);
  });

  it('serves 10 clients, closes the 11th and 12th at once, and still serves afterwards', async () => {
    const { dir } = await runtimeFixture();
    const server = await start(dir);
    const attempts = await Promise.allSettled(Array.from({ length: 12 }, () => connect(server.path)));
    const served = attempts.filter((a) => a.status === 'fulfilled');
    const refused = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    expect(served).toHaveLength(10);
    expect(refused).toHaveLength(2);
    for (const r of refused) expect((r.reason as TelemetryError).code).toBe('ECONNRESET');
    expect(server.rejected).toBe(2);
    for (const c of clients.splice(0, 3)) c.close();
    await eventually(() => server.connections === 7, 'the server to see 3 clients go');
    const late = await connect(server.path);
    expect(await late.request('/test/echo,ok')).toBe('ok');
  });

  it('survives garbage, over-long requests, a client that never reads and one that leaves mid-reply', async () => {
    const { dir, env } = await runtimeFixture();
    const server = await TelemetryServer.start({ runtimeDir: dir, registry: registry(), sendTimeoutMs: 200 });
    servers.push(server);
    const garbage = await run('python3', [BAD_CLIENT, server.path, 'garbage'], '', env);
    expect(garbage.code, garbage.stderr).toBe(0);
    const lines = garbage.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(Object.values(JSON.parse(line) as object)).toEqual([null]);
    expect(Object.keys(JSON.parse(lines[1]!) as object)[0]).toBe('/' + 'z'.repeat(55));
    expect(lines[3]).toBe('{"none":null}');

    const flood = Child.spawn('python3', [BAD_CLIENT, server.path, 'flood']);
    await flood.waitFor('flooded', { stream: 'stdout', timeoutMs: 10_000 });
    const mid = await run('python3', [BAD_CLIENT, server.path, 'midreply'], '', env);
    expect(mid.stdout).toContain('closed');
    // The flooder is dropped once a reply waited sendTimeoutMs; others are served meanwhile.
    const client = await connect(server.path);
    expect(await client.request('/test/echo,alive')).toBe('alive');
    await eventually(() => server.connections === 1, 'the stuck and gone clients to be dropped', 15_000);
    expect(await client.request('/test/echo,still')).toBe('still');
  });

  it('takes dpdk_telemetry.v2:1 when a live process has the plain name, and replaces a stale socket', async () => {
    const { dir } = await runtimeFixture();
    const first = await start(dir);
    const second = await start(dir);
    expect(second.instance).toBe(1);
    expect(second.path).toBe(join(dir, 'dpdk_telemetry.v2:1'));
    await first.close();
    // A socket file left by a crashed process: bound, nobody accepting.
    const stale = await UnixSeqpacketServer.listen(join(dir, 'dpdk_telemetry.v2'));
    stale.close();
    const third = await start(dir);
    expect(third.instance).toBe(0);
    expect((await connect(third.path)).info.pid).toBe(process.pid);
  });
});

describe('TelemetryClient', () => {
  it('finds sockets by file prefix and instance, and says clearly when telemetry is off', async () => {
    const { dir, prefix, env } = await runtimeFixture();
    const off = await TelemetryClient.connect({ filePrefix: prefix, env }).catch((e: unknown) => e);
    expect(off).toBeInstanceOf(TelemetryUnavailableError);
    expect((off as TelemetryUnavailableError).appRunning).toBe(true);
    expect((off as Error).message).toMatch(/--no-telemetry/);
    const none = await TelemetryClient.connect({ filePrefix: 'nobody-here', env }).catch((e: unknown) => e);
    expect((none as TelemetryUnavailableError).appRunning).toBe(false);

    await start(dir);
    await start(dir);
    const list = await listTelemetrySockets({ env });
    expect(list.map((s) => [s.filePrefix, s.instance])).toEqual([
      [prefix, 0],
      [prefix, 1],
    ]);
    const second = await TelemetryClient.connect({ filePrefix: prefix, instance: 1, env });
    clients.push(second);
    expect(second.path).toBe(join(dir, 'dpdk_telemetry.v2:1'));

    writeFileSync(join(dir, 'dpdk_telemetry.v2:7'), '');
    const stale = await TelemetryClient.connect({ filePrefix: prefix, instance: 7, env }).catch((e: unknown) => e);
    expect((stale as TelemetryError).code).toBe('ECONNREFUSED');
  });

  it('bounds every request: ETIMEDOUT, AbortSignal, and the next request still works', async () => {
    const { dir } = await runtimeFixture();
    const server = await TelemetryServer.start({ runtimeDir: dir, registry: registry(), handlerTimeoutMs: 300 });
    servers.push(server);
    const client = await connect(server.path);
    const slow = await client.request('/test/slow', { timeoutMs: 100 }).catch((e: unknown) => e);
    expect((slow as TelemetryError).code).toBe('ETIMEDOUT');
    // The server gives up on the handler after 300 ms and answers null: that late reply is skipped.
    expect(await client.request('/test/echo,next', { timeoutMs: 5000 })).toBe('next');
    const controller = new AbortController();
    const aborted = client.request('/test/slow', { signal: controller.signal, timeoutMs: 60_000 }).catch((e: unknown) => e);
    controller.abort(new Error('user stop'));
    expect(((await aborted) as Error).message).toBe('user stop');
    expect(await client.request('/test/echo,after')).toBe('after');
    await expect(client.request('')).rejects.toThrow(/non-empty/);
  });
});

describe("DPDK's dpdk-telemetry.py against an eal-ts server", () => {
  it('reads commands from a pipe and prints one JSON object per line, also for -i 1', async () => {
    const { dir, prefix, env } = await runtimeFixture();
    await start(dir);
    await start(dir);
    const input = '/info\n/test/echo,hi\n/nope\n/help,/info\n';
    for (const args of [['-f', prefix], ['-f', prefix, '-i', '1']]) {
      const result = await run('dpdk-telemetry.py', args, input, env);
      expect(result.code, result.stderr).toBe(0);
      const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toEqual([
        { '/info': { version: 'eal-ts test', pid: process.pid, max_output_len: 16384 } },
        { '/test/echo': 'hi' },
        { '/nope': null },
        { '/help': { '/info': 'Returns DPDK Telemetry information. Takes no parameters' } },
      ]);
    }
    const listed = await run('dpdk-telemetry.py', ['-l'], '', env);
    expect(listed.stdout).toContain(prefix);
    expect(listed.stdout).toContain('dpdk_telemetry.v2:1');
  });
});
