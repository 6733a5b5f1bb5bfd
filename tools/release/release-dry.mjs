#!/usr/bin/env node
// pnpm release:dry — what a user gets, checked before anything is published:
//   1. prebuilt binaries of @eal-ts/sys from this checkout (every target whose
//      compiler is installed), smoke-tested;
//   2. `pnpm pack` of every public package into a temporary directory, each
//      tarball checked: LICENSE and README, no workspace: ranges, no scripts
//      but install, every source map's sources shipped;
//   3. three fresh projects: `npm install <tarballs>`, `npm install
//      --ignore-scripts <tarballs>` and `pnpm add <tarballs>` (no approved
//      builds); in each, every library imports, the mp-channel README example
//      runs verbatim (primary and secondary, two processes), and `npx eal-mp
//      --help`, `npx eal-devbind --status --json` (on a fake sysfs tree),
//      `npx eal-telemetry --help` and `npx hotplug-mp --help` run.
// Third-party dependencies come from the npm registry. Keeps the temporary
// directory with KEEP=1.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'eal-ts-release-dry-'));
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const log = (text) => console.log(`release:dry [${elapsed()}] ${text}`);

// pnpm passes its own settings to the scripts it runs as npm_config_* variables; npm does not know
// these and warns about each. A user's shell has none of them: the consumer installs drop them.
const PNPM_ONLY_CONFIG = /^npm_config_(verify_deps_before_run|npm_globalconfig|_jsr_registry)$/i;

function run(cmd, args, options = {}) {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !(options.asUser && PNPM_ONLY_CONFIG.test(key))));
  const result = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000, ...options, env: { ...inherited, ...options.env } });
  if (result.status !== 0 && !options.allowFailure) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${options.cwd ?? root}) failed with ${result.error?.message ?? `exit status ${result.status}`}\n${result.stdout}${result.stderr}`);
  }
  return result;
}

/** Public workspace packages: name and directory. */
function publicPackages() {
  const found = [];
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, group))) {
      const manifest = join(root, group, name, 'package.json');
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
      if (!pkg.private) found.push({ name: pkg.name, dir: join(root, group, name), pkg });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

function checkTarball(file, expected) {
  const list = run('tar', ['tzf', file]).stdout.split('\n').filter(Boolean);
  const entries = new Set(list);
  const problems = [];
  for (const required of ['package/LICENSE', 'package/README.md', 'package/package.json']) {
    if (!entries.has(required)) problems.push(`no ${required.slice(8)}`);
  }
  const pkg = JSON.parse(run('tar', ['xzf', file, '-O', 'package/package.json']).stdout);
  const text = JSON.stringify(pkg);
  if (text.includes('workspace:')) problems.push('a workspace: range is left');
  for (const script of Object.keys(pkg.scripts ?? {})) if (script !== 'install') problems.push(`script "${script}" is published`);
  if (pkg.devDependencies) problems.push('devDependencies are published');
  for (const field of ['license', 'repository', 'homepage', 'bugs', 'keywords', 'engines']) if (!pkg[field]) problems.push(`no "${field}"`);
  if (pkg.repository && !pkg.repository.directory) problems.push('repository has no directory');
  for (const map of list.filter((f) => f.endsWith('.map'))) {
    const { sources } = JSON.parse(run('tar', ['xzf', file, '-O', map]).stdout);
    for (const source of sources) {
      const target = join(dirname(map), source);
      if (!entries.has(target)) problems.push(`${map.slice(8)} points at ${source}, which is not shipped`);
    }
  }
  if (expected === '@eal-ts/sys' && !list.some((f) => f.startsWith('package/prebuilds/linux-x64/'))) problems.push('no linux-x64 prebuilt binary');
  if (problems.length > 0) throw new Error(`${relative(root, file)}: ${problems.join('; ')}`);
  return list.length;
}

/** A sysfs tree with one virtio NIC and one device on vfio-pci, for eal-devbind. */
function fakeSysfs(base) {
  const devices = join(base, 'sys/bus/pci/devices');
  const drivers = join(base, 'sys/bus/pci/drivers');
  for (const [addr, driver] of [['0000:00:03.0', 'virtio-pci'], ['0000:00:04.0', 'vfio-pci']]) {
    const dir = join(devices, addr);
    mkdirSync(dir, { recursive: true });
    for (const [file, value] of [['vendor', '0x1af4'], ['device', '0x1041'], ['subsystem_vendor', '0x1af4'], ['subsystem_device', '0x1100'], ['class', '0x020000'], ['numa_node', '0']]) {
      writeFileSync(join(dir, file), `${value}\n`);
    }
    mkdirSync(join(drivers, driver), { recursive: true });
    symlinkSync(`../../drivers/${driver}`, join(dir, 'driver'));
  }
  return devices;
}

async function readmeExample(project, runtimeDirectory) {
  const readme = readFileSync(join(project, 'node_modules/@eal-ts/mp-channel/README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```js\n(\/\/ (\w+\.mjs)\n[\s\S]*?)```/g)].map((m) => ({ file: m[2], code: m[1] }));
  const primary = blocks.find((b) => b.file === 'primary.mjs');
  const secondary = blocks.find((b) => b.file === 'secondary.mjs');
  if (!primary || !secondary) throw new Error('the mp-channel README has no primary.mjs / secondary.mjs example any more');
  for (const block of [primary, secondary]) writeFileSync(join(project, block.file), block.code);
  const env = { ...process.env, RUNTIME_DIRECTORY: runtimeDirectory };
  const child = spawn(process.execPath, ['primary.mjs'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let primaryOutput = '';
  child.stdout.on('data', (d) => (primaryOutput += d));
  child.stderr.on('data', (d) => (primaryOutput += d));
  try {
    const socket = join(runtimeDirectory, 'dpdk/demo/mp_socket');
    const deadline = Date.now() + 20_000;
    while (!existsSync(socket)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`primary.mjs did not bind ${socket}: ${primaryOutput}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const out = run(process.execPath, ['secondary.mjs'], { cwd: project, env: { RUNTIME_DIRECTORY: runtimeDirectory } }).stdout;
    if (!out.includes('1 1 pong hello')) throw new Error(`secondary.mjs printed ${JSON.stringify(out)}, not "1 1 pong hello"`);
  } finally {
    if (child.exitCode === null) {
      const exited = once(child, 'exit');
      process.kill(child.pid, 'SIGINT');
      await exited;
    }
  }
}

