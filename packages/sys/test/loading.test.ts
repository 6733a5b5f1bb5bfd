import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { addonPath } from '../src/addon.js';
import { UnixDgramSocket } from '../src/index.js';
import { pollUntil } from '@eal-ts/test-kit';
import { assertBuilt, makeTempDir, removeTempDirs } from './helpers.js';

afterEach(removeTempDirs);

describe('loading and resources', () => {
  /** A package as an install lays it out (dist, scripts, node-gyp-build), without build/. */
  async function installedCopy(): Promise<string> {
    assertBuilt();
    const root = await makeTempDir();
    for (const entry of ['dist', 'scripts', 'package.json']) cpSync(fileURLToPath(new URL(`../${entry}`, import.meta.url)), join(root, entry), { recursive: true });
    mkdirSync(join(root, 'node_modules'));
    symlinkSync(realpathSync(fileURLToPath(new URL('../node_modules/node-gyp-build', import.meta.url))), join(root, 'node_modules/node-gyp-build'));
    mkdirSync(join(root, 'node_modules/@eal-ts'));
    symlinkSync(realpathSync(fileURLToPath(new URL('../node_modules/@eal-ts/errno', import.meta.url))), join(root, 'node_modules/@eal-ts/errno'));
    return root;
  }

  function importIn(root: string, code = '') {
    return spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `const sys = await import(${JSON.stringify(join(root, 'dist/index.js'))});${code}`],
      { encoding: 'utf8', timeout: 20_000, env: { ...process.env, EAL_TS_SYS_ADDON: '' } },
    );
  }

  it('names what it tried, the commands of npm, pnpm and yarn, and the cause, when no addon loads', async () => {
    // No prebuilds/ and no build/: an install that skipped scripts on a platform we ship no binary for.
    const root = await installedCopy();
    const result = importIn(root);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('@eal-ts/sys: the native addon is not built');
    expect(result.stderr).toContain(join(root, 'build/Release/eal_sys.node'));
    expect(result.stderr).toContain('npm rebuild @eal-ts/sys');
    expect(result.stderr).toContain('pnpm approve-builds');
    expect(result.stderr).toContain('onlyBuiltDependencies');
    expect(result.stderr).toContain('yarn rebuild @eal-ts/sys');
    expect(result.stderr).toMatch(/Cause: .*Cannot find module/);
  });

  it('loads a prebuilt binary for this platform and libc when there is no build/, and skips one for the other libc', async () => {
    const root = await installedCopy();
    const dir = join(root, 'prebuilds', `linux-${process.arch}`);
    mkdirSync(dir, { recursive: true });
    // The repository's own build stands in for a prebuilt binary of this platform.
    const libc = process.report.getReport() as { header: { glibcVersionRuntime?: string } };
    const mine = libc.header.glibcVersionRuntime ? 'glibc' : 'musl';
    const other = mine === 'glibc' ? 'musl' : 'glibc';
    writeFileSync(join(dir, `@eal-ts+sys.uv1.${other}.node`), 'not an ELF file');
    cpSync(addonPath, join(dir, `@eal-ts+sys.uv1.${mine}.node`));
    const path = join(root, 'sock');
    const result = importIn(
      root,
      `const s = await sys.UnixDgramSocket.bind(${JSON.stringify(path)}); const got = new Promise((r) => s.once('datagram', r));` +
        `await s.send(${JSON.stringify(path)}, Buffer.from('hi')); console.log((await got).data.toString()); await s.close();`,
    );
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('hi');
    expect(result.status).toBe(0);
  });

  it('releases every fd when sockets are bound and closed over and over', async () => {
    const dir = await makeTempDir();
    const openFds = (): number => readdirSync('/proc/self/fd').length;
    const before = openFds();
    for (let i = 0; i < 300; i++) {
      const a = await UnixDgramSocket.bind(join(dir, `a${i}`));
      const b = await UnixDgramSocket.bind(join(dir, `b${i}`));
      await a.send(b.path, Buffer.from('x'), [a.fd]);
      // b has no 'datagram' listener: the fd it receives must be closed for us.
      if (i % 3 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      await a.close();
      await b.close();
    }
    // Pending uv_close callbacks run a moment later: poll until the count is back.
    const after = await pollUntil(openFds, (n) => n <= before + 2, { what: `the fd count back to at most ${before + 2}` }).catch(openFds);
    expect(after).toBeLessThanOrEqual(before + 2);
  });
});
