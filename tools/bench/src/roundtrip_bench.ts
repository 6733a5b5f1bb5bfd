// The mp round-trip bench: eal-ts's mp request/reply against a C ping-pong of
// the same 332-byte datagrams, with the raw-socket Node floor between them.
// The sides stay open and their rounds interleave (the order rotates each
// round), so a slow phase of this VM (its wake-up cost is bimodal) hits all
// of them alike; rounds are short and many, each gives a median per side, and
// the report is the spread of those per-round medians and of the per-round
// ratio eal-ts / C. `--compare LABEL=CHECKOUT` adds another build of the
// channel to the same rounds (before/after under the same load).
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { openCPingPong } from './c_pingpong.js';
import { mpChannelEntry, openMpRoundTrip } from './mp_roundtrip.js';
import { openSysPingPong } from './sys_pingpong.js';
import { spread, type RoundSession, type Spread, type Summary } from './stats.js';

export const TARGET_RATIO = 3;

export interface RoundTripOptions {
  readonly workDir: string;
  readonly rounds: number;
  readonly iterations: number;
  readonly warmup: number;
  /** Other checkouts (their roots) whose mp channel joins the same rounds. */
  readonly compare: readonly { label: string; checkout: string }[];
}

const load = (): string => loadavg().map((v) => v.toFixed(2)).join(' ');
const fmt = (s: Spread, digits = 2): string =>
  [s.min, s.p10, s.median, s.p90, s.max].map((v) => v.toFixed(digits)).join(' / ');

export async function runRoundTripBench(o: RoundTripOptions): Promise<void> {
  const say = (line: string): void => void process.stdout.write(line + '\n');
  say(`load average before: ${load()}; ${o.rounds} interleaved rounds of ${o.iterations} round trips (+${o.warmup} warm-up) per side`);
  const names = ['C ping-pong (332 B, AF_UNIX)', 'Node floor: @eal-ts/sys ping-pong', 'eal-ts mp request/reply', ...o.compare.map((c) => `eal-ts mp request/reply [${c.label}]`)];
  const sessions: RoundSession[] = [];
  try {
    sessions.push(await openCPingPong(o.workDir));
    sessions.push(await openSysPingPong(o.workDir));
    sessions.push(await openMpRoundTrip(join(o.workDir, 'rt')));
    for (const [k, c] of o.compare.entries()) sessions.push(await openMpRoundTrip(join(o.workDir, `rt-compare-${k}`), mpChannelEntry(c.checkout)));
    const n = sessions.length;
    const perRound: Summary[][] = sessions.map(() => []);
    for (let r = 0; r < o.rounds; r++) {
      for (let j = 0; j < n; j++) {
        const k = (j + r) % n;
        perRound[k]!.push(await sessions[k]!.round(o.warmup, o.iterations));
      }
    }
    const medians = perRound.map((rounds) => rounds.map((s) => s.medianUs));
    const table: Record<string, Record<string, string>> = {};
    names.forEach((name, k) => {
      const m = spread(medians[k]!);
      table[name] = {
        'median us: min': m.min.toFixed(1),
        p10: m.p10.toFixed(1),
        median: m.median.toFixed(1),
        p90: m.p90.toFixed(1),
        max: m.max.toFixed(1),
        'p90 us (median of rounds)': spread(perRound[k]!.map((s) => s.p90Us)).median.toFixed(1),
      };
    });
    console.table(table);
    const c = medians[0]!;
    const perRoundRatio = (k: number): number[] => medians[k]!.map((v, r) => v / c[r]!);
    say('per-round ratios (min / p10 / median / p90 / max):');
    say(`  Node and libuv over C: ${fmt(spread(perRoundRatio(1)))}`);
    for (let k = 2; k < n; k++) {
      const ratios = perRoundRatio(k);
      const rs = spread(ratios);
      const above = ratios.filter((x) => x > TARGET_RATIO).length;
      say(`  ${names[k]} / C: ${fmt(rs)}: median round ${rs.median <= TARGET_RATIO ? 'meets' : 'does NOT meet'} the target <= ${TARGET_RATIO}; ${above} of ${ratios.length} rounds above it`);
      say(`    of which the mp channel over raw sockets: ${fmt(spread(medians[k]!.map((v, r) => v / medians[1]![r]!)))}`);
    }
    say(`load average after: ${load()}`);
  } finally {
    for (const s of sessions) await s.close().catch(() => undefined);
  }
}
