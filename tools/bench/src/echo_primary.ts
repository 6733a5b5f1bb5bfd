// The far side of the mp round-trip benchmark: a primary that answers every
// `bench` request with a reply carrying the same param, then waits for stdin
// to close. It prints "ready" once its socket is bound. An optional second
// argument is the URL of another build of @eal-ts/mp-channel (--compare).
import type * as MpChannelModule from '@eal-ts/mp-channel';

const [runtimeDir, entry] = process.argv.slice(2);
if (!runtimeDir) throw new Error('usage: echo_primary <runtime-dir> [mp-channel entry URL]');
const { MpChannel, UnixTransport } = (entry === undefined ? await import('@eal-ts/mp-channel') : await import(entry)) as typeof MpChannelModule;
const channel = await MpChannel.open({ transport: new UnixTransport(), role: 'primary', runtimeDir });
channel.register('bench', async (msg, peer) => {
  await channel.reply(msg, peer);
});
channel.initComplete();
process.stdout.write('ready\n');
process.stdin.resume().on('end', () => void channel.close());
