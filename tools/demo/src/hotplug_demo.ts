// The README's demo: DPDK's hotplug_mp example as three real eal-ts
// processes (a primary and two secondaries, --proc-type=auto), narrated:
// attach from a secondary, detach and attach from the primary, then a
// forced rollback. Every process ends with the same devices.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DemoProcess } from './process.js';

const manifest = createRequire(import.meta.url).resolve('@eal-ts/example-hotplug-mp/package.json');
const APP = join(dirname(manifest), (JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> }).bin['hotplug-mp']!);
const PREFIX = 'demo';
const PROMPT = /example> $/;

function say(text: string): void {
  process.stdout.write(`\n* ${text}\n`);
}

const base = await mkdtemp(join(tmpdir(), 'eal-ts-demo-'));
const env = { ...process.env, RUNTIME_DIRECTORY: base };
const processes: DemoProcess[] = [];

async function start(label: string, ...extra: string[]): Promise<DemoProcess> {
  const args = ['-l', '0', '-m', '128', '--no-pci', '--proc-type=auto', `--file-prefix=${PREFIX}`, '--hotplug-timeout-ms=2000', ...extra];
  const p = DemoProcess.start(label, process.execPath, [APP, ...args], env);
  processes.push(p);
  await p.waitFor(PROMPT);
  return p;
}

/** Types a command into one process and waits for its next prompt. */
async function run(p: DemoProcess, command: string): Promise<void> {
  const mark = p.mark;
  p.send(command);
  await p.waitFor(PROMPT, mark + 1);
}

async function listAll(): Promise<void> {
  for (const p of processes) await run(p, 'list');
}

try {
  say('Start a primary and two secondaries (hotplug-mp --proc-type=auto); secondary-2 blocks net_null3 with -b.');
  const primary = await start('primary');
  const first = await start('secondary-1');
  const second = await start('secondary-2', '-b', 'net_null3');

  // Each step: what it shows, who types what; then every process lists its ports.
  const steps: [string, DemoProcess, string][] = [
    ['Attach net_null0 from secondary-1: it asks the primary, which probes, then has every secondary probe.', first, 'attach net_null0'],
    ['Detach it from the primary: secondaries first, then the primary itself.', primary, 'detach net_null0'],
    ['Attach it again from the primary: port 0 is the lowest free id again, in every process.', primary, 'attach net_null0'],
    ['Forced rollback: secondary-2 refuses net_null3 (it blocks it), so the attach is undone everywhere.', primary, 'attach net_null3'],
  ];
  for (const [text, who, command] of steps) {
    say(text);
    await run(who, command);
    await listAll();
  }

  say('Quit every process; the runtime directory keeps no socket of ours.');
  for (const p of [second, first, primary]) {
    p.send('quit');
    await p.exited;
  }
  const left = (await readdir(join(base, 'dpdk', PREFIX))).filter((name) => name.startsWith('mp_socket'));
  process.stdout.write(`\nsockets left: ${left.length === 0 ? 'none' : left.join(', ')}\n`);
} finally {
  await Promise.all(processes.map((p) => p.stop()));
  await rm(base, { recursive: true, force: true });
}
