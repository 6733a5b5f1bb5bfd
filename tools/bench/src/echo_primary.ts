// The far side of the mp round-trip benchmark: a primary that answers every
// `bench` request with a reply carrying the same param, then waits for stdin
// to close. It prints "ready" once its socket is bound.
import { MpChannel, UnixTransport } from '@eal-ts/mp-channel';

const runtimeDir = process.argv[2];
if (!runtimeDir) throw new Error('usage: echo_primary <runtime-dir>');
const channel = await MpChannel.open({ transport: new UnixTransport(), role: 'primary', runtimeDir });
channel.register('bench', async (msg, peer) => {
  await channel.reply(msg, peer);
});
channel.initComplete();
process.stdout.write('ready\n');
process.stdin.resume().on('end', () => void channel.close());
