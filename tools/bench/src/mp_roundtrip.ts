import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as MpChannelModule from '@eal-ts/mp-channel';
import { startEcho } from './echo_child.js';
import { timeRound, type RoundSession, type Summary } from './stats.js';

/** The built @eal-ts/mp-channel of another checkout (its root), for --compare. */
export function mpChannelEntry(checkout: string): string {
  return pathToFileURL(join(checkout, 'packages', 'mp-channel', 'dist', 'index.js')).href;
}

/**
 * Round trips of eal-ts's mp request/reply between two processes: this one
 * (a secondary) and a primary child that echoes, each request carrying a
 * full 256-byte param so the datagram is DPDK 22.11's 332 bytes. With
 * `entry`, both sides use that build of @eal-ts/mp-channel (another checkout).
 */
export async function openMpRoundTrip(runtimeDir: string, entry?: string): Promise<RoundSession> {
  await mkdir(runtimeDir, { recursive: true, mode: 0o700 });
  const { MpChannel, UnixTransport } = (entry === undefined ? await import('@eal-ts/mp-channel') : await import(entry)) as typeof MpChannelModule;
  const primary = await startEcho('./echo_primary.js', runtimeDir, ...(entry === undefined ? [] : [entry]));
  let channel: MpChannelModule.MpChannel;
  try {
    channel = await MpChannel.open({ transport: new UnixTransport(), role: 'secondary', runtimeDir });
  } catch (error) {
    primary.kill('SIGKILL');
    throw error;
  }
  const msg = { name: 'bench', param: new Uint8Array(256).fill(0xab), fds: [] };
  return {
    round(warmup: number, iterations: number): Promise<Summary> {
      return timeRound(warmup, iterations, async (i) => {
        const reply = await channel.request(msg, { timeoutMs: 5_000 });
        if (reply.nbReceived !== 1) throw new Error(`round trip ${i} got no reply`);
      });
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
