import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { UnixDgramSocket } from '../src/index.js';
import { pollUntil } from '@eal-ts/test-peer';
import { assertBuilt, makeTempDir, removeTempDirs } from './helpers.js';

afterEach(removeTempDirs);

describe('loading and resources', () => {
  it('names the build command, and the cause, when the native addon is missing', async () => {
    assertBuilt();
    // A copy of dist/ with no build/ next to it: exactly an install whose node-gyp step never ran.
    const root = await makeTempDir();
    cpSync(fileURLToPath(new URL('../dist', import.meta.url)), join(root, 'dist'), { recursive: true });
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(join(root, 'dist/index.js'))})`], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('@eal-ts/sys: the native addon is not built');
    expect(result.stderr).toContain(join(root, 'build/Release/eal_sys.node'));
    expect(result.stderr).toContain('pnpm --filter @eal-ts/sys rebuild');
    expect(result.stderr).toMatch(/Cause: .*Cannot find module/);
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
