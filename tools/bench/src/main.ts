#!/usr/bin/env node
// eal-bench: eal-ts against references measured in the same run on this machine.
//   eal-bench [roundtrip]  the mp request/reply round trip against a C ping-pong (target: ratio <= 3)
//   eal-bench hotplug      apps/hotplug-mp against DPDK's own hotplug_mp at N secondaries
//   eal-bench profile      where one hotplug operation of eal-ts goes (CPU profiles, event-loop hops)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EAL_TS_APP } from './hotplug/cluster.js';
import { runHotplugBench } from './hotplug/hotplug_bench.js';
import { runProfile } from './profile/profile.js';
import { runInterruptSteps } from './cleanup.js';
import { runRoundTripBench } from './roundtrip_bench.js';

const USAGE = `usage: eal-bench [roundtrip] [--rounds R] [-n ITERATIONS] [--warmup N] [--compare LABEL=OTHER_CHECKOUT ...]
       eal-bench hotplug [--rounds R] [--warmup N] [--repeat K] [--ns 0,1,2,4,8,16] [--startup-rounds R] [--svg PATH|--no-svg] [--json PATH] [--no-dpdk]
                         [--node-floor] [--compare LABEL=PATH/apps/hotplug-mp/bin/hotplug-mp.js ...]
       eal-bench profile [--n-secondaries N] [--ops K] [--out DIR] [--app PATH/apps/hotplug-mp/bin/hotplug-mp.js]
`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    hotplug: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    iterations: { type: 'string', short: 'n' },
    warmup: { type: 'string' },
    repeat: { type: 'string' },
    ns: { type: 'string', default: '0,1,2,4,8,16' },
    'startup-rounds': { type: 'string', default: '10' },
    svg: { type: 'string' },
    'no-svg': { type: 'boolean', default: false },
    'no-dpdk': { type: 'boolean', default: false },
    'node-floor': { type: 'boolean', default: false },
    json: { type: 'string' },
    compare: { type: 'string', multiple: true, default: [] },
    'n-secondaries': { type: 'string', default: '1' },
    ops: { type: 'string', default: '100' },
    out: { type: 'string' },
    app: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const mode = values.hotplug ? 'hotplug' : (positionals[0] ?? 'roundtrip');
function int(name: string, text: string | undefined, fallback: number, min: number): number {
  const v = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(v) || v < min) {
    process.stderr.write(`eal-bench: --${name} must be an integer >= ${min} (got ${text})\n${USAGE}`);
    process.exit(2);
  }
  return v;
}
if (!['roundtrip', 'hotplug', 'profile'].includes(mode) || positionals.length > 1) {
  process.stderr.write(`eal-bench: unknown mode ${positionals.join(' ')}; modes: roundtrip (default), hotplug, profile\n${USAGE}`);
  process.exit(2);
}

function compares(what: string): { label: string; path: string }[] {
  return values.compare.map((c) => {
    const eq = c.indexOf('=');
    if (eq <= 0 || eq === c.length - 1) {
      process.stderr.write(`eal-bench: --compare takes LABEL=PATH (${what}), got ${c}\n`);
      process.exit(2);
    }
    return { label: c.slice(0, eq), path: c.slice(eq + 1) };
  });
}

const workDir = await mkdtemp(join(tmpdir(), 'eal-bench-'));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const state: { interrupted: Promise<void> | null } = { interrupted: null };
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`eal-bench: ${signal}: stopping what it started\n`);
    state.interrupted = runInterruptSteps()
      .then(() => rm(workDir, { recursive: true, force: true }))
      .finally(() => process.exit(130));
  });
}
try {
  if (mode === 'roundtrip') {
    await runRoundTripBench({
      workDir,
      rounds: int('rounds', values.rounds, 60, 1),
      iterations: int('iterations', values.iterations, 500, 100),
      warmup: int('warmup', values.warmup, 50, 0),
      compare: compares('the other checkout\'s root').map(({ label, path }) => ({ label, checkout: path })),
    });
  } else if (mode === 'hotplug') {
    const ns = values.ns.split(',').map((t) => int('ns', t, 0, 0));
    await runHotplugBench({
      workDir,
      ns,
      rounds: int('rounds', values.rounds, 40, 1),
      warmup: int('warmup', values.warmup, 5, 0),
      repeat: int('repeat', values.repeat, 1, 1),
      startupRounds: int('startup-rounds', values['startup-rounds'], 10, 1),
      svgPath: values['no-svg'] ? null : (values.svg ?? join(repoRoot, 'docs', 'bench-hotplug.svg')),
      jsonPath: values.json ?? null,
      device: 'net_null7',
      noDpdk: values['no-dpdk'],
      nodeFloor: values['node-floor'],
      compare: compares('the other checkout\'s apps/hotplug-mp/bin/hotplug-mp.js').map(({ label, path }) => ({ label, app: path })),
    });
  } else {
    await runProfile({
      workDir,
      secondaries: int('n-secondaries', values['n-secondaries'], 1, 0),
      ops: int('ops', values.ops, 100, 1),
      outDir: values.out ?? null,
      app: values.app ?? EAL_TS_APP,
    });
  }
} catch (error) {
  // An interrupt makes the operation in flight fail (its process was killed): let the undo finish and exit.
  if (state.interrupted) await state.interrupted;
  throw error;
} finally {
  await rm(workDir, { recursive: true, force: true });
}
