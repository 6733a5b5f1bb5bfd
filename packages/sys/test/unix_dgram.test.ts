import { closeSync, fstatSync, openSync, readFileSync, readSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { type Datagram, SysError, UnixDgramSocket } from '../src/index.js';
import { holdsFor } from '@eal-ts/test-kit';
import { Child, Inbox, killChildren, makeTempDir, removeTempDirs } from './helpers.js';

const sockets: UnixDgramSocket[] = [];
const ownedFds: number[] = [];

async function bindHere(path: string, options?: Parameters<typeof UnixDgramSocket.bind>[1]) {
  const socket = await UnixDgramSocket.bind(path, options);
  sockets.push(socket);
  const inbox = new Inbox<Datagram>();
  socket.on('datagram', (d) => {
    ownedFds.push(...d.fds);
    inbox.push(d);
  });
  return { socket, inbox };
}

/** The child peer's file spec: created with `content`, unlinked and closed by the child once sent. */
function childFile(dir: string, name: string, content: string) {
  return { path: join(dir, name), content, unlink: true };
}

/** A socket here and a peer child bound at childPath, both in a fresh directory. */
async function withChild(options?: Parameters<typeof UnixDgramSocket.bind>[1]) {
  const dir = await makeTempDir();
  const childPath = join(dir, 'child.sock');
  const { socket, inbox } = await bindHere(join(dir, 'parent.sock'), options);
  const child = await Child.peer();
  await child.request('bind', { name: 's', path: childPath });
  /** Has the child send one datagram to this process's socket. */
  const childSends = (args: Record<string, unknown>) => child.request('send', { name: 's', to: socket.path, ...args });
  return { dir, childPath, socket, inbox, child, childSends };
}

function readAll(fd: number): string {
  const buffer = Buffer.alloc(4096);
  return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
}

afterEach(async () => {
  await killChildren();
  for (const socket of sockets.splice(0)) await socket.close();
  for (const fd of ownedFds.splice(0)) {
    try {
      closeSync(fd);
    } catch {
      // closed by the test itself
    }
  }
  await removeTempDirs();
});

interface ReportedDatagram {
  data: string;
  size: number;
  truncated: boolean;
  controlTruncated: boolean;
  peer: string;
  fdCount: number;
  fdContents: string[];
  credentials: { pid: number; uid: number; gid: number } | null;
}

describe('UnixDgramSocket between processes', () => {
  it('carries a datagram to another process and back with identical bytes and the sender path as peer', async () => {
    const { childPath, socket, inbox, child } = await withChild();
    await child.request('echo', { name: 's' });

    const payload = Buffer.alloc(332);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + 3) & 0xff;
    await socket.send(childPath, payload);

    const atChild = (await child.nextEvent((e) => e.event === 'datagram', 'the datagram at the child')) as unknown as ReportedDatagram;
    expect(atChild.data).toBe(payload.toString('hex'));
    expect(atChild.peer).toBe(socket.path);
    expect(atChild.size).toBe(332);

    const back = await inbox.next('the echo');
    expect(back.data.equals(payload)).toBe(true);
    expect(back.size).toBe(332);
    expect(back.truncated).toBe(false);
    expect(back.controlTruncated).toBe(false);
    expect(back.peer).toBe(childPath);
    expect(back.fds).toEqual([]);
  });

  it("reports the sending child's pid, uid and gid as credentials", async () => {
    const { inbox, child, childSends } = await withChild();
    await childSends({ data: 'aa' });

    const d = await inbox.next('the datagram from the child');
    expect(d.credentials).toEqual({ pid: child.pid, uid: process.getuid?.(), gid: process.getgid?.() });
    expect(d.credentials?.pid).not.toBe(process.pid);
  });

  it('hands over an fd the child opened so this process reads and writes the same file through it', async () => {
    const { dir, inbox, childSends } = await withChild();
    // The child unlinks the file and closes its fd after sending: the passed fd
    // is then the only way left to reach the file.
    await childSends({ data: '01', files: [childFile(dir, 'secret.txt', 'written by the child')] });

    const d = await inbox.next('the datagram carrying an fd');
    expect(d.fds).toHaveLength(1);
    const fd = d.fds[0] as number;
    expect(fstatSync(fd).nlink).toBe(0);
    expect(readAll(fd)).toBe('written by the child');
    writeSync(fd, '!', 20);
    expect(readAll(fd)).toBe('written by the child!');
  });

  it('passes several fds in both directions', async () => {
    const { dir, childPath, socket, inbox, child, childSends } = await withChild();

    // Parent -> child: three files; the child reads each and appends to it.
    const files = ['one', 'two', 'three'].map((name) => {
      const path = join(dir, `${name}.txt`);
      writeFileSync(path, `parent file ${name}`);
      const fd = openSync(path, 'r+');
      ownedFds.push(fd);
      return { path, fd, name };
    });
    await socket.send(
      childPath,
      Buffer.from('fds'),
      files.map((f) => f.fd),
    );
    const atChild = (await child.nextEvent((e) => e.event === 'datagram', 'the fds at the child')) as unknown as ReportedDatagram;
    expect(atChild.fdCount).toBe(3);
    expect(atChild.fdContents).toEqual(files.map((f) => `parent file ${f.name}`));
    for (const f of files) expect(readFileSync(f.path, 'utf8')).toBe(`parent file ${f.name} +seen by ${child.pid}`);

    // Child -> parent: two files of its own in one datagram.
    await childSends({ data: '02', files: [childFile(dir, 'c1.txt', 'child file 1'), childFile(dir, 'c2.txt', 'child file 2')] });
    const d = await inbox.next('the fds from the child');
    expect(d.fds.map(readAll)).toEqual(['child file 1', 'child file 2']);
  });

  it('receives the 253 fds DPDK allows in one datagram without MSG_CTRUNC', async () => {
    const { dir, inbox, childSends } = await withChild();
    await childSends({ data: '03', files: [childFile(dir, 'many.txt', 'same file')], repeatFd: 253 });
    const d = await inbox.next('253 fds');
    expect(d.controlTruncated).toBe(false);
    expect(d.fds).toHaveLength(253);
    expect(new Set(d.fds).size).toBe(253);
    expect(readAll(d.fds[252] as number)).toBe('same file');
  });

  it('reports MSG_CTRUNC and still hands over the fds that fit when a datagram brings more fds than maxReceiveFds', async () => {
    const { dir, inbox, child, childSends } = await withChild({ maxReceiveFds: 1 });
    await childSends({ data: '04', files: [childFile(dir, 'f.txt', 'x')], repeatFd: 20 });
    const d = await inbox.next('the datagram with too many fds');
    expect(d.controlTruncated).toBe(true);
    expect(d.credentials?.pid).toBe(child.pid);
    expect(d.fds.length).toBeGreaterThanOrEqual(1);
    expect(d.fds.length).toBeLessThan(20);
    for (const fd of d.fds) expect(fstatSync(fd).isFile()).toBe(true);
  });

  it('reports a datagram larger than receiveBufferSize as truncated with its real size', async () => {
    const { inbox, childSends } = await withChild({ receiveBufferSize: 64 });
    const big = Buffer.alloc(1000, 0x5a);
    big.write('head', 0);
    await childSends({ data: big.toString('hex') });

    const d = await inbox.next('the oversized datagram');
    expect(d.truncated).toBe(true);
    expect(d.size).toBe(1000);
    expect(d.data.length).toBe(64);
    expect(d.data.equals(big.subarray(0, 64))).toBe(true);
  });

  it('delivers a burst far beyond the receive queue length, in order, by retrying a full queue', async () => {
    const { socket, inbox, child } = await withChild();
    const count = 500;
    await child.request('sendMany', { name: 's', to: socket.path, count });
    const seen: number[] = [];
    for (let i = 0; i < count; i++) seen.push((await inbox.next(`datagram ${i}`)).data.readUInt32LE(0));
    expect(seen).toEqual(Array.from({ length: count }, (_, i) => i));
  });

  it('rejects with SysError EAGAIN after the retry budget when the receiver never drains its queue', async () => {
    const { childPath, socket, child } = await withChild();
    process.kill(child.pid, 'SIGSTOP');
    let error: unknown;
    // net.unix.max_dgram_qlen is small (10 by default); a stopped receiver fills up quickly.
    for (let i = 0; i < 10_000 && error === undefined; i++) {
      await socket.send(childPath, Buffer.from([i & 0xff])).catch((e: unknown) => {
        error = e;
      });
    }
    expect(error).toBeInstanceOf(SysError);
    expect(error).toMatchObject({ code: 'EAGAIN', syscall: 'sendmsg', path: childPath });
  });

  it('names an abstract-namespace sender "@name"', async () => {
    const name = `@eal-sys-test-${process.pid}-${Date.now()}`;
    const dir = await makeTempDir();
    const { socket: sender } = await bindHere(name);
    const { socket: receiver, inbox } = await bindHere(join(dir, 'r.sock'));
    await sender.send(receiver.path, Buffer.from('abstract'));
    const d = await inbox.next('the datagram from the abstract socket');
    expect(d.peer).toBe(name);
    // ...and the name works as a destination too.
    await receiver.send(d.peer, Buffer.from('reply'));
  });
});

