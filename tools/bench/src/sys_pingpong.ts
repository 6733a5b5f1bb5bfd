import { join } from 'node:path';
import { UnixDgramSocket } from '@eal-ts/sys';
import { startEcho } from './echo_child.js';
import { timeRound, type RoundSession, type Summary } from './stats.js';

/**
 * The floor under eal-ts's mp round trip: the same 332-byte ping-pong as the
 * C reference, between two Node processes through @eal-ts/sys alone. What
 * the mp channel costs is the distance from here; what Node costs is the
 * distance from here to C.
 */
export async function openSysPingPong(workDir: string): Promise<RoundSession> {
  const serverPath = join(workDir, 'sys_server');
  const echo = await startEcho('./sys_echo.js', serverPath);
  let socket: UnixDgramSocket;
  try {
    socket = await UnixDgramSocket.bind(join(workDir, 'sys_client'));
  } catch (error) {
    echo.kill('SIGKILL');
    throw error;
  }
  let arrived: () => void = () => undefined;
  socket.on('datagram', () => arrived());
  const datagram = new Uint8Array(332).fill(0xab);
  return {
    round(warmup: number, iterations: number): Promise<Summary> {
      return timeRound(warmup, iterations, async () => {
        const reply = new Promise<void>((resolve) => (arrived = resolve));
        await socket.send(serverPath, datagram);
        await reply;
      });
    },
    async close(): Promise<void> {
      try {
        await socket.close();
      } finally {
        echo.kill('SIGKILL');
      }
    },
  };
}
