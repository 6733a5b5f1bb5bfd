import { createRequire } from 'node:module';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';
import { EalTsError } from '@eal-ts/errno';

import { SysError, UnixDgramSocket, flock, setRecordLock, testRecordLock } from '../src/index.js';
import { addonPath } from '../src/addon.js';
import { makeTempDir, removeTempDirs } from './helpers.js';

const sockets: UnixDgramSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) await socket.close();
  await removeTempDirs();
});

/** Smuggles a wrongly typed value past the compiler: these calls are wrong on purpose. */
const wrong = <T>(value: unknown): T => value as T;

describe('argument validation', () => {
  it('rejects bad bind arguments with TypeError or RangeError', async () => {
    await expect(UnixDgramSocket.bind(wrong(42))).rejects.toThrow(TypeError);
    await expect(UnixDgramSocket.bind('')).rejects.toThrow(TypeError);
    await expect(UnixDgramSocket.bind('/tmp/a\0b')).rejects.toThrow(/NUL/);
    await expect(UnixDgramSocket.bind('/tmp/x', wrong('big'))).rejects.toThrow(TypeError);
    await expect(UnixDgramSocket.bind('/tmp/x', { receiveBufferSize: 0 })).rejects.toThrow(RangeError);
    await expect(UnixDgramSocket.bind('/tmp/x', { receiveBufferSize: 1.5 })).rejects.toThrow(RangeError);
    await expect(UnixDgramSocket.bind('/tmp/x', { maxReceiveFds: 254 })).rejects.toThrow(RangeError);
    await expect(UnixDgramSocket.bind('/tmp/x', { maxReceiveFds: wrong('1') })).rejects.toThrow(TypeError);
  });

  it('rejects bad send arguments with TypeError or RangeError', async () => {
    const dir = await makeTempDir();
    const socket = await UnixDgramSocket.bind(join(dir, 's.sock'));
    sockets.push(socket);
    await expect(socket.send(wrong(null), Buffer.from('x'))).rejects.toThrow(TypeError);
    await expect(socket.send(socket.path, wrong('text'))).rejects.toThrow(/Uint8Array/);
    await expect(socket.send(socket.path, wrong([1, 2, 3]))).rejects.toThrow(TypeError);
    await expect(socket.send(socket.path, Buffer.from('x'), wrong(3))).rejects.toThrow(TypeError);
    await expect(socket.send(socket.path, Buffer.from('x'), [-1])).rejects.toThrow(RangeError);
    await expect(socket.send(socket.path, Buffer.from('x'), [1.5])).rejects.toThrow(RangeError);
    await expect(socket.send(socket.path, Buffer.from('x'), wrong(['3']))).rejects.toThrow(TypeError);
    await expect(socket.send(socket.path, Buffer.from('x'), new Array<number>(254).fill(0))).rejects.toThrow(RangeError);
  });

  it('rejects bad lock arguments with TypeError or RangeError', async () => {
    await expect(setRecordLock(-1, 'write')).rejects.toThrow(RangeError);
    await expect(setRecordLock(wrong('3'), 'write')).rejects.toThrow(TypeError);
    await expect(setRecordLock(0, wrong('exclusive'))).rejects.toThrow(TypeError);
    await expect(setRecordLock(0, 'write', { start: -1 })).rejects.toThrow(RangeError);
    await expect(setRecordLock(0, 'write', { length: 2 ** 60 })).rejects.toThrow(RangeError);
    await expect(setRecordLock(0, 'write', {}, wrong({ wait: 'yes' }))).rejects.toThrow(TypeError);
    await expect(testRecordLock(wrong({}), 'write')).rejects.toThrow(TypeError);
    await expect(testRecordLock(0, wrong('unlock'))).rejects.toThrow(TypeError);
    await expect(flock(0, wrong('write'))).rejects.toThrow(TypeError);
    await expect(flock(Number.NaN, 'shared')).rejects.toThrow(RangeError);
  });

  it('turns native errno failures into SysError with the errno name, and exposes the fields', () => {
    const error = new SysError(11, 'sendmsg', '/run/x');
    expect(error).toMatchObject({ name: 'SysError', code: 'EAGAIN', errno: -11, syscall: 'sendmsg', path: '/run/x' });
    expect(new SysError('ENOTSUP', 'mp')).toMatchObject({ code: 'ENOTSUP', errno: -95 });
    expect(new SysError(35, 'fcntl').code).toBe('EDEADLK');
    expect(new SysError(111, 'sendmsg', '/p', { description: 'Connection refused' }).message).toBe(
      'sendmsg /p: ECONNREFUSED (Connection refused)',
    );
    expect('path' in new SysError(9, 'flock')).toBe(false);
    expect(new SysError(-11, 'send')).toMatchObject({ code: 'EAGAIN', errno: -11 });
    expect(new SysError(-11, 'send')).toBeInstanceOf(EalTsError);
  });

  it("maps the addon's errors (positive errno, syscall, path, description) into SysError", () => {
    const native = Object.assign(new Error('open /x: No such file or directory'), {
      errno: 2,
      syscall: 'open',
      path: '/x',
      description: 'No such file or directory',
    });
    expect(SysError.fromNative(native)).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'open', path: '/x' });
    expect(SysError.fromNative(native).message).toBe('open /x: ENOENT (No such file or directory)');
  });
});

describe('the native addon called directly with nonsense', () => {
  it('throws instead of crashing the process', () => {
    const native = createRequire(import.meta.url)(addonPath) as Record<string, (...args: unknown[]) => unknown>;
    const calls: Array<[string, unknown[]]> = [
      ['dgramBind', []],
      ['dgramBind', [1, 2, 3, 4]],
      ['dgramBind', ['/tmp/never', -5, 1, () => undefined]],
      ['dgramBind', ['/tmp/never', 4096, 999, () => undefined]],
      ['dgramBind', ['/tmp/never', 4096, 1, 'not a function']],
      ['dgramSend', [{}, '/tmp/x', Buffer.from('x'), []]],
      ['dgramSend', [null, null, null, null]],
      ['dgramSend', [undefined]],
      ['dgramClose', [{}]],
      ['dgramClose', [42]],
      ['dgramRef', [{}, true]],
      ['recordLock', [0, 'sideways', 0, 0]],
      ['recordLock', [0, 'write', -1, 0]],
      ['recordLock', [0, 'write', 0]],
      ['recordLock', [{}, 'write', 0, 0]],
      ['recordLockTest', [[], 'write', 0, 0]],
      ['recordLockTest', ['/tmp/x', 7, 0, 0]],
      ['flockLock', [0, 'write']],
      ['flockLock', [Infinity, 'shared']],
      ['flockLock', []],
    ];
    for (const [name, args] of calls) {
      const fn = native[name];
      expect(fn, name).toBeTypeOf('function');
      expect(() => fn?.(...args), `${name}(${args.map((a) => typeof a).join(', ')})`).toThrow(/must|needs|handle|range/);
    }
  });
});