describe('UnixDgramSocket errors', () => {
  it('rejects a send to a path nobody is bound to any more with SysError ECONNREFUSED', async () => {
    const dir = await makeTempDir();
    const gonePath = join(dir, 'gone.sock');
    const gone = await UnixDgramSocket.bind(gonePath);
    await gone.close(); // leaves the path in place, like a crashed DPDK secondary
    const { socket } = await bindHere(join(dir, 'me.sock'));
    const error = await socket.send(gonePath, Buffer.from('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SysError);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', errno: -111, syscall: 'sendmsg', path: gonePath });
    expect((error as Error).message).toBe(`sendmsg ${gonePath}: ECONNREFUSED (Connection refused)`);
  });

  it('rejects a send to a missing path with SysError ENOENT', async () => {
    const dir = await makeTempDir();
    const { socket } = await bindHere(join(dir, 'me.sock'));
    await expect(socket.send(join(dir, 'missing'), Buffer.from('x'))).rejects.toMatchObject({
      name: 'SysError',
      code: 'ENOENT',
      syscall: 'sendmsg',
    });
  });

  it('rejects a second bind on the same path with SysError EADDRINUSE', async () => {
    const dir = await makeTempDir();
    const path = join(dir, 'twice.sock');
    await bindHere(path);
    const error = await UnixDgramSocket.bind(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SysError);
    expect(error).toMatchObject({ code: 'EADDRINUSE', syscall: 'bind', path });
  });

  it('rejects a path longer than sun_path with SysError ENAMETOOLONG, for bind and send', async () => {
    const dir = await makeTempDir();
    const long = join(dir, 'x'.repeat(200));
    await expect(UnixDgramSocket.bind(long)).rejects.toMatchObject({ code: 'ENAMETOOLONG', syscall: 'bind' });
    const { socket } = await bindHere(join(dir, 'me.sock'));
    await expect(socket.send(long, Buffer.from('x'))).rejects.toMatchObject({ code: 'ENAMETOOLONG', syscall: 'sendmsg' });
  });

  it('stops delivering after close, keeps the path, and rejects later sends with SysError EBADF', async () => {
    const dir = await makeTempDir();
    const { socket: sender } = await bindHere(join(dir, 'sender.sock'));
    const { socket: receiver, inbox } = await bindHere(join(dir, 'receiver.sock'));
    await sender.send(receiver.path, Buffer.from('before'));
    expect((await inbox.next('the datagram before close')).data.toString()).toBe('before');

    await receiver.close();
    await receiver.close(); // idempotent
    expect(readdirSync(dir)).toContain('receiver.sock');
    await expect(sender.send(receiver.path, Buffer.from('after'))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(receiver.send(sender.path, Buffer.from('x'))).rejects.toMatchObject({ code: 'EBADF', syscall: 'sendmsg' });
    // Nothing may arrive after close: watch the inbox for a while.
    await holdsFor(() => inbox.items.length === 0, 50, 'the closed receiver getting nothing');
  });
});
