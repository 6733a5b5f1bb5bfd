import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { Child, killChildren, makeTempDir, removeTempDirs, within } from './helpers.js';

afterEach(async () => {
  await killChildren();
  await removeTempDirs();
});

describe('UnixDgramSocket and the event loop', () => {
  it('lets a process exit on its own once its socket is closed', async () => {
    const dir = await makeTempDir();
    const child = Child.run('close-then-exit.mjs', [join(dir, 's.sock')]);
    const { code, signal } = await within(child.exited, 'the child to exit by itself after close()', 20_000);
    expect({ code, signal, stderr: child.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(child.stdout).toContain('closed after ping');
  });

  it('lets a process exit with a socket still open once it is unref()ed', async () => {
    const dir = await makeTempDir();
    const child = Child.run('close-then-exit.mjs', [join(dir, 's.sock'), 'unref']);
    const { code } = await within(child.exited, 'the child to exit by itself after unref()', 20_000);
    expect(code).toBe(0);
    expect(child.stdout).toContain('unref');
  });

  it('keeps receiving after a datagram listener throws, the error going to uncaughtException', async () => {
    const dir = await makeTempDir();
    const child = Child.run('throwing-listener.mjs', [join(dir, 's.sock'), 'handled']);
    const { code } = await within(child.exited, 'the child to finish', 20_000);
    expect(code, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({
      seen: ['first', 'second'],
      caught: ['listener failure on first'],
    });
  });

  it('reports a throwing datagram listener like any uncaught exception when nothing handles it', async () => {
    const dir = await makeTempDir();
    const child = Child.run('throwing-listener.mjs', [join(dir, 's.sock'), 'unhandled']);
    const { code, signal } = await within(child.exited, 'the child to die of its exception', 20_000);
    expect(signal).toBeNull();
    expect(code).toBe(1);
    expect(child.stderr).toContain('listener failure on first');
    expect(child.stdout).toBe('');
  });
});
