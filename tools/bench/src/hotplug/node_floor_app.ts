// The Node floor of the hotplug bench (`eal-bench hotplug --node-floor`):
// what the bench's harness measures when a Node process does nothing but the
// hops of one hotplug operation. The primary reads `attach|detach <name>`
// from its stdin, sends one 332-byte datagram (the size of DPDK 22.11's mp
// message) to every secondary through @eal-ts/sys, waits for each to send it
// back, and writes the result line the harness waits for; a secondary echoes
// every datagram. No EAL, no channel, no hotplug protocol: eal-ts's latency
// minus this one is what eal-ts itself costs; this one against DPDK's is what
// Node and this machine's wake-ups cost before any of it.
//
// It takes the bench's EAL arguments and uses only --file-prefix (which
// group it is in) and RUNTIME_DIRECTORY (where); the first process of a
// group binds the primary's socket, later ones are secondaries.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { SysError, UnixDgramSocket } from '@eal-ts/sys';

const MESSAGE_SIZE = 332;
const HELLO = 1;
const ACK = 2;
const WORK = 3;

function prefixOf(argv: readonly string[]): string {
  for (const arg of argv) if (arg.startsWith('--file-prefix=')) return arg.slice('--file-prefix='.length);
  return 'rte';
}

async function main(): Promise<void> {
  const dir = join(process.env.RUNTIME_DIRECTORY ?? '/tmp', `node-floor-${prefixOf(process.argv.slice(2))}`);
  await mkdir(dir, { recursive: true });
  const primaryPath = join(dir, 'primary');
  let socket: UnixDgramSocket;
  let primary = true;
  try {
    socket = await UnixDgramSocket.bind(primaryPath);
  } catch (error) {
    if (!(error instanceof SysError && error.code === 'EADDRINUSE')) throw error;
    primary = false;
    socket = await UnixDgramSocket.bind(join(dir, `secondary-${process.pid}`));
  }
  const ownPath = socket.path;
  const secondaries: string[] = [];
  let waiting = 0;
  let answered: (() => void) | undefined;
  let joined: (() => void) | undefined;
  socket.on('datagram', (d) => {
    const kind = d.data[0];
    if (primary && kind === HELLO) {
      secondaries.push(d.peer);
      void socket.send(d.peer, Uint8Array.of(ACK));
    } else if (!primary && kind === ACK) joined?.();
    else if (!primary && kind === WORK) void socket.send(d.peer, d.data);
    else if (primary && kind === WORK && --waiting === 0) answered?.();
  });
  if (!primary) {
    const acked = new Promise<void>((resolve) => (joined = resolve));
    await socket.send(primaryPath, Uint8Array.of(HELLO));
    await acked;
  }

  const work = new Uint8Array(MESSAGE_SIZE);
  work[0] = WORK;
  const write = (text: string): void => void process.stdout.write(text);
  write('example> ');
  let pending = '';
  let busy = Promise.resolve();
  const run = async (line: string): Promise<void> => {
    const [command, name] = line.trim().split(/\s+/);
    if (command === 'quit') {
      await socket.close();
      await rm(ownPath, { force: true });
      if (primary) await rm(dir, { recursive: true, force: true });
      process.exit(0);
    }
    if (secondaries.length > 0) {
      const done = new Promise<void>((resolve) => (answered = resolve));
      waiting = secondaries.length;
      for (const peer of secondaries) await socket.send(peer, work);
      await done;
    }
    write(`${command === 'attach' ? 'attached' : 'detached'} device ${name}\nexample> `);
  };
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    pending += chunk;
    let end: number;
    while ((end = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      busy = busy.then(() => run(line));
    }
  });
}

await main();
