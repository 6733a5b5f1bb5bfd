// `eal-bench hotplug`: eal-ts's apps/hotplug-mp against DPDK's own
// examples/multi_process/hotplug_mp, through one harness, in one run. For each
// N, both implementations run a primary and N secondaries at the same time;
// each round types `attach net_null7` into one primary, then the other, then
// `detach net_null7` into each (which goes first alternates), timing each
// from the write to the arrival of the result line. Interleaving puts both
// under the same load and the same bimodal wake-up cost of this VM.
import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, NODE_FLOOR_APP, dpdk, ealTs, type Implementation } from './cluster.js';
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
  /**
   * Whole runs of the measurement, each with fresh processes: this VM's
   * wake-up cost moves from run to run, so a ratio is reported per run and
   * as the median over the runs.
   */
  readonly repeat: number;
  readonly startupRounds: number;
  readonly svgPath: string | null;
  readonly jsonPath: string | null;
  readonly device: string;
  /** Measure eal-ts alone even where DPDK's example could be built. */
  readonly noDpdk: boolean;
  /** Further eal-ts checkouts to run in the same rounds: label → path of their apps/hotplug-mp/bin/hotplug-mp.js. */
  readonly compare: readonly { label: string; app: string }[];
  /**
   * Also run `node floor` (node_floor_app.ts) in the same rounds: Node doing
   * only the hops of an operation (stdin, one datagram round trip to each
   * secondary through @eal-ts/sys, stdout), the part of eal-ts's latency no
   * JavaScript of ours can remove.
   */
  readonly nodeFloor?: boolean;
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
  /**
   * CPU time per attach+detach pair, ms, from the scheduler's per-thread
   * run time (/proc/<pid>/task/<tid>/schedstat, ns): the primary and the
   * mean of the secondaries, all threads and the main thread alone.
   */
  cpuPerPairMs: { primary: number; secondary: number; primaryMain: number; secondaryMain: number };
}
export type HotplugResults = Record<number, Partial<Record<Impl, ImplResult>>>;

/** Time on CPU of one thread, ms (the first field of schedstat is ns). */
async function threadCpuMs(pid: number, tid: string): Promise<number> {
  const text = await readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').catch(() => '0');
  return Number(text.split(' ')[0]) / 1e6;
}

/**
 * Time on CPU of a process, ms: all its threads (those alive when read) and
 * its main thread alone. schedstat counts nanoseconds, where /proc/<pid>/stat
 * counts 10 ms ticks that a 0.3 ms operation mostly falls between.
 */
async function cpuMs(pid: number): Promise<{ all: number; main: number }> {
  const tids = await readdir(`/proc/${pid}/task`);
  const times = await Promise.all(tids.map((tid) => threadCpuMs(pid, tid)));
  return { all: times.reduce((a, b) => a + b, 0), main: await threadCpuMs(pid, String(pid)) };
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
    for (const c of clusters) out[c.impl.name] = { attach: [], detach: [], cpuPerPairMs: { primary: NaN, secondary: NaN, primaryMain: NaN, secondaryMain: NaN } };
    const cpuBefore = await Promise.all(clusters.map((c) => Promise.all(c.pids.map(cpuMs))));
    for (let r = 0; r < o.rounds; r++) {
      const order = r % 2 === 0 ? clusters : [...clusters].reverse();
      for (const op of ['attach', 'detach'] as const) {
        for (const c of order) out[c.impl.name]![op].push(await c.op(op, o.device));
      }
    }
    const cpuAfter = await Promise.all(clusters.map((c) => Promise.all(c.pids.map(cpuMs))));
    clusters.forEach((c, k) => {
      const used = cpuAfter[k]!.map((v, i) => ({ all: (v.all - cpuBefore[k]![i]!.all) / o.rounds, main: (v.main - cpuBefore[k]![i]!.main) / o.rounds }));
      const secondaries = used.slice(1);
      const mean = (values: number[]): number => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN);
      out[c.impl.name]!.cpuPerPairMs = {
        primary: used[0]!.all,
        primaryMain: used[0]!.main,
        secondary: mean(secondaries.map((s) => s.all)),
        secondaryMain: mean(secondaries.map((s) => s.main)),
      };
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
      ...(o.nodeFloor ? [ealTs([], {}, NODE_FLOOR_APP, 'node floor')] : []),
    ];
    const dpdkVersion = setup ? (await run('pkg-config', ['--modversion', 'libdpdk'])).stdout.trim() : null;
    say(`load average before: ${load()}; node ${process.version}${dpdkVersion ? `; DPDK ${dpdkVersion}` : ''}; ${o.rounds} rounds (+${o.warmup} warm-up) per N`);

    const runs: HotplugResults[] = [];
    for (let k = 1; k <= o.repeat; k++) {
      const results: HotplugResults = {};
      for (const n of o.ns) {
        const r = await measureAtN(impls, n, o);
        results[n] = r;
        const which = o.repeat > 1 ? `run ${k}/${o.repeat} ` : '';
        say(`${which}N=${n}: ` + impls.map((i) => `${i.name} attach ${f2(opStats(r[i.name]!.attach).median)} / detach ${f2(opStats(r[i.name]!.detach).median)} ms`).join(', ') + ` (load ${load()})`);
      }
      runs.push(results);
    }
    // One run's samples as they are; several runs' samples pooled (the per-run ratios are printed apart).
    const results = o.repeat === 1 ? runs[0]! : pooled(runs, impls, o.ns);

    const useTime = await hasTime();
    const subjects: Subject[] = [...impls, 'node -e 0'];
    const startup = new Map<Subject, StartupSample[]>(subjects.map((s) => [s, []]));
    for (let r = 0; r < o.startupRounds; r++) {
      const order = r % 2 === 0 ? subjects : [...subjects].reverse();
      for (const s of order) startup.get(s)!.push(await startupSample(s, o.workDir, useTime));
    }

    printTable(impls, results, o.ns, say);
    if (o.repeat > 1) printRunRatios(impls, runs, o.ns, say);
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
      const rounds = o.repeat > 1 ? `${o.repeat} runs of ${o.rounds} rounds pooled` : `${o.rounds} rounds`;
      const subtitle = `${new Date().toISOString().slice(0, 10)}, node ${process.version}${dpdkVersion ? `, DPDK ${dpdkVersion}` : ''}, ${rounds}, load ${load()}`;
      await mkdir(dirname(o.svgPath), { recursive: true });
      await writeFile(o.svgPath, latencyChart('hotplug_mp: attach / detach net_null7 typed into the primary', subtitle, xs, series));
      say(`plot written to ${o.svgPath}`);
    }
    if (o.jsonPath) await writeFile(o.jsonPath, JSON.stringify({ load: loadavg(), results, runs, startup: [...startup].map(([s, v]) => [typeof s === 'string' ? s : s.name, v]) }, null, 1));
  } finally {
    await setup?.undo();
  }
}

