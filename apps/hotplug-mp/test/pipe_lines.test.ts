// A script's lines from a pipe, split as readline split them before (issue 11
// replaced readline on pipes): \n, \r\n even across two chunks, a lone \r, a
// last line without an end; stopping drops what is left.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ReadableFd } from '@eal-ts/sys';
import { afterEach, expect, it } from 'vitest';
import { PipeLines } from '../src/pipe_lines.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** Both ends of a FIFO, in this process: a script's pipe without a shell. */
function fifo(): { readEnd: number; writeEnd: number } {
  const dir = mkdtempSync(join(tmpdir(), 'eal-ts-pipe-lines-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'script');
  execFileSync('mkfifo', [path]);
  const readEnd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeEnd = openSync(path, constants.O_WRONLY);
  cleanups.push(() => closeSync(readEnd));
  return { readEnd, writeEnd };
}

async function drain(lines: PipeLines): Promise<string[]> {
  const got: string[] = [];
  for (;;) {
    const line = await lines.next();
    if (line === undefined) return got;
    got.push(line);
  }
}

it('splits on \\n, \\r\\n (even cut between chunks) and a lone \\r, and keeps an unterminated last line', async () => {
  const input = new PassThrough();
  const lines = new PipeLines(input);
  input.write('attach net_null0\r');
  input.write('\nlist\rdetach ');
  input.write(Buffer.from('net_null0\n\nbogus é', 'utf8').subarray(0, -1)); // é cut in the middle
  input.end(Buffer.from('é', 'utf8').subarray(1));
  expect(await drain(lines)).toEqual(['attach net_null0', 'list', 'detach net_null0', '', 'bogus é']);
});

it('hands lines typed one at a time to a reader already waiting, and ends at end of input', async () => {
  const input = new PassThrough();
  const lines = new PipeLines(input);
  const first = lines.next();
  expect(first).toBeInstanceOf(Promise);
  input.write('attach net_null7\n');
  expect(await first).toBe('attach net_null7');
  input.write('detach net_null7\nquit\n');
  input.end();
  expect(await drain(lines)).toEqual(['detach net_null7', 'quit']);
});

it('close() answers a waiting reader with the end and drops lines not read yet', async () => {
  const input = new PassThrough();
  const lines = new PipeLines(input);
  const first = lines.next();
  input.write('list\nlist\n'); // both lines arrive in one chunk: the second waits in the queue
  expect(await first).toBe('list');
  lines.close();
  expect(lines.next()).toBeUndefined();
  expect(input.listenerCount('data')).toBe(0);
  const other = new PipeLines(new PassThrough());
  const waiting = other.next();
  other.close();
  expect(await waiting).toBeUndefined();
});

it('reads a script from the fd itself (ReadableFd): lines, a character cut between two reads, the end', async () => {
  const { readEnd, writeEnd } = fifo();
  const lines = new PipeLines(ReadableFd.open(readEnd, { bufferSize: 3 })); // reads of 3 bytes cut 'é' (2 bytes)
  writeSync(writeEnd, 'attach net_null0\r\nbogus é\n');
  writeSync(writeEnd, 'quit');
  closeSync(writeEnd);
  expect(await drain(lines)).toEqual(['attach net_null0', 'bogus é', 'quit']);
});

it('close() stops reading the fd and answers a waiting reader with the end', async () => {
  const { readEnd, writeEnd } = fifo();
  cleanups.push(() => closeSync(writeEnd));
  const reader = ReadableFd.open(readEnd);
  const lines = new PipeLines(reader);
  writeSync(writeEnd, 'list\n');
  expect(await lines.next()).toBe('list');
  const waiting = lines.next();
  lines.close();
  expect(await waiting).toBeUndefined();
  expect(reader.listenerCount('data')).toBe(0);
});

it('a read error ends the script after the whole lines before it, and is kept as the failure', async () => {
  const input = new PassThrough();
  const lines = new PipeLines(input);
  input.write('attach net_null0\nlis');
  input.destroy(new Error('EIO: read failed'));
  expect(await drain(lines)).toEqual(['attach net_null0', 'lis']);
  expect(lines.failure?.message).toBe('EIO: read failed');
  expect(() => input.emit('error', new Error('late'))).not.toThrow(); // still heard after the end
});
