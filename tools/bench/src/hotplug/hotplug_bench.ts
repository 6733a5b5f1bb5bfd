// `eal-bench hotplug`: eal-ts's apps/hotplug-mp against DPDK's own
// examples/multi_process/hotplug_mp, through one harness, in one run. For each
// N, both implementations run a primary and N secondaries at the same time;
// each round types `attach net_null7` into one primary, then the other, then
// `detach net_null7` into each (which goes first alternates), timing each
// from the write to the arrival of the result line. Interleaving puts both
// under the same load and the same bimodal wake-up cost of this VM.
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, dpdk, ealTs, type Implementation } from './cluster.js';
import { dpdkUnavailable, setUpDpdk, type DpdkSetup } from './dpdk_setup.js';
import { hasTime, startupSample, type StartupSample, type Subject } from './startup.js';
import { latencyChart } from './svg.js';
import { spread } from '../stats.js';

const run = promisify(execFile);

export interface HotplugOptions {
  readonly workDir: string;
  readonly ns: readonly number[];
  readonly rounds: number;
  readonly warmup: number;
  readonly startupRounds: number;
  readonly svgPath: string | null;
  readonly jsonPath: string | null;
  readonly device: string;
  /** Measure eal-ts alone even where DPDK's example could be built. */
  readonly noDpdk: boolean;
  /** Further eal-ts checkouts to run in the same rounds: label → path of their apps/hotplug-mp/bin/hotplug-mp.js. */
  readonly compare: readonly { label: string; app: string }[];
}

export interface OpStats {
  readonly median: number;
  readonly p90: number;
  readonly min: number;
  readonly max: number;
}

export function opStats(samples: readonly number[]): OpStats {
  const { median, p90, min, max } = spread(samples);
  return { median, p90, min, max };
}

type Impl = string;
interface ImplResult {
  attach: number[];
  detach: number[];
  /** CPU time (user + system, all threads, from /proc/<pid>/stat) per attach+detach pair, ms: primary, and the mean of the secondaries. */
  cpuPerPairMs: { primary: number; secondary: number };
}
export type HotplugResults = Record<number, Partial<Record<Impl, ImplResult>>>;

let clockTicks = 100;
/** utime + stime of a process (all its threads), in ms. */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
}

const f2 = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '—');
const load = (): string => loadavg().map((v) => v.toFixed(2)).join(' ');

async function measureAtN(impls: readonly Implementation[], n: number, o: HotplugOptions): Promise<Partial<Record<Impl, ImplResult>>> {
  const clusters: Cluster[] = [];
  try {
    for (const impl of impls) clusters.push(await Cluster.start(impl, n, o.workDir));
    for (let i = 0; i < o.warmup; i++) {
      for (const c of clusters) {
        await c.op('attach', o.device);
        await c.op('detach', o.device);
      }
    }
    const out: Partial<Record<Impl, ImplResult>> = {};
    for (const c of clusters) out[c.impl.name] = { attach: [], detach: [], cpuPerPairMs: { primary: NaN, secondary: NaN } };
    const cpuBefore = await Promise.all(clusters.map((c) => Promise.all(c.pids.map(cpuMs))));
    for (let r = 0; r < o.rounds; r++) {
      const order = r % 2 === 0 ? clusters : [...clusters].reverse();
      for (const op of ['attach', 'detach'] as const) {
        for (const c of order) out[c.impl.name]![op].push(await c.op(op, o.device));
      }
    }
    const cpuAfter = await Promise.all(clusters.map((c) => Promise.all(c.pids.map(cpuMs))));
    clusters.forEach((c, k) => {
      const used = cpuAfter[k]!.map((v, i) => (v - cpuBefore[k]![i]!) / o.rounds);
      const secondaries = used.slice(1);
      out[c.impl.name]!.cpuPerPairMs = { primary: used[0]!, secondary: secondaries.length ? secondaries.reduce((a, b) => a + b, 0) / secondaries.length : NaN };
    });
    return out;
  } finally {
    await Promise.all(clusters.map((c) => c.stop().catch(() => c.kill())));
  }
}