/** The samples of several runs together, per N and implementation; CPU per pair is the mean over the runs. */
function pooled(runs: readonly HotplugResults[], impls: readonly Implementation[], ns: readonly number[]): HotplugResults {
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
  const out: HotplugResults = {};
  for (const n of ns) {
    out[n] = {};
    for (const i of impls) {
      const each = runs.map((r) => r[n]![i.name]!);
      out[n][i.name] = {
        attach: each.flatMap((e) => e.attach),
        detach: each.flatMap((e) => e.detach),
        cpuPerPairMs: {
          primary: mean(each.map((e) => e.cpuPerPairMs.primary)),
          secondary: mean(each.map((e) => e.cpuPerPairMs.secondary)),
          primaryMain: mean(each.map((e) => e.cpuPerPairMs.primaryMain)),
          secondaryMain: mean(each.map((e) => e.cpuPerPairMs.secondaryMain)),
        },
      };
    }
  }
  return out;
}

/** Per run, eal-ts / DPDK of the medians; then the median, min and max of those ratios over the runs. */
function printRunRatios(impls: readonly Implementation[], runs: readonly HotplugResults[], ns: readonly number[], say: (l: string) => void): void {
  if (impls[0]!.name !== 'DPDK') return;
  say(`ratio to DPDK of the medians, run by run (${runs.length} runs, fresh processes each); median over the runs (min–max)`);
  for (const op of ['attach', 'detach'] as const) {
    say(`| N | ${impls.slice(1).map((i) => `${i.name} ${op} per run | median (min–max)`).join(' | ')} |`);
    say(`|---|${impls.slice(1).map(() => '---|---|').join('')}`);
    for (const n of ns) {
      const cells = impls.slice(1).flatMap((i) => {
        const ratios = runs.map((r) => opStats(r[n]![i.name]![op]).median / opStats(r[n]!.DPDK![op]).median);
        const st = spread(ratios);
        return [ratios.map((v) => v.toFixed(2)).join(' '), `${st.median.toFixed(2)}× (${st.min.toFixed(2)}–${st.max.toFixed(2)})`];
      });
      say(`| ${n} | ${cells.join(' | ')} |`);
    }
    say('');
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
  say('CPU time per attach+detach pair, ms (scheduler run time from /proc/<pid>/task/*/schedstat over the measured rounds): primary / each secondary (mean), all threads (main thread alone)');
  say(`| N | ${impls.map((i) => i.name).join(' | ')} |`);
  say(`|---|${impls.map(() => '---|').join('')}`);
  for (const n of ns) {
    const cells = impls.map((i) => {
      const c = results[n]![i.name]!.cpuPerPairMs;
      return `${f2(c.primary)} (${f2(c.primaryMain)}) / ${f2(c.secondary)} (${f2(c.secondaryMain)})`;
    });
    say(`| ${n} | ${cells.join(' | ')} |`);
  }
}
