#!/usr/bin/env node
// pnpm chaos [--steps N] [--seed S] [--runs K] … | pnpm chaos --ops N …: see README.md.
import { parseArgs } from 'node:util';
import { stopAll } from './app_process.js';
import { activeClusters } from './cluster.js';
import { DEFAULT_WEIGHTS, runChaos, summaryLine, type ChaosResult, type StepKind } from './chaos.js';
import { runSoak, soakLines } from './soak.js';

const USAGE = `Usage: pnpm chaos [options]            (a seeded chaos schedule over real hotplug-mp processes)
       pnpm chaos --ops N [options]     (soak: N attach/detach pairs, RSS/fds/heap before and after)

  --steps N          chaos steps per run (default 50)
  --seed S           first seed (default 1)
  --runs K           runs with seeds S, S+1, … S+K-1 (default 1)
  --secondaries N    secondaries at start (default 3; 1 with --ops)
  --timeout-ms T     --hotplug-timeout-ms of every process (default 600)
  --devices N        devices net_null0 … net_null<N-1> (default 3)
  --kinds K,…        step kinds to draw from: plain, concurrent, sigstop, sigkill (default all)
  --keep-going       do not stop a run at its first divergence
  --trace            print every step as it happens (a divergence always prints its step's trace)
  --ops N            soak mode: N attach/detach pairs
  --batch N          soak: pairs written at once (default 10)
  --from P           soak: primary (default) or secondary types the commands
  --device D         soak: the device (default net_null3)
  -h, --help         this text`;

function usage(message: string): never {
  process.stderr.write(`chaos: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function count(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min) usage(`--${name} '${text}': expected an integer >= ${min}`);
  return Number(text);
}

const OPTIONS = {
  steps: { type: 'string' },
  seed: { type: 'string' },
  runs: { type: 'string' },
  secondaries: { type: 'string' },
  'timeout-ms': { type: 'string' },
  devices: { type: 'string' },
  kinds: { type: 'string' },
  'keep-going': { type: 'boolean' },
  trace: { type: 'boolean' },
  ops: { type: 'string' },
  batch: { type: 'string' },
  from: { type: 'string' },
  device: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse() {
  try {
    return parseArgs({ options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
}

/** --kinds a,b: the other kinds get weight 0. */
function kinds(text: string | undefined): Partial<Record<StepKind, number>> | undefined {
  if (text === undefined) return undefined;
  const all = Object.keys(DEFAULT_WEIGHTS) as StepKind[];
  const chosen = text.split(',').map((k) => k.trim());
  const unknown = chosen.filter((k) => !(all as string[]).includes(k));
  if (unknown.length > 0 || chosen.length === 0) usage(`--kinds '${text}': unknown kind ${unknown.join(', ')}; expected some of ${all.join(', ')}`);
  return Object.fromEntries(all.map((k) => [k, chosen.includes(k) ? DEFAULT_WEIGHTS[k] : 0]));
}

function report(r: ChaosResult): void {
  for (const d of r.divergences) {
    console.log(`DIVERGED seed ${r.seed} step ${d.step} (${d.kind}):`);
    for (const [label, list] of Object.entries(d.lists)) console.log(`  ${label}: ${JSON.stringify(list)}`);
    console.log('  trace of the step:');
    for (const line of d.trace) console.log(`    ${line}`);
    for (const [label, log] of Object.entries(d.logs)) console.log(`  last log lines of ${label}:\n${log.replace(/^/gm, '    ')}`);
  }
  for (const f of r.failures) console.log(`FAILED seed ${r.seed}: ${f}`);
  console.log(summaryLine(r));
}

async function main(): Promise<number> {
  const v = parse();
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  const timeoutMs = count('timeout-ms', v['timeout-ms'], 600, 1);
  if (v.ops !== undefined) {
    if (v.from !== undefined && v.from !== 'primary' && v.from !== 'secondary') usage(`--from '${v.from}': expected primary or secondary`);
    if (v.device !== undefined && !/^net_null\d+$/.test(v.device)) usage(`--device '${v.device}': expected net_null<N>`);
    const pairs = count('ops', v.ops, 0, 1);
    const r = await runSoak({
      pairs,
      secondaries: count('secondaries', v.secondaries, 1, 0),
      batch: count('batch', v.batch, 10, 1),
      device: v.device,
      from: v.from,
      timeoutMs,
      onProgress: (done) => {
        if (done % 1000 === 0) process.stderr.write(`chaos: ${done} pairs\n`);
      },
    });
    for (const f of r.failures) console.log(`FAILED ${f}`);
    for (const line of soakLines(r)) console.log(line);
    console.log(
      `soak pairs=${r.pairs} attached=${r.attached} detached=${r.detached} agreed=${r.agreed} in ${(r.ms / 1000).toFixed(1)} s`,
    );
    return r.attached === r.pairs && r.detached === r.pairs && r.agreed ? 0 : 1;
  }
  const steps = count('steps', v.steps, 50, 1);
  const seed = count('seed', v.seed, 1, 0);
  const runs = count('runs', v.runs, 1, 1);
  const weights = kinds(v.kinds);
  let bad = 0;
  for (let i = 0; i < runs; i++) {
    const r = await runChaos({
      steps,
      seed: seed + i,
      timeoutMs,
      secondaries: count('secondaries', v.secondaries, 3, 1),
      devices: count('devices', v.devices, 3, 1),
      weights,
      keepGoing: v['keep-going'] === true,
      onTrace: v.trace ? (line) => console.log(line) : undefined,
    });
    report(r);
    if (r.divergences.length > 0 || r.failures.length > 0) bad++;
  }
  if (runs > 1) console.log(`chaos runs=${runs} bad=${bad}`);
  return bad === 0 ? 0 : 1;
}

// Ctrl-C or a kill of the tool: stop the processes it started, by pid, and remove their runtime directories.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.all([...[...activeClusters].map((c) => c.stop()), stopAll()])
      .catch(() => undefined)
      .then(() => process.exit(130));
  });
}

process.exitCode = await main();