export async function runHotplugBench(o: HotplugOptions): Promise<void> {
  const unavailable = o.noDpdk ? 'asked not to, with --no-dpdk' : await dpdkUnavailable();
  let setup: DpdkSetup | null = null;
  const say = (line: string): void => void process.stdout.write(line + '\n');
  if (unavailable) say(`DPDK's hotplug_mp is not measured (${unavailable}): eal-ts alone.`);
  try {
    if (!unavailable) {
      setup = await setUpDpdk(o.workDir);
      for (const note of setup.notes) say(note);
    }
    const impls: Implementation[] = [
      ...(setup ? [dpdk(setup.binary, setup.hugeDir)] : []),
      ealTs(),
      ...o.compare.map((c) => ealTs([], {}, c.app, c.label)),
    ];
    clockTicks = Number((await run('getconf', ['CLK_TCK'])).stdout.trim()) || 100;
    const dpdkVersion = setup ? (await run('pkg-config', ['--modversion', 'libdpdk'])).stdout.trim() : null;
    say(`load average before: ${load()}; node ${process.version}${dpdkVersion ? `; DPDK ${dpdkVersion}` : ''}; ${o.rounds} rounds (+${o.warmup} warm-up) per N`);

    const results: HotplugResults = {};
    for (const n of o.ns) {
      const r = await measureAtN(impls, n, o);
      results[n] = r;
      say(`N=${n}: ` + impls.map((i) => `${i.name} attach ${f2(opStats(r[i.name]!.attach).median)} / detach ${f2(opStats(r[i.name]!.detach).median)} ms`).join(', ') + ` (load ${load()})`);
    }

    const useTime = await hasTime();
    const subjects: Subject[] = [...impls, 'node -e 0'];
    const startup = new Map<Subject, StartupSample[]>(subjects.map((s) => [s, []]));
    for (let r = 0; r < o.startupRounds; r++) {
      const order = r % 2 === 0 ? subjects : [...subjects].reverse();
      for (const s of order) startup.get(s)!.push(await startupSample(s, o.workDir, useTime));
    }

    printTable(impls, results, o.ns, say);
    say('');
    say(`start-up of a primary to \`quit\` (median of ${o.startupRounds}, interleaved): wall = spawn to exit with \`quit\` already on stdin; peak RSS = ${useTime ? 'ru_maxrss of the whole run (/usr/bin/time -f %M)' : 'VmHWM at the ready prompt (/proc/<pid>/status)'}`);
    say('| process | wall ms (median) | wall ms (min–max) | peak RSS MiB (median) |');
    say('|---|---|---|---|');
    for (const s of subjects) {
      const samples = startup.get(s)!;
      const w = opStats(samples.map((x) => x.wallMs));
      const m = opStats(samples.map((x) => x.peakRssMiB));
      say(`| ${typeof s === 'string' ? s : `${s.name} primary`} | ${w.median.toFixed(0)} | ${w.min.toFixed(0)}–${w.max.toFixed(0)} | ${m.median.toFixed(1)} |`);
    }
    if (setup) {
      const d = opStats(startup.get(impls[0]!)!.map((x) => x.wallMs)).median;
      for (const i of impls.slice(1)) {
        const e = opStats(startup.get(i)!.map((x) => x.wallMs)).median;
        say(`start-up ratio ${i.name} / DPDK: ${(e / d).toFixed(2)} (target <= 1.0)`);
      }
    }
    say(`load average after: ${load()}`);

    if (o.svgPath) {
      const xs = o.ns;
      const palette = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
      const series = impls.flatMap((i) =>
        (['attach', 'detach'] as const).map((op) => ({
          label: `${i.name} ${op}`,
          color: palette[(impls.indexOf(i) + (setup ? 0 : 1)) % palette.length]!,
          dashed: op === 'detach',
          median: xs.map((n) => opStats(results[n]![i.name]![op]).median),
          p90: xs.map((n) => opStats(results[n]![i.name]![op]).p90),
        })),
      );
      const subtitle = `${new Date().toISOString().slice(0, 10)}, node ${process.version}${dpdkVersion ? `, DPDK ${dpdkVersion}` : ''}, ${o.rounds} rounds, load ${load()}`;
      await mkdir(dirname(o.svgPath), { recursive: true });
      await writeFile(o.svgPath, latencyChart('hotplug_mp: attach / detach net_null7 typed into the primary', subtitle, xs, series));
      say(`plot written to ${o.svgPath}`);
    }
    if (o.jsonPath) await writeFile(o.jsonPath, JSON.stringify({ load: loadavg(), results, startup: [...startup].map(([s, v]) => [typeof s === 'string' ? s : s.name, v]) }, null, 1));
  } finally {
    await setup?.undo();
  }
}

function printTable(impls: readonly Implementation[], results: HotplugResults, ns: readonly number[], say: (l: string) => void): void {
  const base = impls[0]!.name === 'DPDK' ? impls[0]! : null;
  const others = base ? impls.slice(1) : impls;
  say('');
  say(`hotplug latency, ms from typing the command to the result line (median / p90)${base ? '; ratio = eal-ts / DPDK of the medians' : ''}`);
  for (const op of ['attach', 'detach'] as const) {
    const cols = [...(base ? [`DPDK ${op}`] : []), ...others.flatMap((i) => [`${i.name} ${op}`, ...(base ? ['ratio'] : [])])];
    say(`| N | ${cols.join(' | ')} |`);
    say(`|---|${cols.map(() => '---|').join('')}`);
    for (const n of ns) {
      const r = results[n]!;
      const cell = (i: Impl): string => {
        const st = opStats(r[i]![op]);
        return `${f2(st.median)} / ${f2(st.p90)}`;
      };
      const ratio = (i: Impl): string => (opStats(r[i]![op]).median / opStats(r.DPDK![op]).median).toFixed(2) + '×';
      const cells = [...(base ? [cell('DPDK')] : []), ...others.flatMap((i) => [cell(i.name), ...(base ? [ratio(i.name)] : [])])];
      say(`| ${n} | ${cells.join(' | ')} |`);
    }
    say('');
  }
  say(`CPU time per attach+detach pair, ms (user+system of all threads, /proc/<pid>/stat over the measured rounds; ${clockTicks} Hz ticks, so read small values as rough): primary / each secondary (mean)`);
  say(`| N | ${impls.map((i) => i.name).join(' | ')} |`);
  say(`|---|${impls.map(() => '---|').join('')}`);
  for (const n of ns) {
    const cells = impls.map((i) => {
      const c = results[n]![i.name]!.cpuPerPairMs;
      return `${f2(c.primary)} / ${f2(c.secondary)}`;
    });
    say(`| ${n} | ${cells.join(' | ')} |`);
  }
}
