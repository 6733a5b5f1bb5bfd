// Issue 11: from a pipe, each command's transcript (the echo, its output and
// the next prompt) leaves in one write, so a script's reader wakes once per
// command. A real EAL (in memory, no runtime directory) behind the real
// cmdline; the output stream records each write() call.
import { PassThrough, Writable } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import type { Eal } from '@eal-ts/eal';
import { interact, PROMPT } from '../src/cmdline.js';
import { appContext, initEal } from '../src/eal_app.js';

let eal: Eal | undefined;
afterEach(async () => {
  await eal?.cleanup();
  eal = undefined;
});

it('a scripted command costs one write: echo, result and prompt together, same bytes as before', async () => {
  eal = await initEal(['-l', '0', '--no-pci', '--in-memory', '--log-level=lib.eal:error']);
  const writes: string[] = [];
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes.push(chunk.toString('utf8'));
      done();
    },
  });
  const input = new PassThrough();
  const session = interact(appContext(eal), { input, output }, new Promise<void>(() => undefined));
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

it('a script whose input fails runs the lines it has, then says why it stopped', async () => {
  eal = await initEal(['-l', '0', '--no-pci', '--in-memory', '--log-level=lib.eal:error']);
  let text = '';
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  const input = new PassThrough();
  const session = interact(appContext(eal), { input, output }, new Promise<void>(() => undefined));
  input.write('list\n');
  input.destroy(new Error('EIO: read failed'));
  await session;
  expect(text).toBe(`${PROMPT}list\nlist all etherdev\n${PROMPT}error reading commands: EIO: read failed\n`);
});
