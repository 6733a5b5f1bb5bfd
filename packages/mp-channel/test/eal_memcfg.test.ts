// What the primary's config file says about it: DPDK's rte_mem_config head
// (magic, version) or the eal-ts header, and the mp layout that follows.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  describePrimaryConfig,
  EAL_TS_MCFG_VERSION,
  formatDpdkVersion,
  mpLayoutForVersion,
  parseMemConfigHeader,
  parseRteVersion,
  primaryMpLayout,
  readPrimaryConfig,
  RTE_MAGIC,
  rteVersionNum,
} from '../src/eal_memcfg.js';
import { PrimaryLock, primaryLockHolder } from '../src/eal_proc_type.js';
import { lockHolder, runtimeDir as freshDir } from './primary_lock_holder.js';

const runtimeDir = (): Promise<string> => freshDir('memcfg');

/** A config head as a DPDK primary leaves it: magic (0 until its init completes), version, then the rest of the struct. */
function dpdkConfig(magic: number, version: number, size = 4096): Buffer {
  const out = Buffer.alloc(size);
  out.writeUInt32LE(magic, 0);
  out.writeUInt32LE(version, 4);
  return out;
}

describe('DPDK versions (RTE_VERSION_NUM)', () => {
  it.each([
    [0x160b0b63, '22.11.11', '22.11'],
    [0x170b0763, '23.11.7', '22.11'],
    [0x180b0663, '24.11.6', '22.11'],
    [0x19070063, '25.07.0', '22.11'],
    [0x190b0003, '25.11.0-rc3', '25.11'],
    [0x190b0263, '25.11.2', '25.11'],
    [0x1a030063, '26.03.0', '25.11'],
  ])('%s is %s and speaks the %s layout', (num, text, layout) => {
    const version = parseRteVersion(num)!;
    expect(formatDpdkVersion(version)).toBe(text);
    expect(mpLayoutForVersion(version)).toBe(layout);
    expect(rteVersionNum(version.year, version.month, version.minor, version.release)).toBe(num);
  });

  it('no DPDK release can have the eal-ts version, nor a zero or out-of-range one', () => {
    expect(parseRteVersion(EAL_TS_MCFG_VERSION)).toBeNull();
    expect(parseRteVersion(0)).toBeNull();
    expect(parseRteVersion(rteVersionNum(25, 13, 0, 99))).toBeNull();
    expect(parseRteVersion(rteVersionNum(0, 11, 0, 99))).toBeNull();
  });
});

describe('parseMemConfigHeader', () => {
  it('a complete DPDK 25.11.2 primary: 340-byte layout', () => {
    const config = parseMemConfigHeader(dpdkConfig(RTE_MAGIC, 0x190b0263), 4096);
    expect(config).toEqual({
      kind: 'dpdk',
      version: { year: 25, month: 11, minor: 2, release: 99 },
      versionNum: 0x190b0263,
      complete: true,
      layout: '25.11',
    });
    expect(describePrimaryConfig(config)).toBe('DPDK 25.11.2 (25.11 layout, 340-byte mp messages)');
    expect(primaryMpLayout(config, '22.11')).toBe('25.11');
  });

  it('a DPDK 22.11 primary still initialising (version written, magic not yet): known, not complete', () => {
    const config = parseMemConfigHeader(dpdkConfig(0, 0x160b0b63), 4096);
    expect(config).toMatchObject({ kind: 'dpdk', complete: false, layout: '22.11' });
    expect(describePrimaryConfig(config)).toBe('DPDK 22.11.11, still initialising (22.11 layout, 332-byte mp messages)');
  });

  it('the eal-ts header: eal-ts, and the fallback layout is used', () => {
    const head = Buffer.alloc(8);
    head.writeUInt32LE(RTE_MAGIC, 0);
    head.writeUInt32LE(EAL_TS_MCFG_VERSION, 4);
    const config = parseMemConfigHeader(head, 16);
    expect(config).toEqual({ kind: 'eal-ts', format: 1 });
    expect(primaryMpLayout(config, '25.11')).toBe('25.11');
    expect(primaryMpLayout(config, '22.11')).toBe('22.11');
  });

  it.each([
    ['an empty file', Buffer.alloc(0), 0, false, /empty/],
    ['a short file', Buffer.alloc(3), 3, false, /only 3 bytes/],
    ['a sized all-zero head (DPDK between its lock and its version)', dpdkConfig(0, 0, 8), 4096, true, /no magic and no version/],
    ['a foreign magic', dpdkConfig(0xdeadbeef, 0x190b0263, 8), 4096, false, /magic 0xdeadbeef is not DPDK's 0x012e6fee/],
    ['a version no DPDK has', dpdkConfig(RTE_MAGIC, 0x19ff0063, 8), 4096, false, /version 0x19ff0063 is no DPDK release's/],
  ])('%s: unknown, with the reason', (_what, head, size, pending, reason) => {
    const config = parseMemConfigHeader(head, size);
    expect(config).toMatchObject({ kind: 'unknown', size, pending });
    expect(config.kind === 'unknown' && config.reason).toMatch(reason);
    expect(primaryMpLayout(config, '22.11')).toBe('22.11');
  });
});

describe('readPrimaryConfig and the header an eal-ts primary writes', () => {
  it('reads a DPDK primary’s config file', async () => {
    const dir = await runtimeDir();
    await writeFile(join(dir, 'config'), dpdkConfig(RTE_MAGIC, 0x190b0263), { mode: 0o600 });
    expect(await readPrimaryConfig(dir)).toMatchObject({ kind: 'dpdk', layout: '25.11' });
  });

  it('no config file: unknown', async () => {
    expect(await readPrimaryConfig(await runtimeDir())).toMatchObject({ kind: 'unknown', size: 0, reason: 'there is no config file' });
  });

  it('an eal-ts primary in another process writes its header and keeps the lock while others read it', async () => {
    const dir = await runtimeDir();
    const child = await lockHolder(dir);
    expect(await readPrimaryConfig(dir)).toEqual({ kind: 'eal-ts', format: 1 });
    // Reading opened and closed the file here; the lock is the child's and stays.
    expect(await primaryLockHolder(dir)).toEqual({ pid: child.pid });
    expect(await PrimaryLock.acquire(dir)).toBeNull();
    const bytes = await readFile(join(dir, 'config'));
    expect(bytes.subarray(8).toString('latin1')).toBe('eal-ts\0\0');
  });

  it('replaces what a dead DPDK primary left in the file', async () => {
    const dir = await runtimeDir();
    await writeFile(join(dir, 'config'), dpdkConfig(RTE_MAGIC, 0x160b0b63), { mode: 0o600 });
    const lock = await PrimaryLock.acquire(dir);
    expect(lock).not.toBeNull();
    try {
      expect((await stat(join(dir, 'config'))).size).toBe(16);
      expect(await readPrimaryConfig(dir)).toEqual({ kind: 'eal-ts', format: 1 });
    } finally {
      await lock!.release();
    }
  });
});