async function consumer(flavour, tarballs, packages, sysfsDevices) {
  const project = join(work, flavour.replace(/\W+/g, '-'));
  mkdirSync(project);
  // Dependencies between our packages resolve to the tarballs, not to the registry: npm
  // takes the top-level tarballs for them by itself; pnpm is told so.
  const overrides = Object.fromEntries(packages.map((p) => [p.name, `file:${tarballs.get(p.name)}`]));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', pnpm: { overrides } }, null, 2));
  const files = [...tarballs.values()];
  const [cmd, ...args] = {
    'npm install': ['npm', 'install', '--no-audit', '--no-fund', ...files],
    'npm install --ignore-scripts': ['npm', 'install', '--ignore-scripts', '--no-audit', '--no-fund', ...files],
    'pnpm add': ['pnpm', 'add', ...files],
  }[flavour];
  const install = run(cmd, args, { cwd: project, asUser: true, env: { npm_config_loglevel: 'warn' } });
  // Expected, and harmless with a prebuilt binary: npm 11 and pnpm 10 say that @eal-ts/sys has an
  // install script they did not run or that is not yet approved.
  const warnings = `${install.stdout}${install.stderr}`
    .split('\n')
    .filter((l) => /npm warn|WARN/i.test(l) && !/install-scripts|Ignored build scripts|approve-builds/.test(l));
  // Every library imports (and with it @eal-ts/sys opens its addon).
  const libraries = packages.filter((p) => p.pkg.exports).map((p) => p.name);
  const imports = libraries.map((name) => `await import(${JSON.stringify(name)});`).join('');
  run(process.execPath, ['--input-type=module', '-e', `${imports}const { UnixDgramSocket } = await import('@eal-ts/sys'); const s = await UnixDgramSocket.bind('@eal-ts-release-dry-${process.pid}'); await s.close();`], { cwd: project });
  const runtimeDirectory = join(project, 'run');
  mkdirSync(runtimeDirectory);
  await readmeExample(project, runtimeDirectory);
  const help = run('npx', ['--no-install', 'eal-mp', '--help'], { cwd: project }).stdout;
  if (!help.includes('Usage: eal-mp')) throw new Error(`npx eal-mp --help printed ${help}`);
  const json = JSON.parse(run('npx', ['--no-install', 'eal-devbind', '--status', '--json'], { cwd: project, env: { SYSFS_PCI_DEVICES: sysfsDevices } }).stdout);
  if (!Array.isArray(json) || json.length !== 2) throw new Error(`npx eal-devbind --status --json printed ${JSON.stringify(json)}`);
  const telemetry = run('npx', ['--no-install', 'eal-telemetry', '--help'], { cwd: project }).stdout;
  if (!telemetry.includes('Usage: eal-telemetry')) throw new Error(`npx eal-telemetry --help printed ${telemetry}`);
  const hotplug = run('npx', ['--no-install', 'hotplug-mp', '--help'], { cwd: project });
  if (!/hotplug|Usage/i.test(hotplug.stdout + hotplug.stderr)) throw new Error(`npx hotplug-mp --help printed ${hotplug.stdout}${hotplug.stderr}`);
  log(`${flavour}: ${libraries.length} libraries import, README example ok, eal-mp / eal-devbind / eal-telemetry / hotplug-mp run${warnings.length ? `; install warnings:\n  ${warnings.join('\n  ')}` : ''}`);
}

async function main() {
  const packages = publicPackages();
  log(`prebuilt binaries of @eal-ts/sys`);
  const prebuild = run(process.execPath, [join(root, 'packages/sys/scripts/prebuild.mjs'), '--smoke']);
  for (const line of prebuild.stdout.split('\n').filter((l) => /built|smoke/.test(l))) log(line);

  const tarballDir = join(work, 'tarballs');
  mkdirSync(tarballDir);
  const tarballs = new Map();
  for (const p of packages) {
    const out = run('pnpm', ['pack', '--pack-destination', tarballDir], { cwd: p.dir }).stdout.trim().split('\n');
    const file = out.at(-1);
    if (!file.endsWith('.tgz') || !existsSync(file)) throw new Error(`pnpm pack in ${p.dir} printed ${out.join('\n')}`);
    const count = checkTarball(file, p.name);
    tarballs.set(p.name, file);
    log(`packed ${p.name} (${count} files)`);
  }
  const sysfsDevices = fakeSysfs(work);
  for (const flavour of ['npm install', 'npm install --ignore-scripts', 'pnpm add']) await consumer(flavour, tarballs, packages, sysfsDevices);
  log(`passed: ${packages.length} packages packed, 3 consumer installs checked`);
}

try {
  await main();
} catch (error) {
  console.error(`release:dry FAILED [${elapsed()}]: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  // The repository's tests load build/, not these: never leave them behind.
  rmSync(join(root, 'packages/sys/prebuilds'), { recursive: true, force: true });
  if (process.env.KEEP === '1') console.log(`release:dry: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
