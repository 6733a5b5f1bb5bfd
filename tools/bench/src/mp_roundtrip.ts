import { mkdir } from 'node:fs/promises';
import { MpChannel, UnixTransport } from '@eal-ts/mp-channel';
import { startEcho } from './echo_child.js';
import { summarize, type RoundSession, type Summary } from './stats.js';

/**
 * Round trips of eal-ts's mp request/reply between two processes: this one
 * (a secondary) and a primary child that echoes, each request carrying a
 * full 256-byte param so the datagram is DPDK 22.11's 332 bytes.
 */
export async function openMpRoundTrip(runtimeDir: string): Promise<RoundSession> {
  await mkdir(runtimeDir, { recursive: true, mode: 0o700 });
  const primary = await startEcho('./echo_primary.js', runtimeDir);
  let channel: MpChannel;
  try {
    channel = await MpChannel.open({ transport: new UnixTransport(), role: 'secondary', runtimeDir });
  } catch (error) {
    primary.kill('SIGKILL');
    throw error;
  }
  const msg = { name: 'bench', param: new Uint8Array(256).fill(0xab), fds: [] };
  return {
    async round(warmup: number, iterations: number): Promise<Summary> {
      const samples: number[] = [];
      for (let i = -warmup; i < iterations; i++) {
        const start = process.hrtime.bigint();
        const reply = await channel.request(msg, { timeoutMs: 5_000 });
        const elapsed = Number(process.hrtime.bigint() - start) / 1e3;
        if (reply.nbReceived !== 1) throw new Error(`round trip ${i} got no reply`);
        if (i >= 0) samples.push(elapsed);
      }
      return summarize(samples);
    },
    async close(): Promise<void> {
      try {
        await channel.close();
      } finally {
        primary.kill('SIGKILL');
      }
    },
  };
}
