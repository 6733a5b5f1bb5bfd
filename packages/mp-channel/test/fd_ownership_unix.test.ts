// Issue 8, point 6 over real sockets in one process: fds cut by MSG_CTRUNC
// and fds of messages nobody takes are closed; fds an action takes stay
// open; fds a sender passes stay the sender's even when the send fails.
import { UnixDgramSocket } from '@eal-ts/sys';
import { closeSync, fstatSync, openSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually } from '@eal-ts/test-kit';
import { expect, it } from 'vitest';
import { MpChannel } from '../src/eal_common_proc.js';
import type { MpReceivedMessage } from '../src/mp_types.js';
import { encodeMpMsg } from '../src/rte_mp_msg.js';
import { UnixTransport } from '../src/transport_unix.js';
import { tempRuntimeDirs } from './runtime_dir.js';

const opened: { close(): Promise<void> }[] = [];
const fds: number[] = [];
const rt = tempRuntimeDirs('mpfd-', async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
  for (const fd of fds.splice(0)) closeSync(fd);
});

const openFds = async (): Promise<number> => (await readdir('/proc/self/fd')).length;

it('closes fds cut by MSG_CTRUNC and those of untaken messages, keeps taken ones, and never closes a sender\'s', async () => {
  // Room for 2 fds per datagram: a datagram with 5 arrives control-truncated.
  const primary = await MpChannel.open({ transport: new UnixTransport({ maxReceiveFds: 2 }), role: 'primary', runtimeDir: rt.dir });
  opened.push(primary);
  const taken: number[] = [];
  let handled = 0;
  primary.register('keep', (m: MpReceivedMessage) => void taken.push(...m.takeFds()));
  primary.register('look', () => void handled++);
  const sender = await UnixDgramSocket.bind(join(rt.base, 'sender.sock'));
  opened.push(sender);
  const devNull = openSync('/dev/null', 'r');
  fds.push(devNull);
  const baseline = await openFds();

  await sender.send(primary.path, encodeMpMsg({ type: 0, name: 'look', param: new Uint8Array(), numFds: 5 }), Array(5).fill(devNull));
  await sender.send(primary.path, encodeMpMsg({ type: 0, name: 'look', param: new Uint8Array(), numFds: 2 }), [devNull, devNull]);
  await eventually(() => handled === 1, { what: 'the untaken message to be handled' });
  await eventually(async () => (await openFds()) === baseline, { what: 'every received fd to be closed' });

  await sender.send(primary.path, encodeMpMsg({ type: 0, name: 'keep', param: new Uint8Array(), numFds: 2 }), [devNull, devNull]);
  await eventually(() => taken.length === 2, { what: 'the taken fds' });
  expect(await openFds()).toBe(baseline + 2);
  for (const fd of taken) expect(fstatSync(fd).isCharacterDevice()).toBe(true); // still open: /dev/null
  for (const fd of taken.splice(0)) closeSync(fd);

  // A failed send (nobody bound there) leaves the caller's fd open.
  const error = await primary.sendTo(join(rt.dir, 'mp_socket_1_gone'), { name: 'x', param: new Uint8Array(), fds: [devNull] }).catch((e: unknown) => e);
  expect(error).toMatchObject({ code: 'ENOENT' });
  expect(fstatSync(devNull).isCharacterDevice()).toBe(true);
  expect(await openFds()).toBe(baseline);
});
