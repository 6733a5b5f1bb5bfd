// Issue 8, point 4: a watcher on the channel (eal-mp listen's library,
// openMpObserver) must be invisible to the application it watches.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeVdevParam, VDEV_MP_KEY } from '@eal-ts/bus-vdev';
import { describeEalDevMpReq, EAL_DEV_MP_ACTION_REQUEST } from '@eal-ts/hotplug-mp';
import { AppProcess, started } from '@eal-ts/interop';
import { MpParamDecoders, openMpObserver, UnixTransport, type MpChannel, type MpTrace } from '@eal-ts/mp-channel';

let base: string;
let filePrefix: string;
let env: NodeJS.ProcessEnv;
let observer: MpChannel | undefined;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'eal-ts-observer-'));
  env = { ...process.env, RUNTIME_DIRECTORY: base };
  filePrefix = `ob${process.pid}`;
});
afterEach(async () => {
  await observer?.close();
  observer = undefined;
  await Promise.all([...started].map((p) => p.stop()));
  await rm(base, { recursive: true, force: true });
});

it('a hotplug from the primary and from a secondary succeeds while an observer listens, and it sees and decodes both', async () => {
  const args = ['-l', '0', '--no-pci', '--proc-type=auto', `--file-prefix=${filePrefix}`, '--hotplug-timeout-ms=3000'];
  const primary = await AppProcess.start('primary', args, env);
  const decoders = new MpParamDecoders().register(EAL_DEV_MP_ACTION_REQUEST, describeEalDevMpReq).register(VDEV_MP_KEY, describeVdevParam);
  const traces: MpTrace[] = [];
  observer = await openMpObserver({ transport: new UnixTransport(), runtimeDir: join(base, 'dpdk', filePrefix), onTrace: (t) => traces.push(t) });
  const secondary = await AppProcess.start('secondary', args, env);

  const t0 = Date.now();
  expect(await primary.command('attach net_null0')).toEqual(['attached device net_null0']);
  expect(await secondary.command('attach net_null1')).toEqual(['attached device net_null1']);
  expect(await secondary.command('detach net_null0')).toEqual(['detaching...', 'detached device net_null0']);
  expect(await primary.command('detach net_null1')).toEqual(['detaching...', 'detached device net_null1']);
  // Answered at once, never waited for: four operations well within one timeout.
  expect(Date.now() - t0).toBeLessThan(3000);
  expect(await primary.list()).toEqual([]);
  expect(await secondary.list()).toEqual([]);

  const seen = traces.map((t) => `${t.dir} ${t.type} ${t.name} ${decoders.describeTrace(t) ?? ''}`.trim());
  expect(seen).toEqual(
    ['ATTACH', 'ATTACH', 'DETACH', 'DETACH'].flatMap((op, i) => [
      `in REQ eal_dev_mp_request ${op} "vdev:net_null${i % 2}," result 0`,
      'out IGN eal_dev_mp_request',
    ]),
  );
  // Every REQ was answered with an IGN, nothing else.
  expect(traces.filter((t) => t.dir === 'in' && t.type === 'REQ').length).toBe(traces.filter((t) => t.dir === 'out').length);
  expect(traces.filter((t) => t.dir === 'out').every((t) => t.type === 'IGN')).toBe(true);
});
