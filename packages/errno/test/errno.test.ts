import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ERRNO, EalTsError, errnoNameOf, errnoOf, isErrnoName, nameOf, strerror } from '../src/index.js';

class PlainError extends EalTsError {}
class OtherError extends EalTsError {}

class DetailedError extends EalTsError<'EBADMSG'> {
  constructor(
    readonly detail: string,
    message: string,
  ) {
    super('EBADMSG', message);
  }
}

describe('the errno table', () => {
  it("holds Linux's numbers, as the host's own table has them on Linux", () => {
    expect(ERRNO.ENOENT).toBe(2);
    expect(ERRNO.ENODEV).toBe(19);
    expect(ERRNO.ECANCELED).toBe(125);
    if (process.platform === 'linux') {
      const host = constants.errno as Record<string, number>;
      for (const [name, value] of Object.entries(ERRNO)) if (name in host) expect([name, host[name]]).toEqual([name, value]);
    }
  });

  it('goes both ways, negative as DPDK returns it, positive as C errno holds it', () => {
    expect(errnoOf('ENODEV')).toBe(-19);
    expect(errnoOf('EWOULDBLOCK')).toBe(-11);
    expect(errnoOf('ENOTANERRNO')).toBeUndefined();
    expect(errnoOf('toString')).toBeUndefined();
    expect(errnoNameOf({ code: 'constructor' })).toBeUndefined();
    expect(nameOf(-14)).toBe('EFAULT');
    expect(nameOf(14)).toBe('EFAULT');
    expect(nameOf(95)).toBe('ENOTSUP');
    expect(nameOf(35)).toBe('EDEADLK');
    expect(nameOf(-41)).toBeUndefined();
    for (const name of Object.keys(ERRNO)) expect(nameOf(errnoOf(name) ?? 0)).toBe(name);
    expect(isErrnoName('EAGAIN')).toBe(true);
    expect(isErrnoName('EWOULDBLOCK')).toBe(false);
    expect(isErrnoName('toString')).toBe(false);
  });

  it("gives the C library's texts", () => {
    expect(strerror('ECONNREFUSED')).toBe('Connection refused');
    expect(strerror(-2)).toBe('No such file or directory');
    expect(strerror(41)).toBe('Unknown error 41');
  });
});

describe('EalTsError', () => {
  it('carries the name, a negative errno, the cause and the class name', () => {
    const cause = new Error('inner');
    const error = new PlainError('ENODEV', 'no such port', { cause });
    expect(error).toBeInstanceOf(EalTsError);
    expect(error).toMatchObject({ name: 'PlainError', code: 'ENODEV', errno: -19, message: 'no such port', cause });
    expect('cause' in new PlainError('EIO', 'x')).toBe(false);
    expect('context' in new PlainError('EIO', 'x')).toBe(false);
  });

  it('keeps a number outside the table under its label, negative whatever the sign given', () => {
    expect(new PlainError('EIO', 'odd', { errno: 200 }).errno).toBe(-200);
    expect(new PlainError('EIO', 'odd', { errno: -200 }).errno).toBe(-200);
    expect(new PlainError('EFOO', 'unknown name').errno).toBe(-5);
  });

  it('from(): an error of the class is returned as is', () => {
    const error = new PlainError('EEXIST', 'taken');
    expect(PlainError.from(error, 'EIO', 'context')).toBe(error);
  });

  it("from(): Node's fs errors keep their name and number, the context goes first", async () => {
    const { readFile } = await import('node:fs/promises');
    const thrown = await readFile('/nonexistent/eal-ts-errno-test').catch((e: unknown) => e);
    const error = PlainError.from(thrown, 'EIO', 'cannot read the table');
    expect(error).toBeInstanceOf(PlainError);
    expect(error).toMatchObject({ code: 'ENOENT', errno: -2, context: 'cannot read the table', cause: thrown });
    expect(error.message).toBe(`cannot read the table: ${(thrown as Error).message}`);
  });

  it('from(): another eal-ts error keeps its code and its number, even one outside the table', () => {
    const other = new DetailedError('name', 'bad message');
    expect(PlainError.from(other)).toMatchObject({ code: 'EBADMSG', errno: -74, message: 'bad message', cause: other });
    const peer = new PlainError('EIO', 'peer said -200', { errno: -200 });
    expect(EalTsError.from(peer)).toBe(peer);
    expect(OtherError.from(peer)).toMatchObject({ code: 'EIO', errno: -200 });
  });

  it('from(): native errors with a positive errno and no code get its name', () => {
    const native = Object.assign(new Error('sendmsg /p: Connection refused'), { errno: 111, syscall: 'sendmsg' });
    expect(PlainError.from(native)).toMatchObject({ code: 'ECONNREFUSED', errno: -111 });
    expect(errnoNameOf(native)).toBe('ECONNREFUSED');
  });

  it('from(): strings and errors without errno get the fallback; aborts are ECANCELED', async () => {
    expect(PlainError.from('boom', 'EPROTO')).toMatchObject({ code: 'EPROTO', errno: -71, message: 'boom', cause: 'boom' });
    const typeError = new TypeError('not a function');
    expect(PlainError.from(typeError, 'EINVAL', 'driver x')).toMatchObject({
      code: 'EINVAL',
      message: 'driver x: not a function',
      cause: typeError,
    });
    expect(PlainError.from(Object.assign(new Error('x'), { code: 'ERR_INVALID_ARG_TYPE' }))).toMatchObject({ code: 'EIO' });
    expect(errnoNameOf(undefined)).toBeUndefined();
    const aborted = await import('node:timers/promises').then((t) => t.setTimeout(1, undefined, { signal: AbortSignal.abort() }).catch((e: unknown) => e));
    expect(PlainError.from(aborted, 'EIO', 'waiting')).toMatchObject({ code: 'ECANCELED', errno: -125, cause: aborted });
    expect(errnoNameOf(new DOMException('stop', 'AbortError'))).toBe('ECANCELED');
    expect(errnoNameOf({ code: 'EWOULDBLOCK' })).toBe('EAGAIN');
  });
});
