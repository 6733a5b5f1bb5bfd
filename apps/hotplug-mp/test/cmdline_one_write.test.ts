// Issue 11: from a pipe, each command's transcript (the echo, its output and
// the next prompt) leaves in one write, so a script's reader wakes once per
// command. A real EAL (in memory, no runtime directory) behind the real
// cmdline; the output stream records each write() call.
import { PassThrough, Writable } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import { init, type Eal } from '@eal-ts/eal';
import { interact, PROMPT } from '../src/cmdline.js';
import type { HotplugAppContext } from '../src/commands.js';

let eal: Eal | undefined;
afterEach(async () => {
  await eal?.cleanup();
  eal = undefined;
});

function context(e: Eal): HotplugAppContext {
  return {
    buses: e.buses,
    hotplugAdd: (bus, name, args) => e.hotplug.hotplugAdd(bus, name, args),
    hotplugRemove: (bus, name) => e.hotplug.hotplugRemove(bus, name),
    ports: async () => (await e.ports.list()).map((port) => ({ portId: port.portId, name: port.name })),
  };
}

it('a scripted command costs one write: echo, result and prompt together, same bytes as before', async () => {
  eal = await init(['-l', '0', '--no-pci', '--in-memory', '--log-level=lib.eal:error'], { prgname: 'hotplug-mp' });
  const writes: string[] = [];
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes.push(chunk.toString('utf8'));
      done();
    },
  });
  const input = new PassThrough();
  const session = interact(context(eal), { input, output }, new Promise<void>(() => undefined));
  input.end('attach net_null0\nlist\ndetach net_null0\nbogus\nquit\n');
  await session;
  expect(writes).toEqual([
    PROMPT,
    `attach net_null0\nattached device net_null0\n${PROMPT}`,
    `list\nlist all etherdev\n0\tnet_null0\n${PROMPT}`,
    `detach net_null0\ndetaching...\ndetached device net_null0\n${PROMPT}`,
    `bogus\nBad arguments\n${PROMPT}`,
    'quit\n',
  ]);
});
