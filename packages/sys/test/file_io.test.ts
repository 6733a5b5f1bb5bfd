import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { SysError, diffChunks, readAtSync, writeAtSync } from '../src/index.js';
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
