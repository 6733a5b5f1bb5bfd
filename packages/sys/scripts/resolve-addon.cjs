'use strict';
// Where the native addon of @eal-ts/sys is, in the order it is tried:
//   1. $EAL_TS_SYS_ADDON, when set (a path to an eal_sys.node);
//   2. a prebuilt binary shipped in prebuilds/<platform>-<arch>/ that fits this
//      libc (glibc or musl); N-API, so one binary serves every Node version;
//   3. the local build of `node-gyp rebuild`, build/Release/eal_sys.node.
// Plain CommonJS with no build step: the install script runs it before
// anything is compiled, and the loader (src/addon.ts) uses it at run time.
const { readdirSync } = require('node:fs');
const { join } = require('node:path');

/** 'glibc' or 'musl' on Linux (musl builds of Node report no glibc version), else null. */
function runtimeLibc() {
  if (process.platform !== 'linux') return null;
  const report = process.report && process.report.getReport();
  return report && report.header && report.header.glibcVersionRuntime ? 'glibc' : 'musl';
}

function readdir(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Prebuilt binaries that fit this platform, architecture and libc, best first (prebuildify's naming). */
function prebuiltCandidates(packageDir) {
  const gyp = require('node-gyp-build');
  const root = join(packageDir, 'prebuilds');
  let libc;
  const uvMajor = (process.versions.uv || '').split('.')[0];
  const tuples = readdir(root)
    .map(gyp.parseTuple)
    .filter(gyp.matchTuple(process.platform, process.arch))
    .sort(gyp.compareTuples);
  const found = [];
  for (const tuple of tuples) {
    const dir = join(root, tuple.name);
    const builds = readdir(dir)
      .map(gyp.parseTags)
      // prebuildify --napi tags no ABI: such a binary serves every Node version.
      .filter((tags) => tags && !tags.abi && (!tags.uv || tags.uv === uvMajor) && (!tags.libc || tags.libc === (libc ??= runtimeLibc())))
      .sort(gyp.compareTags('node'));
    for (const tags of builds) found.push(join(dir, tags.file));
  }
  return found;
}

function localBuild(packageDir) {
  return join(packageDir, 'build', 'Release', 'eal_sys.node');
}

function addonCandidates(packageDir) {
  const forced = process.env.EAL_TS_SYS_ADDON;
  if (forced) return [forced];
  return [...prebuiltCandidates(packageDir), localBuild(packageDir)];
}

/** What to run when no binary loads: for npm, pnpm and yarn users, and inside the eal-ts repository. */
function buildHelp() {
  return [
    'Build it from source (needs python3, make and a C compiler), with the command of your package manager:',
    '  npm:   npm rebuild @eal-ts/sys',
    '  pnpm:  pnpm approve-builds (select @eal-ts/sys), or list "@eal-ts/sys" under onlyBuiltDependencies',
    '         in pnpm-workspace.yaml; then pnpm rebuild @eal-ts/sys',
    '  yarn:  yarn rebuild @eal-ts/sys (Yarn 2+; Yarn 1: npm rebuild @eal-ts/sys)',
    '  eal-ts repository: pnpm --filter @eal-ts/sys rebuild',
  ].join('\n');
}

module.exports = { runtimeLibc, prebuiltCandidates, localBuild, addonCandidates, buildHelp };
