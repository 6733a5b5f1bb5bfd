#!/usr/bin/env node
// prepack / postpack of every public package: the published package.json keeps
// only what a user's install runs. Scripts (build, lint, test point into this
// monorepo: tsconfig.build.json, ../../vitest.config.ts) and devDependencies
// are dropped from the packed manifest; the install script of @eal-ts/sys
// stays. postpack puts the repository's manifest back.
//
//   node ../../tools/release/manifest.mjs prepack|postpack   (cwd: the package)
import { copyFileSync, existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const KEPT_SCRIPTS = new Set(['preinstall', 'install', 'postinstall']);
const manifest = join(process.cwd(), 'package.json');
const saved = join(process.cwd(), 'package.json.repo');

function prepack() {
  if (existsSync(saved)) {
    throw new Error(`${saved} exists: an earlier pack did not finish; restore it (mv package.json.repo package.json) and retry`);
  }
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  if (pkg.gypfile) {
    // A native package must not be packed without its prebuilt binaries.
    const prebuilds = join(process.cwd(), 'prebuilds');
    if (!existsSync(prebuilds) || readdirSync(prebuilds).length === 0) {
      throw new Error(`${pkg.name}: no prebuilds/: run \`pnpm --filter ${pkg.name} prebuilds\` before packing`);
    }
  }
  copyFileSync(manifest, saved);
  const scripts = Object.fromEntries(Object.entries(pkg.scripts ?? {}).filter(([name]) => KEPT_SCRIPTS.has(name)));
  if (Object.keys(scripts).length > 0) pkg.scripts = scripts;
  else delete pkg.scripts;
  delete pkg.devDependencies;
  writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
}

function postpack() {
  if (existsSync(saved)) renameSync(saved, manifest);
}

const step = process.argv[2];
if (step === 'prepack') prepack();
else if (step === 'postpack') postpack();
else {
  console.error(`manifest.mjs: expected prepack or postpack, got ${JSON.stringify(step)}`);
  process.exit(2);
}
