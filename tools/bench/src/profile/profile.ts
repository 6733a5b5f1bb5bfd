// `eal-bench profile`: where one hotplug operation of eal-ts goes, on the
// primary and on its secondaries, with the same app and commands as the
// hotplug bench.
//
// 1. Hops: every process runs with hop_counter.js (`node --import`); around
//    each operation the bench asks all of them for their counts (SIGUSR2),
//    so the deltas are one attach or one detach, plus the same count over
//    idle intervals of the same length (what polling costs with no operation).
// 2. CPU: every process runs with `--cpu-prof`; self time is summed over the
//    window of the operations only.
// 3. Start-up: the modules a primary loads before its prompt (NODE_DEBUG=esm)
//    and the import time of each package in a fresh process.
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, ealArgs, ealTs } from '../hotplug/cluster.js';
import { selfTime } from './cpuprofile.js';

const run = promisify(execFile);

export interface ProfileOptions {
  readonly workDir: string;
  readonly secondaries: number;
  readonly ops: number;
  readonly outDir: string | null;
  /** The app to profile: this checkout's apps/hotplug-mp/bin/hotplug-mp.js, or another's. */
  readonly app: string;
}

const DEVICE = 'net_null7';
/** After a result line, time for secondaries to finish what follows their reply before the next snapshot. */
const SETTLE_MS = 25;
const say = (line: string): void => void process.stdout.write(line + '\n');

interface Counts {
  inits: Record<string, number>;
  hops: Record<string, number>;
  sources: Record<string, number>;
  io: Record<string, number>;
  cpuUs: { user: number; system: number };
}

type Phase = 'attach' | 'detach' | 'idle';

function addDelta(into: Record<string, number>, a: Record<string, number>, b: Record<string, number>): void {
  for (const [k, v] of Object.entries(b)) {
    const d = v - (a[k] ?? 0);
    if (d !== 0) into[k] = (into[k] ?? 0) + d;
  }
}

async function snapshot(dir: string, pids: readonly number[], expected: number): Promise<Counts[]> {
  for (const pid of pids) process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const lines = await Promise.all(pids.map((pid) => readFile(join(dir, `${pid}.jsonl`), 'utf8').then((t) => t.split('\n').slice(0, -1), () => [] as string[])));
    if (lines.every((l) => l.length >= expected)) return lines.map((l) => JSON.parse(l[expected - 1]!) as Counts);
    if (Date.now() > deadline) throw new Error(`hop counters did not answer SIGUSR2 #${expected} within 10 s`);
    await sleep(2);
  }
}

