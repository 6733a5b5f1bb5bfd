import { fileURLToPath } from 'node:url';

import { TelemetryClient } from '@eal-ts/telemetry';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { eventually, pollUntil, runToExit, tempDir, uniquePrefix } from '@eal-ts/test-kit';
import { AppProcess, Testpmd, python3Available, tearDown, testpmdAvailable, thenPrompt } from '../src/index.js';

const PY_CLIENT = '/usr/bin/dpdk-telemetry.py';
const EAL_TELEMETRY_BIN = fileURLToPath(new URL('../../../apps/eal-telemetry/bin/eal-telemetry.js', import.meta.url));
const pyAvailable = python3Available();

/** dpdk-telemetry.py -f PREFIX with `commands` piped in; one parsed JSON object per output line. */
async function pyTelemetry(prefix: string, base: string, commands: string[]): Promise<Record<string, unknown>[]> {
  const env = { ...process.env, RUNTIME_DIRECTORY: base };
  const { code, stdout, stderr } = await runToExit(PY_CLIENT, ['-f', prefix], { env, input: commands.join('\n') + '\n' });
  if (code !== 0) throw new Error(`dpdk-telemetry.py exited ${code}: ${stderr}`);
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A testpmd with net_null0 and net_null1 (and `eal` arguments) for the describe block; the getter gives it. */
function testpmdForBlock(eal: string[] = []): () => Testpmd {
  let testpmd: Testpmd | undefined;
  beforeAll(async () => {
    testpmd = await Testpmd.start({ vdevs: ['net_null0', 'net_null1'], eal });
  });
  afterAll(async () => {
    await testpmd?.stop();
  });
  return () => testpmd!;
}

/** testpmd detaches net_null0 and attaches net_null2, which takes the lower free id: 0 net_null2, 1 net_null1. */
async function reuseLowerId(testpmd: Testpmd): Promise<void> {
  await testpmd.command('port stop 0');
  await testpmd.command('device detach net_null0', { until: thenPrompt('Device net_null0 is detached', 'Failed', 'failed') });
  await testpmd.command('port attach net_null2', { until: /Port \d+ is attached|Failed[^\n]*\n/ });
  expect(await testpmd.ports()).toEqual(new Map([[0, 'net_null2'], [1, 'net_null1']]));
}

function shape(value: unknown): unknown {
  if (Array.isArray(value)) return 'array';
  if (value !== null && typeof value === 'object') return Object.keys(value).sort();
  return value === null ? null : typeof value;
}

afterEach(async () => {
  await tearDown();
});

describe.skipIf(!testpmdAvailable() || !pyAvailable)('telemetry v2 against a real DPDK 22.11 (dpdk-testpmd)', () => {
  let testpmd: Testpmd;

  beforeAll(async () => {
    testpmd = await Testpmd.start({ vdevs: ['net_null0', 'net_null1'] });
  });

  afterAll(async () => {
    await testpmd?.stop();
  });

  it("the eal-ts client reads testpmd's /ethdev/list, /ethdev/info,0 and /ethdev/stats,0", async () => {
    const client = await TelemetryClient.connect({ filePrefix: testpmd.filePrefix, env: { RUNTIME_DIRECTORY: testpmd.runtimeBase } });
    try {
      expect(client.info.version).toMatch(/^DPDK 22\.11/);
      expect(client.info.pid).toBe(testpmd.pid);
      expect(await client.ethdevList()).toEqual([0, 1]);
      expect(await client.ethdevInfo(0)).toMatchObject({ name: 'net_null0', port_id: 0 });
      const stats = await client.ethdevStats(0);
      expect(stats.q_ipackets).toHaveLength(16);
      expect(typeof stats.ipackets).toBe('number');
      await expect(client.ethdevInfo(9)).rejects.toMatchObject({ code: 'ENODEV' });
    } finally {
      client.close();
    }
  });

  it("eal-telemetry reads testpmd's /ethdev/list, /ethdev/info,0 and /ethdev/stats,0 one-shot", async () => {
    const { code, stdout, stderr } = await runToExit(process.execPath, [EAL_TELEMETRY_BIN, '-f', testpmd.filePrefix, '/ethdev/list', '/ethdev/info,0', '/ethdev/stats,0'], {
      env: { ...process.env, RUNTIME_DIRECTORY: testpmd.runtimeBase },
    });
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
    expect(lines[0]).toEqual({ '/ethdev/list': [0, 1] });
    expect(lines[1]!['/ethdev/info']).toMatchObject({ name: 'net_null0', port_id: 0 });
    expect(Object.keys(lines[2]!['/ethdev/stats']!)).toContain('q_ipackets');
  });

  it('dpdk-telemetry.py gets the same shapes from an eal-ts hotplug-mp primary as from testpmd', async () => {
    const commands = ['/ethdev/list', '/ethdev/info,0', '/ethdev/stats,0', '/ethdev/xstats,0', '/ethdev/link_status,0', '/eal/params', '/eal/app_params', '/info', '/no/such/command', '/ethdev/info,x', '/help,/ethdev/info'];
    const fromDpdk = await pyTelemetry(testpmd.filePrefix, testpmd.runtimeBase, commands);
    const base = await tempDir('tel');
    const prefix = uniquePrefix('teleal');
    try {
      await AppProcess.start('hotplug-mp', [`--file-prefix=${prefix}`, '--no-pci', '--vdev=net_null0', '--vdev=net_null1', '--', '-x'], {
        ...process.env,
        RUNTIME_DIRECTORY: base.path,
      });
      const fromEalTs = await pyTelemetry(prefix, base.path, commands);
      expect(fromEalTs.map((r) => Object.keys(r))).toEqual(fromDpdk.map((r) => Object.keys(r)));
      for (let i = 0; i < commands.length; i++) {
        const key = commands[i]!.split(',')[0]!;
        const [ours, theirs] = [fromEalTs[i]![key], fromDpdk[i]![key]];
        if (key === '/ethdev/xstats') {
          // Queue counters depend on the queues set up; the port-wide names must all be there.
          expect(Object.keys(ours as object)).toEqual(expect.arrayContaining(Object.keys(theirs as object).filter((k) => !/_q\d+_/.test(k))));
        } else {
          expect(shape(ours), commands[i]).toEqual(shape(theirs));
        }
      }
      expect(fromEalTs[0]).toEqual({ '/ethdev/list': [0, 1] });
      expect(fromEalTs[6]).toEqual({ '/eal/app_params': ['-x'] });
      expect(fromEalTs[10]).toEqual(fromDpdk[10]);
    } finally {
      await tearDown();
      await base.remove();
    }
  });
});

describe.skipIf(!testpmdAvailable())("an eal-ts secondary takes testpmd's port ids from its telemetry", () => {
  const dpdk = testpmdForBlock();

  it('lists 0 net_null2 and 1 net_null1 after testpmd reused the lower free id, exactly as testpmd', async () => {
    const testpmd = dpdk();
    await reuseLowerId(testpmd);
    const app = await AppProcess.join('hotplug-mp', testpmd);
    expect(await app.list()).toEqual(['0\tnet_null2', '1\tnet_null1']);
    // A port testpmd attaches later gets testpmd's id here too.
    await testpmd.command('port attach net_null3', { until: /Port \d+ is attached|Failed[^\n]*\n/ });
    const ids = await testpmd.ports();
    const id3 = [...ids].find(([, name]) => name === 'net_null3')?.[0];
    expect(id3).toBe(2);
    const listed = await pollUntil(() => app.list(), (l) => l.includes('2\tnet_null3'), { what: 'net_null3 listed', intervalMs: 50 });
    expect(listed).toEqual(['0\tnet_null2', '1\tnet_null1', '2\tnet_null3']);
  });
});

describe.skipIf(!testpmdAvailable())('an eal-ts secondary of a testpmd without telemetry', () => {
  const dpdk = testpmdForBlock(['--no-telemetry']);

  it('falls back to local ids, says so once, and serves telemetry itself as the first socket of the prefix', async () => {
    const testpmd = dpdk();
    await reuseLowerId(testpmd);
    const app = await AppProcess.join('hotplug-mp', testpmd);
    // Local ids: lowest free, in the order the primary reported its devices — not testpmd's.
    expect(await app.list()).toEqual(['0\tnet_null1', '1\tnet_null2']);
    const notes = app.stderrText.split('\n').filter((l) => l.includes('its telemetry does not answer'));
    expect(notes).toHaveLength(1);
    // The secondary's own telemetry took the free plain name; the pid check keeps it from reading itself as the primary.
    const client = await TelemetryClient.connect({ filePrefix: testpmd.filePrefix, env: { RUNTIME_DIRECTORY: testpmd.runtimeBase } });
    try {
      expect(client.info.pid).toBe(app.pid);
    } finally {
      client.close();
    }
    await testpmd.command('port attach net_null3', { until: /Port \d+ is attached|Failed[^\n]*\n/ });
    await eventually(async () => (await app.list()).some((l) => l.endsWith('\tnet_null3')), { what: 'net_null3 listed', intervalMs: 50 });
    expect(app.stderrText.split('\n').filter((l) => l.includes('telemetry')).length).toBeLessThanOrEqual(1);
  });
});
