// The whole protocol between real processes over AF_UNIX sockets. Needs the
// package built (`pnpm run build`): the child fixture imports ../../dist.
import { createRuntimeDir } from '@eal-ts/mp-channel';
import { JsonPeer, useTempBase } from '@eal-ts/test-kit';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/hotplug-peer.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
/** A hotplug fixture process: JSON commands in, JSON events out. */
class Peer extends JsonPeer {
  async list(): Promise<string[]> {
    return (await this.command({ cmd: 'list' }, 'list')).devices as string[];
  }
}

const base = useTempBase('hotplug-mp', { built: DIST });
let dir: string;

async function startPeer(role: 'primary' | 'secondary'): Promise<Peer> {
  const peer = Peer.spawn(FIXTURE, [role, dir]);
  await peer.waitFor((e) => e.event === 'ready');
  return peer;
}

beforeEach(async () => {
  dir = await createRuntimeDir('hp', { env: { RUNTIME_DIRECTORY: base.path } });
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