async function countHops(o: ProfileOptions): Promise<void> {
  const dir = await mkdtemp(join(o.workDir, 'hops-'));
  const counter = pathToFileURL(fileURLToPath(new URL('./hop_counter.js', import.meta.url))).href;
  const cluster = await Cluster.start(ealTs(['--import', counter], { EAL_BENCH_HOPS_DIR: dir }, o.app), o.secondaries, o.workDir);
  // per role (primary / secondary), per phase: summed deltas
  const sums: Record<'primary' | 'secondary', Record<Phase, Counts & { n: number }>> = {} as never;
  for (const role of ['primary', 'secondary'] as const) {
    sums[role] = {} as never;
    for (const p of ['attach', 'detach', 'idle'] as const) sums[role][p] = { inits: {}, hops: {}, sources: {}, io: {}, cpuUs: { user: 0, system: 0 }, n: 0 };
  }
  try {
    for (let i = 0; i < 5; i++) {
      await cluster.op('attach', DEVICE);
      await cluster.op('detach', DEVICE);
    }
    await sleep(SETTLE_MS);
    let k = 1;
    let prev = await snapshot(dir, cluster.pids, k);
    const phases: Phase[] = [];
    for (let i = 0; i < o.ops; i++) phases.push('attach', 'detach', 'idle');
    for (const phase of phases) {
      if (phase === 'idle') await sleep(SETTLE_MS + 2); // about as long as a settled operation
      else {
        await cluster.op(phase, DEVICE);
        await sleep(SETTLE_MS);
      }
      const next = await snapshot(dir, cluster.pids, ++k);
      next.forEach((c, idx) => {
        const s = sums[idx === 0 ? 'primary' : 'secondary'][phase];
        const a = prev[idx]!;
        addDelta(s.inits, a.inits, c.inits);
        addDelta(s.hops, a.hops, c.hops);
        addDelta(s.sources, a.sources, c.sources);
        addDelta(s.io, a.io, c.io);
        s.cpuUs.user += c.cpuUs.user - a.cpuUs.user;
        s.cpuUs.system += c.cpuUs.system - a.cpuUs.system;
        s.n++;
      });
      prev = next;
    }
  } finally {
    await cluster.stop();
  }
  say(`\n## Event-loop hops and threadpool round trips per operation (eal-ts, N=${o.secondaries}, mean of ${o.ops}; secondaries averaged)`);
  say(`(idle = an interval of ${SETTLE_MS + 2} ms with no operation, as long as an operation plus its settling; the SIGUSR2 snapshot's own signal callback is excluded)`);
  const per = (v: number, n: number): string => (n === 0 ? '—' : (v / n).toFixed(1));
  for (const role of ['primary', 'secondary'] as const) {
    if (role === 'secondary' && o.secondaries === 0) continue;
    say(`\n### ${role}`);
    const keys = (f: 'inits' | 'hops' | 'io'): string[] =>
      [...new Set((['attach', 'detach', 'idle'] as const).flatMap((p) => Object.keys(sums[role][p][f])))].filter((k) => k !== 'SIGNALWRAP').sort();
    say('| counter | attach | detach | idle |');
    say('|---|---|---|---|');
    const row = (name: string, get: (c: Counts) => number): void => {
      say(`| ${name} | ${(['attach', 'detach', 'idle'] as const).map((p) => per(get(sums[role][p]), sums[role][p].n)).join(' | ')} |`);
    };
    row('CPU ms (user+system) ×1000 = µs', (c) => c.cpuUs.user + c.cpuUs.system);
    for (const k of keys('hops')) row(`hops: ${k} callbacks`, (c) => c.hops[k] ?? 0);
    row('hops: total (excl. PROMISE)', (c) => Object.entries(c.hops).filter(([k]) => k !== 'PROMISE' && k !== 'SIGNALWRAP').reduce((a, [, v]) => a + v, 0));
    for (const k of keys('inits')) row(`created: ${k}`, (c) => c.inits[k] ?? 0);
    for (const k of keys('io')) row(`@eal-ts/sys ${k}`, (c) => c.io[k] ?? 0);
    say(`\nsources of non-promise async resources (threadpool work marked *), per attach / detach:`);
    const src = new Map<string, [number, number]>();
    for (const [i, p] of (['attach', 'detach'] as const).entries()) {
      for (const [k, v] of Object.entries(sums[role][p].sources)) {
        if (k.startsWith('SIGNALWRAP')) continue;
        const e = src.get(k) ?? [0, 0];
        e[i] = v / Math.max(1, sums[role][p].n);
        src.set(k, e);
      }
    }
    for (const [k, [a, d]] of [...src].sort((x, y) => y[1][0] + y[1][1] - x[1][0] - x[1][1]).slice(0, 25)) {
      const pool = /^(FSREQ|eal_sys\.(fcntl|flock))/.test(k) ? '*' : ' ';
      say(`  ${pool} ${a.toFixed(1).padStart(5)} / ${d.toFixed(1).padStart(5)}  ${k}`);
    }
  }
}

