import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { MpChannel, UnixTransport } from '@eal-ts/mp-channel';
import { summarize, type Summary } from './stats.js';

/**
 * Round trips of eal-ts's mp request/reply between two processes: this one
 * (a secondary) and a primary child that echoes, each request carrying a
 * full 256-byte param so the datagram is DPDK 22.11's 332 bytes.
 */
export async function measureMpRoundTrip(runtimeDir: string, warmup: number, iterations: number): Promise<Summary> {
  await mkdir(runtimeDir, { recursive: true, mode: 0o700 });
  const script = fileURLToPath(new URL('./echo_primary.js', import.meta.url));
  const primary = spawn(process.execPath, [script, runtimeDir], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    primary.stdout.setEncoding('utf8');
    const [first] = (await once(primary.stdout, 'data')) as [string];
    if (!first.startsWith('ready')) throw new Error(`echo primary said: ${first}`);
    const channel = await MpChannel.open({ transport: new UnixTransport(), role: 'secondary', runtimeDir });
    try {
      const msg = { name: 'bench', param: new Uint8Array(256).fill(0xab), fds: [] };
      const samples: number[] = [];
      for (let i = -warmup; i < iterations; i++) {
        const start = process.hrtime.bigint();
        const reply = await channel.request(msg, { timeoutMs: 5_000 });
        const elapsed = Number(process.hrtime.bigint() - start) / 1e3;
        if (reply.nbReceived !== 1) throw new Error(`round trip ${i} got no reply`);
        if (i >= 0) samples.push(elapsed);
      }
      return summarize(samples);
    } finally {
      await channel.close();
    }
  } finally {
    primary.kill('SIGKILL');
  }
}
