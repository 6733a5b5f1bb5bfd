// The install script as a user's package manager runs it, in a copy of the
// package laid out as a tarball unpacks (no tsconfig, no src build step).
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { addonPath } from '../src/addon.js';
import { makeTempDir, removeTempDirs } from './helpers.js';

afterEach(removeTempDirs);

const packageDir = fileURLToPath(new URL('..', import.meta.url));

async function unpacked(): Promise<string> {
  const root = await makeTempDir();
  for (const entry of ['package.json', 'binding.gyp', 'native', 'scripts']) cpSync(join(packageDir, entry), join(root, entry), { recursive: true });
  mkdirSync(join(root, 'node_modules'));
  symlinkSync(realpathSync(join(packageDir, 'node_modules/node-gyp-build')), join(root, 'node_modules/node-gyp-build'));
  return root;
}

function install(root: string, env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [join(root, 'scripts/install.cjs')], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, npm_config_build_from_source: '', EAL_TS_SYS_WERROR: '', ...env },
  });
}

describe('install script', () => {
  it('compiles nothing when a prebuilt binary for this platform loads, even with no compiler on PATH', async () => {
    const root = await unpacked();
    const libc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime ? 'glibc' : 'musl';
    const dir = join(root, 'prebuilds', `linux-${process.arch}`);
    mkdirSync(dir, { recursive: true });
    cpSync(addonPath, join(dir, `@eal-ts+sys.uv1.${libc}.node`));
    const result = install(root, { PATH: '/nonexistent', npm_config_node_gyp: '/nonexistent/node-gyp.js' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(existsSync(join(root, 'build'))).toBe(false);
  });

  it('builds when no prebuilt binary fits, skips an unchanged build, and rebuilds when a source changes', async () => {
    const root = await unpacked();
    const first = install(root);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout + first.stderr).toContain('gyp info ok');
    expect(existsSync(join(root, 'build/Release/eal_sys.node'))).toBe(true);

    const again = install(root);
    expect(again.status).toBe(0);
    expect(again.stdout + again.stderr).toBe('');

    appendFileSync(join(root, 'native/errors.c'), '\n/* changed */\n');
    const changed = install(root);
    expect(changed.status, changed.stderr).toBe(0);
    expect(changed.stdout + changed.stderr).toContain('gyp info ok');
    // Two real compiles: on a loaded 2-core machine each can take well over
    // the suite's 30 s default; each install is bounded by its own 120 s timeout.
  }, 300_000);

  it('fails with the commands for npm, pnpm and yarn when it cannot compile', async () => {
    const root = await unpacked();
    const result = install(root, { npm_config_node_gyp: '/nonexistent/node-gyp.js', PATH: '/nonexistent' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`no prebuilt addon fits linux-${process.arch}`);
    expect(result.stderr).toContain('npm rebuild @eal-ts/sys');
    expect(result.stderr).toContain('pnpm approve-builds');
  });
});