async function cpuProfile(o: ProfileOptions): Promise<void> {
  const dir = o.outDir ?? (await mkdtemp(join(o.workDir, 'cpuprof-')));
  await mkdir(dir, { recursive: true });
  const cluster = await Cluster.start(ealTs(['--cpu-prof', '--cpu-prof-dir', dir], {}, o.app), o.secondaries, o.workDir);
  let from = 0;
  let to = 0;
  const pids = cluster.pids;
  try {
    for (let i = 0; i < 5; i++) {
      await cluster.op('attach', DEVICE);
      await cluster.op('detach', DEVICE);
    }
    from = Number(process.hrtime.bigint() / 1000n);
    for (let i = 0; i < o.ops; i++) {
      await cluster.op('attach', DEVICE);
      await cluster.op('detach', DEVICE);
    }
    to = Number(process.hrtime.bigint() / 1000n);
  } finally {
    await cluster.stop();
  }
  const files = await readdir(dir);
  say(`\n## CPU profile of ${o.ops} attach+detach pairs (eal-ts, N=${o.secondaries}; window ${((to - from) / 1000).toFixed(0)} ms; self time in the window)`);
  for (const [idx, pid] of pids.entries()) {
    const file = files.find((f) => f.includes(`.${pid}.`));
    if (!file) {
      say(`no profile for pid ${pid}`);
      continue;
    }
    const t = await selfTime(join(dir, file), from, to);
    const pct = (v: number): string => `${((100 * v) / Math.max(1, t.totalUs)).toFixed(1)}%`;
    const perOp = (v: number): string => `${(v / o.ops / 2).toFixed(0)} µs/op`;
    say(`\n### ${idx === 0 ? 'primary' : `secondary ${idx}`} (${file}): sampled ${(t.totalUs / 1000).toFixed(0)} ms`);
    say('by area: ' + t.byArea.slice(0, 10).map(([k, v]) => `${k} ${pct(v)}`).join(', '));
    say('| self time | per op | function |');
    say('|---|---|---|');
    for (const [k, v] of t.byFunction.slice(0, 15)) say(`| ${pct(v)} | ${perOp(v)} | ${k.replace(/\|/g, '\\|')} |`);
    if (idx >= 2) break; // the other secondaries look alike
  }
  if (o.outDir) say(`\nprofiles kept in ${dir} (open in Chrome DevTools' Performance panel)`);
}

async function startup(o: ProfileOptions): Promise<void> {
  const runtimeDir = await mkdtemp(join(o.workDir, 'rt-'));
  // `quit` waits on stdin; NODE_DEBUG=esm names every module as it is translated.
  const stderr = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [o.app, ...ealArgs(ealTs(), 'ealbenchmods', true)], {
      env: { ...process.env, NODE_DEBUG: 'esm', RUNTIME_DIRECTORY: runtimeDir },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.once('error', reject);
    child.once('close', () => {
      clearTimeout(timer);
      resolve(err);
    });
    child.stdin.end('quit\n');
  });
  await rm(runtimeDir, { recursive: true, force: true });
  const files = [...new Set([...stderr.matchAll(/Translating \w+ (file:\/\/\S+)/g)].map((m) => fileURLToPath(m[1]!)))];
  const byPkg = new Map<string, { n: number; bytes: number }>();
  for (const f of files) {
    const key = /\/(packages|apps)\/([^/]+)\//.exec(f)?.[2] ?? f.replace(/^.*node_modules\//, '');
    const e = byPkg.get(key) ?? { n: 0, bytes: 0 };
    e.n++;
    e.bytes += (await stat(f)).size;
    byPkg.set(key, e);
  }
  say(`\n## Start-up of a primary with no secondaries: ${files.length} ESM files loaded before the prompt`);
  say('| package | files | bytes |');
  say('|---|---|---|');
  for (const [k, v] of [...byPkg].sort((a, b) => b[1].bytes - a[1].bytes)) say(`| ${k} | ${v.n} | ${v.bytes} |`);
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  say('\nimport time of each package alone in a fresh process (median of 5, ms; includes its dependencies):');
  const pkgs = (await readdir(join(root, 'packages'))).sort();
  for (const pkg of pkgs) {
    const entry = pathToFileURL(join(root, 'packages', pkg, 'dist', 'index.js')).href;
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `const t=performance.now(); await import(${JSON.stringify(entry)}); console.log(performance.now()-t)`]);
      times.push(Number(stdout));
    }
    times.sort((a, b) => a - b);
    say(`  @eal-ts/${pkg}: ${times[2]!.toFixed(1)}`);
  }
}

export async function runProfile(o: ProfileOptions): Promise<void> {
  say(`# eal-bench profile of ${o.app} (node ${process.version})`);
  await countHops(o);
  await cpuProfile(o);
  await startup(o);
}
