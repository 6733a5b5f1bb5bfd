// The mp round-trip bench: eal-ts's mp request/reply against a C ping-pong of
// the same 332-byte datagrams, with the raw-socket Node floor between them.
// The three sides stay open and their rounds interleave (the order rotates
// each round), so a slow phase of this VM (its wake-up cost is bimodal) hits
// all three alike; each round gives a median per side, and the report is the
// spread of those per-round medians and of the per-round ratio eal-ts / C.
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { openCPingPong } from './c_pingpong.js';
import { openMpRoundTrip } from './mp_roundtrip.js';
import { openSysPingPong } from './sys_pingpong.js';
import { spread, type RoundSession, type Summary } from './stats.js';

export const TARGET_RATIO = 3;

export interface RoundTripOptions {
  readonly workDir: string;
  readonly rounds: number;
  readonly iterations: number;
  readonly warmup: number;
}

const SIDES = ['C ping-pong (332 B, AF_UNIX)', 'Node floor: @eal-ts/sys ping-pong', 'eal-ts mp request/reply'] as const;

export async function runRoundTripBench(o: RoundTripOptions): Promise<void> {
  const say = (line: string): void => void process.stdout.write(line + '\n');
  say(`load average before: ${loadavg().map((v) => v.toFixed(2)).join(' ')}; ${o.rounds} interleaved rounds of ${o.iterations} round trips (+${o.warmup} warm-up) per side`);
  const sessions: RoundSession[] = [];
  try {
    sessions.push(await openCPingPong(o.workDir));
    sessions.push(await openSysPingPong(o.workDir));
    sessions.push(await openMpRoundTrip(join(o.workDir, 'rt')));
    const perRound: Summary[][] = [[], [], []];
    for (let r = 0; r < o.rounds; r++) {
      const order = [0, 1, 2].map((k) => (k + r) % 3);
      for (const k of order) perRound[k]!.push(await sessions[k]!.round(o.warmup, o.iterations));
    }
    const medians = perRound.map((rounds) => rounds.map((s) => s.medianUs));
    const table: Record<string, Record<string, string>> = {};
    SIDES.forEach((name, k) => {
      const m = spread(medians[k]!);
      const p90 = spread(perRound[k]!.map((s) => s.p90Us));
      table[name] = {
        'median us: min': m.min.toFixed(1),
        median: m.median.toFixed(1),
        max: m.max.toFixed(1),
        'p90 us (median of rounds)': p90.median.toFixed(1),
      };
    });
    console.table(table);
    const ratios = medians[2]!.map((ts, r) => ts / medians[0]![r]!);
    const floorRatios = medians[1]!.map((f, r) => f / medians[0]![r]!);
    const channelRatios = medians[2]!.map((ts, r) => ts / medians[1]![r]!);
    const rs = spread(ratios);
    const fmt = (s: { min: number; median: number; max: number }): string => `${s.min.toFixed(2)} / ${s.median.toFixed(2)} / ${s.max.toFixed(2)}`;
    say(
      [
        `ratio eal-ts / C per round (min / median / max): ${fmt(rs)} (target <= ${TARGET_RATIO} in every round): ${rs.max <= TARGET_RATIO ? 'met' : `NOT met in ${ratios.filter((x) => x > TARGET_RATIO).length} of ${ratios.length} rounds`}`,
        `where it goes, per round (min / median / max): Node and libuv over C ${fmt(spread(floorRatios))}; the mp channel over raw sockets ${fmt(spread(channelRatios))}`,
        `load average after: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`,
      ].join('\n'),
    );
  } finally {
    for (const s of sessions) await s.close().catch(() => undefined);
  }
}
