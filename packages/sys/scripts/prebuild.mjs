#!/usr/bin/env node
// Builds the prebuilt binaries that ship in the @eal-ts/sys tarball, from this
// checkout's sources, with prebuildify: prebuilds/linux-<arch>/@eal-ts+sys.uv1.<libc>.node
// (uv1: the addon polls with libuv directly, whose ABI is stable within major 1).
// N-API (NAPI_VERSION 8): one binary per platform serves every Node version.
//
//   pnpm --filter @eal-ts/sys prebuilds [--all] [--smoke]   (node scripts/prebuild.mjs)
// (not named "prebuild": package managers would run that before every "build").
//
// Each target is built when its compiler is on this machine (Debian: gcc,
// musl-tools, gcc-aarch64-linux-gnu); --all makes a missing one an error (for a
// real release). --smoke loads each binary and sends a datagram through it:
// natively for linux-x64 glibc, under qemu-aarch64-static for linux-arm64 when
// $EAL_TS_ARM64_NODE names an arm64 node binary. Builds happen in a temporary
// copy of the package, so build/ (the repository's own build) is left alone.
// prebuilds/ is not committed: `pnpm release:dry` and the release build it.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const requireAll = args.includes('--all');
const smoke = args.includes('--smoke');

const TARGETS = [
  { arch: 'x64', libc: 'glibc', cc: 'gcc', strip: 'strip' },
  { arch: 'x64', libc: 'musl', cc: 'musl-gcc', strip: 'strip' },
  { arch: 'arm64', libc: 'glibc', cc: 'aarch64-linux-gnu-gcc', strip: 'aarch64-linux-gnu-strip' },
];

const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function nodeGyp() {
  const npmBundled = join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  return process.env.npm_config_node_gyp ?? (existsSync(npmBundled) ? npmBundled : 'node-gyp');
}

const nodeDir = process.env.npm_config_nodedir ?? join(dirname(process.execPath), '..');
if (!existsSync(join(nodeDir, 'include/node/node_api.h'))) {
  console.error(`prebuild: no Node headers at ${nodeDir}/include/node: set npm_config_nodedir`);
  process.exit(1);
}

// A private copy of the N-API and libuv headers: a cross compiler must not see the host's
// /usr/include, which a nodedir of /usr would put on its include path.
const headers = mkdtempSync(join(tmpdir(), 'eal-ts-node-headers-'));
process.on('exit', () => rmSync(headers, { recursive: true, force: true }));
for (const file of readdirSync(join(nodeDir, 'include/node'))) {
  if (/^(js_native_api|node_api).*\.h$|^node_version\.h$|^uv(\.h)?$|\.gypi$/.test(file)) {
    cpSync(join(nodeDir, 'include/node', file), join(headers, 'include/node', file), { recursive: true });
  }
}

rmSync(join(packageDir, 'prebuilds'), { recursive: true, force: true });
const built = [];
const skipped = [];
for (const target of TARGETS) {
  const name = `linux-${target.arch} ${target.libc}`;
  if (!onPath(target.cc)) {
    skipped.push(`${name} (no ${target.cc})`);
    continue;
  }
  const stage = mkdtempSync(join(tmpdir(), 'eal-ts-prebuild-'));
  try {
    for (const entry of ['package.json', 'binding.gyp', 'native']) cpSync(join(packageDir, entry), join(stage, entry), { recursive: true });
    const started = Date.now();
    const result = spawnSync(
      process.execPath,
      [join(packageDir, 'node_modules/prebuildify/bin.js'), '--napi', '--strip', '--tag-uv', '--tag-libc', `--arch=${target.arch}`, `--cwd=${stage}`, `--out=${packageDir}`],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
        env: {
          ...process.env,
          CC: target.cc,
          CXX: target.cc,
          LINK: target.cc,
          PREBUILD_LIBC: target.libc,
          PREBUILD_STRIP_BIN: target.strip,
          PREBUILD_NODE_GYP: nodeGyp(),
          npm_config_nodedir: headers,
          EAL_TS_SYS_WERROR: '1',
        },
      },
    );
    if (result.status !== 0) {
      console.error(`${result.stdout}${result.stderr}\nprebuild: ${name} failed (prebuildify exit status ${result.status})`);
      process.exit(1);
    }
    built.push(`${name} (${Date.now() - started} ms)`);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

for (const dir of readdirSync(join(packageDir, 'prebuilds'))) {
  for (const file of readdirSync(join(packageDir, 'prebuilds', dir))) console.log(`prebuild: prebuilds/${dir}/${file}`);
}
console.log(`prebuild: built ${built.join(', ') || 'nothing'}${skipped.length ? `; skipped ${skipped.join(', ')}` : ''}`);
if (requireAll && skipped.length > 0) {
  console.error('prebuild: --all: every target must be built');
  process.exit(1);
}

if (smoke) {
  // Bind a socket, send it one datagram with an fd, read it back: the addon's whole path.
  const check = `
    const { UnixDgramSocket } = await import(${JSON.stringify(join(packageDir, 'dist/index.js'))});
    const path = ${JSON.stringify(join(tmpdir(), `eal-ts-smoke-${process.pid}`))};
    const socket = await UnixDgramSocket.bind(path);
    const got = new Promise((resolve) => socket.once('datagram', resolve));
    await socket.send(path, Buffer.from('ping'), [0]);
    const d = await got;
    for (const fd of d.fds) (await import('node:fs')).closeSync(fd);
    await socket.close();
    (await import('node:fs')).unlinkSync(path);
    if (d.data.toString() !== 'ping' || d.fds.length !== 1) throw new Error('bad datagram');
    console.log('ok', process.arch, process.version);`;
  const runs = [
    { dir: 'linux-x64', libc: 'glibc', cmd: [process.execPath] },
    ...(process.env.EAL_TS_ARM64_NODE && onPath('qemu-aarch64-static')
      ? [{ dir: 'linux-arm64', libc: 'glibc', cmd: ['qemu-aarch64-static', '-L', '/usr/aarch64-linux-gnu', process.env.EAL_TS_ARM64_NODE] }]
      : []),
  ];
  for (const run of runs) {
    const file = join(packageDir, 'prebuilds', run.dir, `@eal-ts+sys.uv1.${run.libc}.node`);
    if (!existsSync(file)) continue;
    const result = spawnSync(run.cmd[0], [...run.cmd.slice(1), '--input-type=module', '-e', check], {
      encoding: 'utf8',
      env: { ...process.env, EAL_TS_SYS_ADDON: file },
      timeout: 120_000,
    });
    if (result.status !== 0) {
      console.error(`prebuild: smoke test of ${file} failed:\n${result.stdout}${result.stderr}`);
      process.exit(1);
    }
    console.log(`prebuild: smoke ${run.dir} ${run.libc}: ${result.stdout.trim()}`);
  }
}
