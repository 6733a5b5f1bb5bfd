// The telemetry socket of a real hotplug-mp process under abuse: DPDK's
// connection limit, malformed and over-long requests, a client that never
// reads, one that leaves mid-reply — the application keeps working.
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { AppProcess } from '@eal-ts/interop';
import { TelemetryClient, type TelemetryError } from '@eal-ts/telemetry';
import { BAD_TELEMETRY_CLIENT, Child, uniquePrefix, useTempBase } from '@eal-ts/test-kit';

let env: NodeJS.ProcessEnv;
let filePrefix: string;
const clients: TelemetryClient[] = [];
const base = useTempBase('hotplug-tel', {
  cleanup: () => {
    for (const c of clients.splice(0)) c.close();
    return Promise.resolve();
  },
});

beforeEach(() => {
  env = { ...process.env, RUNTIME_DIRECTORY: base.path };
  filePrefix = uniquePrefix('hptel');
});

/** A telemetry client in Python (dpdk-telemetry.py's language) that misbehaves on purpose. */
function python(mode: string, ...requests: string[]): Child {
  return Child.spawn('python3', [BAD_TELEMETRY_CLIENT, join(base.path, 'dpdk', filePrefix, 'dpdk_telemetry.v2'), mode, ...requests]);
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

    const garbage = python('garbage', '/ethdev/info,999999999999');
    expect((await garbage.exited).code).toBe(0);
    const replies = garbage.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(replies.map((r) => Object.values(r))).toEqual([[null], [null], [null], [null], [null]]);
    const flood = python('flood', '/ethdev/stats,0');
    await flood.waitFor('flooded', { stream: 'stdout', timeoutMs: 15_000 });
    const mid = python('midreply', '/');
    expect((await mid.exited).code).toBe(0);

    // The application and its telemetry carry on meanwhile.
    expect(await app.command('attach net_null1')).toEqual(['attached device net_null1']);
    expect(await app.list()).toEqual(['0\tnet_null0', '1\tnet_null1']);
    const client = await TelemetryClient.connect({ filePrefix, env });
    clients.push(client);
    expect(await client.ethdevList()).toEqual([0, 1]);
    expect(((await client.request('/eal_ts/hotplug')) as { name: string }[]).map((e) => e.name)).toContain('net_null1');
  });
});
