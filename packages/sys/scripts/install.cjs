#!/usr/bin/env node
'use strict';
// The install script of @eal-ts/sys: compile the addon only when no binary
// that fits is there already.
//   (no flag)             a prebuilt binary that loads is enough; else an up-to-date
//                         local build; else `node-gyp rebuild`.
//   --local               the eal-ts repository's own build: ignore prebuilt binaries,
//                         rebuild build/ when binding.gyp or native/ changed.
//   --build-from-source   always rebuild (also npm_config_build_from_source=true).
// A local build records a hash of its sources in build/eal_sys.sources.sha256, so an
// unchanged addon is not rebuilt by every `pnpm install`.
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { existsSync, readFileSync, readdirSync, writeFileSync } = require('node:fs');
const { dirname, extname, join } = require('node:path');
const { buildHelp, localBuild, prebuiltCandidates, runtimeLibc } = require('./resolve-addon.cjs');

const packageDir = dirname(__dirname);
const args = process.argv.slice(2);
const fromSource = args.includes('--build-from-source') || process.env.npm_config_build_from_source === 'true';
const local = args.includes('--local');
// Warnings are errors in our own builds only: a newer compiler on a user's machine must not fail an install.
const werror = process.env.EAL_TS_SYS_WERROR ?? (existsSync(join(packageDir, 'tsconfig.build.json')) ? '1' : '0');

function loads(path) {
  try {
    require(path);
    return true;
  } catch {
    return false;
  }
}

function sourcesHash() {
  const hash = createHash('sha256');
  hash.update(`werror=${werror} arch=${process.arch} libc=${runtimeLibc()}\n`);
  const files = ['binding.gyp', ...readdirSync(join(packageDir, 'native')).sort().map((f) => join('native', f))];
  for (const file of files) hash.update(`${file}\n`).update(readFileSync(join(packageDir, file)));
  return hash.digest('hex');
}

function nodeGyp() {
  const configured = process.env.npm_config_node_gyp;
  if (configured && existsSync(configured)) return configured;
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    // The node-gyp bundled with npm, beside this node; else whatever PATH has.
    const npmBundled = join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
    return existsSync(npmBundled) ? npmBundled : 'node-gyp';
  }
}

/** Node's own headers when it ships them (/usr/include/node for /usr/bin/node): no header download. */
function nodeDirEnv() {
  if (process.env.npm_config_nodedir) return {};
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? { npm_config_nodedir: prefix } : {};
}

function main() {
  if (!fromSource && !local && prebuiltCandidates(packageDir).some(loads)) return 0;
  const stamp = join(packageDir, 'build', 'eal_sys.sources.sha256');
  const hash = sourcesHash();
  if (!fromSource && existsSync(localBuild(packageDir)) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return 0;
  const gyp = nodeGyp();
  const [command, ...gypArgs] = extname(gyp) === '.js' ? [process.execPath, gyp] : [gyp];
  const result = spawnSync(command, [...gypArgs, 'rebuild'], {
    cwd: packageDir,
    stdio: 'inherit',
    env: { ...process.env, ...nodeDirEnv(), EAL_TS_SYS_WERROR: werror },
  });
  if (result.status !== 0) {
    const why = result.error ? result.error.message : `exit status ${result.status ?? result.signal}`;
    process.stderr.write(
      `@eal-ts/sys: no prebuilt addon fits ${process.platform}-${process.arch} (${runtimeLibc()}), and node-gyp rebuild failed (${why}).\n${buildHelp()}\n`,
    );
    return 1;
  }
  writeFileSync(stamp, hash);
  return 0;
}

process.exitCode = main();
