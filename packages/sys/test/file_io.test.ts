import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, rmdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { SysError, diffChunks, fstatLiteSync, readAtSync, writeAtSync } from '../src/index.js';
import { makeTempDir, removeTempDirs } from './helpers.js';

const fds: number[] = [];
afterEach(async () => {
  for (const fd of fds.splice(0)) closeSync(fd);
  await removeTempDirs();
});

async function fileWith(bytes: Buffer): Promise<{ path: string; fd: number }> {
  const path = join(await makeTempDir(), 'table');
  writeFileSync(path, bytes);
  const fd = openSync(path, 'r+');
  fds.push(fd);
  return { path, fd };
}

describe('readAtSync / writeAtSync', () => {
  it('reads a whole buffer from a position, fewer bytes only at end of file, and writes all bytes at a position', async () => {
    const { path, fd } = await fileWith(Buffer.from('0123456789'));
    const into = Buffer.alloc(4);
    expect(readAtSync(fd, into, 3)).toBe(4);
    expect(into.toString()).toBe('3456');
    expect(readAtSync(fd, Buffer.alloc(8), 6)).toBe(4);
    expect(readAtSync(fd, Buffer.alloc(8), 100)).toBe(0);
    expect(writeAtSync(fd, Buffer.from('ab'), 8)).toBe(2);
    expect(writeAtSync(fd, Buffer.from('XYZ'), 11)).toBe(3);
    expect(readFileSync(path)).toEqual(Buffer.from('01234567ab\0XYZ'));
  });

  it('throws SysError naming the syscall for a bad fd, and TypeError/RangeError for bad arguments', async () => {
    const { fd } = await fileWith(Buffer.alloc(16));
    const closed = openSync('/dev/null', 'r');
    closeSync(closed);
    expect(() => readAtSync(closed, Buffer.alloc(1))).toThrow(SysError);
    expect(() => readAtSync(closed, Buffer.alloc(1))).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'pread' }) as Error);
    expect(() => writeAtSync(closed, Buffer.alloc(1))).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'pwrite' }) as Error);
    expect(() => readAtSync(fd, 'text' as unknown as Buffer)).toThrow(TypeError);
    expect(() => readAtSync(fd, Buffer.alloc(1), -1)).toThrow(RangeError);
    expect(() => writeAtSync(fd, Buffer.alloc(1), 1.5)).toThrow(RangeError);
  });
});

describe('diffChunks', () => {
  it('lists the chunks that differ, counts a chunk the other buffer does not cover whole as differing, and handles a short last chunk', () => {
    const a = Buffer.alloc(300, 1);
    const b = Buffer.alloc(300, 1);
    expect(diffChunks(a, b, 128)).toEqual([]);
    b[130] = 2;
    b[299] = 2;
    expect(diffChunks(a, b, 128)).toEqual([1, 2]);
    expect(diffChunks(a, b.subarray(0, 200), 128)).toEqual([1, 2]);
    expect(diffChunks(a, Buffer.alloc(0), 128)).toEqual([0, 1, 2]);
    expect(diffChunks(Buffer.alloc(0), b, 128)).toEqual([]);
    expect(() => diffChunks(a, b, 0)).toThrow(RangeError);
    expect(() => diffChunks(a, [1, 2] as unknown as Buffer, 1)).toThrow(TypeError);
  });
});

describe('fstatLiteSync', () => {
  it("reports what fs.fstatSync does: identity, links, mode and the change times to the nanosecond", async () => {
    const { path, fd } = await fileWith(Buffer.alloc(8));
    utimesSync(path, 1_700_000_000.123456, 1_700_000_001.987654);
    const lite = fstatLiteSync(fd);
    const full = fstatSync(fd, { bigint: true });
    expect(lite.dev).toBe(Number(full.dev));
    expect(lite.ino).toBe(Number(full.ino));
    expect(lite.nlink).toBe(1);
    expect(lite.mode).toBe(Number(full.mode));
    expect(BigInt(lite.mtimeSec) * 1_000_000_000n + BigInt(lite.mtimeNsec)).toBe(full.mtimeNs);
    expect(BigInt(lite.ctimeSec) * 1_000_000_000n + BigInt(lite.ctimeNsec)).toBe(full.ctimeNs);
    expect(lite.mtimeSec).toBe(1_700_000_001);
  });

  it('sees a removed directory through its open fd as having no links, and a changed one as a new mtime', async () => {
    const dir = join(await makeTempDir(), 'runtime');
    mkdirSync(dir);
    const fd = openSync(dir, 'r');
    fds.push(fd);
    const before = fstatLiteSync(fd);
    expect(before.nlink).toBeGreaterThan(0);
    utimesSync(dir, 1, 2);
    expect(fstatLiteSync(fd).mtimeSec).toBe(2);
    rmdirSync(dir);
    expect(fstatLiteSync(fd).nlink).toBe(0);
  });

  it('throws SysError EBADF for a closed fd, RangeError for a negative one and TypeError for a non-number', () => {
    const closed = openSync('/dev/null', 'r');
    closeSync(closed);
    expect(() => fstatLiteSync(closed)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'fstat' }));
    expect(() => fstatLiteSync(-1)).toThrow(RangeError);
    expect(() => fstatLiteSync('3' as unknown as number)).toThrow(TypeError);
  });
});
