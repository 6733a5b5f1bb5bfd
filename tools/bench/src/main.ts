#!/usr/bin/env node
// eal-bench: eal-ts's mp request/reply round trip against a C ping-pong of the
// same 332-byte datagrams, both measured in this run on this machine. The
// target is a ratio (eal-ts / C) at or under 3.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureCPingPong } from './c_pingpong.js';
import { measureMpRoundTrip } from './mp_roundtrip.js';
import { measureSysPingPong } from './sys_pingpong.js';

const TARGET_RATIO = 3;

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', short: 'n', default: '20000' },
    warmup: { type: 'string', default: '2000' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write('usage: eal-bench [-n ITERATIONS] [--warmup N]\n');
  process.exit(0);
}
const iterations = Number(values.iterations);
const warmup = Number(values.warmup);
if (!Number.isInteger(iterations) || iterations < 100 || !Number.isInteger(warmup) || warmup < 0) {
  process.stderr.write('eal-bench: --iterations must be an integer >= 100 and --warmup an integer >= 0\n');
  process.exit(2);
}

const workDir = await mkdtemp(join(tmpdir(), 'eal-bench-'));
try {
  const c = await measureCPingPong(workDir, warmup, iterations);
  const floor = await measureSysPingPong(workDir, warmup, iterations);
  const ts = await measureMpRoundTrip(join(workDir, 'rt'), warmup, iterations);
  const ratio = ts.medianUs / c.medianUs;
  console.table({
    'C ping-pong (332 B, AF_UNIX)': c,
    'Node floor: @eal-ts/sys ping-pong': floor,
    'eal-ts mp request/reply': ts,
  });
  process.stdout.write(
    [
      `median round trip: eal-ts ${ts.medianUs.toFixed(1)} us, C ${c.medianUs.toFixed(1)} us, ratio ${ratio.toFixed(2)} (target <= ${TARGET_RATIO}): ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'}`,
      `where it goes: Node and libuv over C ${(floor.medianUs / c.medianUs).toFixed(2)}x, the mp channel over raw sockets ${(ts.medianUs / floor.medianUs).toFixed(2)}x`,
    ].join('\n') + '\n',
  );
} finally {
  await rm(workDir, { recursive: true, force: true });
}
