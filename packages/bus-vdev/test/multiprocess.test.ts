// The vdev discovery between real processes over AF_UNIX sockets. Needs the
// package built (`pnpm run build`): the child fixture imports ../../dist.
import { LogLevel, LogRegistry } from '@eal-ts/log';
import { MpChannel, UnixTransport, createRuntimeDir } from '@eal-ts/mp-channel';
import { DEADLINE_MS, JsonPeer, pollUntil, useTempBase } from '@eal-ts/test-kit';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { VdevBus } from '../src/index.js';
import { RecordingDriver } from './helpers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/vdev-proc.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
/** A vdev fixture process: JSON commands in, JSON events (log lines included) out. */
class Proc extends JsonPeer {
  logLines(): string[] {
    return this.events.filter((e) => e.event === 'log').map((e) => e.line as string);
  }
}

const channels: MpChannel[] = [];
const base = useTempBase('vdevmp', { built: DIST, cleanup: () => Promise.all(channels.splice(0).map((c) => c.close())) });
let dir: string;

async function start(role: 'primary' | 'secondary', ...vdevs: string[]): Promise<{ proc: Proc; devices: string[] }> {
  const proc = Proc.spawn(FIXTURE, [role, dir, ...vdevs]);
  const ready = await proc.waitFor((e) => e.event === 'ready');
  return { proc, devices: (ready.devices as { name: string }[]).map((d) => d.name) };
}

beforeEach(async () => {
  dir = await createRuntimeDir('vdev', { env: { RUNTIME_DIRECTORY: base.path } });
});

describe('bus_vdev_mp between real processes over UnixTransport', () => {
  it('secondaries learn the primary process vdevs at start-up, and an earlier secondary hears the broadcast', async () => {
    const primary = await start('primary', 'net_null0', 'net_null1,size=64');
    expect(primary.devices).toEqual(['net_null0', 'net_null1']);

    const early = await start('secondary', 'net_null5');
    expect(early.devices).toEqual(['net_null0', 'net_null1', 'net_null5']);
    expect(early.proc.logLines()).toContain('VDEV: Received 2 vdevs');

    expect(await primary.proc.command({ cmd: 'add', name: 'net_null2' }, 'added')).toMatchObject({ name: 'net_null2' });

    // This test process joins as a secondary over real sockets too.
    const lines: string[] = [];
    const logs = new LogRegistry({ sink: (line) => lines.push(line) });
    const channel = await MpChannel.open({
      transport: new UnixTransport(),
      role: 'secondary',
      runtimeDir: dir,
      logger: logs.register('lib.eal', { prefix: 'EAL', level: LogLevel.DEBUG }),
    });
    channels.push(channel);
    const bus = new VdevBus({ mp: channel, logger: logs.register('bus.vdev', { prefix: 'VDEV' }) });
    bus.registerDriver(new RecordingDriver('net_null'));
    await bus.scan();
    expect(bus.devices().map((d) => d.name)).toEqual(['net_null0', 'net_null1', 'net_null2']);
    expect(lines).toContain('VDEV: Received 3 vdevs');

    // The broadcast answering our request reached the earlier secondary process as well.
    const devices = await pollUntil(
      async () => ((await early.proc.command({ cmd: 'devices' }, 'devices')).devices as { name: string }[]).map((d) => d.name),
      (names) => names.includes('net_null2'),
      { what: 'the earlier secondary to list net_null2', timeoutMs: DEADLINE_MS, intervalMs: 50 },
    );
    expect(devices).toEqual(['net_null0', 'net_null1', 'net_null5', 'net_null2']);
  });
});
