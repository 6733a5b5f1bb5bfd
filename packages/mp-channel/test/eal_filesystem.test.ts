import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  configPath,
  createRuntimeDir,
  matchFbarrayFilter,
  matchMpSocketFilter,
  mpSocketPath,
  runtimeBaseDir,
  runtimeDir,
  secondarySocketPath,
} from '../src/eal_filesystem.js';

describe('runtimeBaseDir (eal_get_runtime_dir)', () => {
  it('prefers systemd $RUNTIME_DIRECTORY, even for root', () => {
    expect(runtimeBaseDir({ env: { RUNTIME_DIRECTORY: '/run/app', XDG_RUNTIME_DIR: '/run/user/1' }, uid: 0 })).toBe('/run/app');
  });
  it('uses /var/run for root', () => {
    expect(runtimeBaseDir({ env: { XDG_RUNTIME_DIR: '/run/user/0' }, uid: 0 })).toBe('/var/run');
  });
  it('uses $XDG_RUNTIME_DIR for other users', () => {
    expect(runtimeBaseDir({ env: { XDG_RUNTIME_DIR: '/run/user/1000' }, uid: 1000 })).toBe('/run/user/1000');
  });
  it('falls back to /tmp', () => {
    expect(runtimeBaseDir({ env: {}, uid: 1000 })).toBe('/tmp');
  });
});

describe('runtime paths', () => {
  const env = { env: { RUNTIME_DIRECTORY: '/run/x' } };
  it('puts the prefix under <base>/dpdk, default rte', () => {
    expect(runtimeDir(undefined, env)).toBe('/run/x/dpdk/rte');
    expect(runtimeDir('pg', env)).toBe('/run/x/dpdk/pg');
  });
  it('names the config file and the sockets as DPDK does', () => {
    const dir = '/run/x/dpdk/rte';
    expect(configPath(dir)).toBe('/run/x/dpdk/rte/config');
    expect(mpSocketPath(dir)).toBe('/run/x/dpdk/rte/mp_socket');
    expect(secondarySocketPath(dir, 42, 'abc')).toBe('/run/x/dpdk/rte/mp_socket_42_abc');
    expect(secondarySocketPath(dir)).toMatch(new RegExp(`^/run/x/dpdk/rte/mp_socket_${process.pid}_[0-9a-f]+$`));
    expect(secondarySocketPath(dir)).not.toBe(secondarySocketPath(dir));
  });
  it.each(['', 'a/b', '.', '..', 'a\0b'])('rejects file prefix %j with EINVAL', (prefix) => {
    expect(() => runtimeDir(prefix, env)).toThrow(expect.objectContaining({ code: 'EINVAL' }) as Error);
  });
  it('rejects a prefix whose sockets would not fit in sun_path, saying so', () => {
    expect(() => runtimeDir('p'.repeat(70), env)).toThrow(/too long for its mp sockets: \d+ bytes .* at most 108/);
    expect(() => runtimeDir('p'.repeat(70), env)).toThrow(expect.objectContaining({ code: 'ENAMETOOLONG' }) as Error);
  });
});

describe('MP_SOCKET_FILTER (fnmatch mp_socket_*)', () => {
  it('matches secondaries, not the primary', () => {
    expect(matchMpSocketFilter('mp_socket_123_abc')).toBe(true);
    expect(matchMpSocketFilter('mp_socket_')).toBe(true);
    expect(matchMpSocketFilter('mp_socket')).toBe(false);
    expect(matchMpSocketFilter('config')).toBe(false);
    expect(matchMpSocketFilter('xmp_socket_1')).toBe(false);
  });
  it('fbarray_* matches memseg lists', () => {
    expect(matchFbarrayFilter('fbarray_memseg-2048k-0-0')).toBe(true);
    expect(matchFbarrayFilter('fbarray')).toBe(false);
  });
});

describe('createRuntimeDir', () => {
  let base: string | undefined;
  afterEach(async () => {
    if (base) await rm(base, { recursive: true, force: true });
  });
  it('creates <base>/dpdk/<prefix> with mode 0700 and accepts existing levels', async () => {
    base = await mkdtemp(join(tmpdir(), 'mpfs-'));
    const options = { env: { RUNTIME_DIRECTORY: base } };
    const dir = await createRuntimeDir('t1', options);
    expect(dir).toBe(join(base, 'dpdk', 't1'));
    expect((await stat(join(base, 'dpdk'))).mode & 0o777).toBe(0o700);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    await expect(createRuntimeDir('t1', options)).resolves.toBe(dir);
  });
});
