import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, fstatSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isatty as ttyIsatty } from 'node:tty';

import { afterEach, describe, expect, it } from 'vitest';

import { ReadableFd, SysError, isatty } from '../src/index.js';
import { eventually, makeTempDir, removeTempDirs } from './helpers.js';

const opened: ReadableFd[] = [];
const fds: number[] = [];
const children: ReturnType<typeof spawn>[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((r) => r.close()));
  for (const fd of fds.splice(0)) closeSync(fd);
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await removeTempDirs();
});

/**
 * The read end of a FIFO (opened here, so this test owns the fd) and a child
 * that writes `chunks` into it, one write each a little apart, then exits:
 * end of file.
 */
async function pipeFrom(chunks: string[]): Promise<number> {
  const fifo = join(await makeTempDir(), 'fifo');
  execFileSync('mkfifo', [fifo]);
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  fds.push(fd);
  const script = `const fs = require('node:fs'); const w = fs.openSync(${JSON.stringify(fifo)}, 'w'); const c = ${JSON.stringify(chunks)}; let i = 0; const next = () => { if (i === c.length) return fs.closeSync(w); fs.writeSync(w, c[i++]); setTimeout(next, 5); }; next();`;
  children.push(spawn(process.execPath, ['-e', script], { stdio: 'inherit' }));
  return fd;
}

describe('ReadableFd', () => {
  it('reads a pipe as it fills, each read one Buffer, then end of file; the given fd stays open', async () => {
    const fd = await pipeFrom(['attach net_null0\n', 'detach ', 'net_null0\n']);
    const reader = ReadableFd.open(fd, { bufferSize: 8 });
    opened.push(reader);
    expect(reader.fd).not.toBe(fd); // a duplicate
    let text = '';
    let ended = false;
    reader.on('data', (chunk) => {
      expect(chunk.length).toBeLessThanOrEqual(8);
      text += chunk.toString();
    });
    reader.on('end', () => (ended = true));
    await eventually(() => ended, 'end of file');
    expect(text).toBe('attach net_null0\ndetach net_null0\n');
    await reader.close();
    await reader.close(); // idempotent
    expect(fstatSync(fd).isFIFO()).toBe(true); // still open here
  });

  it('refuses a regular file (EPERM, naming why) and a bad fd, and checks its options', async () => {
    const file = join(await makeTempDir(), 'commands');
    writeFileSync(file, 'quit\n');
    const fd = openSync(file, 'r');
    try {
      expect(() => ReadableFd.open(fd)).toThrow(SysError);
      expect(() => ReadableFd.open(fd)).toThrow(/regular file or a directory, which cannot be polled/);
    } finally {
      closeSync(fd);
    }
    const closed = openSync('/dev/null', 'r');
    closeSync(closed);
    expect(() => ReadableFd.open(closed)).toThrow(expect.objectContaining({ code: 'EBADF' }) as Error);
    expect(() => ReadableFd.open(-1)).toThrow(RangeError);
    expect(() => ReadableFd.open(0, { bufferSize: 0 })).toThrow(RangeError);
    expect(() => ReadableFd.open(0, { bufferSize: 'big' as unknown as number })).toThrow(TypeError);
  });
});

describe('isatty', () => {
  it('is false for a pipe, a regular file and a closed fd, as node:tty says', async () => {
    const fd = await pipeFrom([]);
    expect(isatty(fd)).toBe(false);
    const file = join(await makeTempDir(), 'plain');
    writeFileSync(file, '');
    const plain = openSync(file, 'r');
    fds.push(plain);
    expect(isatty(plain)).toBe(false);
    const closed = openSync('/dev/null', 'r');
    closeSync(closed);
    expect(isatty(closed)).toBe(false);
    expect(isatty(0)).toBe(ttyIsatty(0));
    expect(() => isatty(-1)).toThrow(RangeError);
  });
});
