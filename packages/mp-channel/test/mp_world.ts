// The in-memory world of the eal_common_proc suites: one runtime directory
// on virtual time with every log line kept. `w` is the current test's world
// (a live binding: newWorld() replaces it); it is closed after each test of
// the file that imports this.
import { quietLogger, VirtualWorld } from '@eal-ts/test-kit';
import { afterEach } from 'vitest';
import { VirtualClock } from '../src/clock.js';
import { MpChannel } from '../src/eal_common_proc.js';
import type { MpChannelOptions, MpMessage } from '../src/mp_types.js';
import { MemoryNetwork } from '../src/transport_memory.js';

export const DIR = '/run/test/dpdk/rte';
export const PRIMARY = `${DIR}/mp_socket`;

export const msg = (name: string, param: number[] = [], fds: number[] = []): MpMessage => ({
  name,
  param: Uint8Array.from(param),
  fds,
});

function world() {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock });
  const { logger, lines } = quietLogger('lib.eal', { prefix: 'EAL' });
  const base = new VirtualWorld<VirtualClock, MpChannel>(clock, DIR);
  const open = (
    role: 'primary' | 'secondary',
    extra: Partial<MpChannelOptions> & { credentials?: { pid: number; uid: number; gid: number } | null } = {},
  ) => {
    const { credentials, ...rest } = extra;
    const transport = network.transport(credentials === undefined ? {} : { credentials });
    return base.track(MpChannel.open({ ...base.channelOptions(role), transport, logger, ...rest }));
  };
  return { clock, network, lines, logger, open, run: base.run, closeAll: base.closeAll };
}

export type World = ReturnType<typeof world>;
export let w: World;

/** A new world for this test (`w`). */
export function newWorld(): World {
  w = world();
  return w;
}

/** A new world with a primary and one secondary in it. */
export async function pair(): Promise<{ primary: MpChannel; s: MpChannel }> {
  newWorld();
  return { primary: await w.open('primary'), s: await w.open('secondary') };
}

afterEach(async () => {
  await w?.closeAll();
});
