import { describe, expect, it, vi } from 'vitest';
import { MpChannel } from '../src/eal_common_proc.js';
import type { MpResponse } from '../src/mp_types.js';
import type { MpError } from '../src/errors.js';
import { decodeMpMsg, MpMsgType } from '../src/rte_mp_msg.js';
import { MemoryNetwork } from '../src/transport_memory.js';
import { DIR, msg, newWorld, pair, PRIMARY, w } from './mp_world.js';

/** Registers an action that answers every request with its param plus one byte naming the secondary. */
function echo(channel: MpChannel, name: string, tag: number): void {
  channel.register(name, (m, peer) => channel.reply(msg(name, [...m.param, tag]), peer).then(() => undefined));
}

describe('MpChannel over MemoryNetwork', () => {
  it('a secondary requests and the primary replies', async () => {
    newWorld();
    const primary = await w.open('primary');
    const secondary = await w.open('secondary');
    primary.register('ping', (m, peer) => primary.reply(msg('ping', [m.param[0]! + 1]), peer).then(() => undefined));
    const res = await w.run(secondary.request(msg('ping', [41]), { timeoutMs: 5000 }));
    expect(res.nbSent).toBe(1);
    expect(res.nbReceived).toBe(1);
    expect(res.replies).toEqual([{ name: 'ping', param: Uint8Array.from([42]), fds: [], peer: PRIMARY }]);
  });

  it('the primary requests every secondary at once and gathers the replies in parallel, in peer-path order', async () => {
    newWorld();
    const primary = await w.open('primary');
    const secondaries = [await w.open('secondary'), await w.open('secondary'), await w.open('secondary')];
    secondaries.forEach((s, i) => echo(s, 'sync', i));
    const events: string[] = [];
    // Every answer takes 100 ms to arrive: one after the other would take 300 ms.
    w.network.delay = (from, to, bytes) => {
      events.push(`${decodeMpMsg(bytes).type === MpMsgType.REQ ? 'REQ' : 'REP'} ${from.slice(-6)}->${to.slice(-6)}`);
      return from === PRIMARY ? 0 : 100;
    };
    const res = await w.run(primary.request(msg('sync', [7]), { timeoutMs: 5000 }));
    expect(w.clock.now()).toBeLessThan(200);
    expect(events.slice(0, 3).every((e) => e.startsWith('REQ'))).toBe(true);
    expect(res.nbSent).toBe(3);
    expect(res.nbReceived).toBe(3);
    expect(res.replies.map((r) => r.peer)).toEqual(secondaries.map((s) => s.path).sort());
    expect(res.replies.map((r) => [...r.param])).toEqual([[7, 0], [7, 1], [7, 2]]);
  });

  it('a MSG from the primary is broadcast to every secondary; from a secondary it goes to the primary', async () => {
    newWorld();
    const primary = await w.open('primary');
    const got: string[] = [];
    const secondaries = [await w.open('secondary'), await w.open('secondary')];
    secondaries.forEach((s) => s.register('note', (m, peer) => void got.push(`${s.path}<-${peer}:${m.param[0]}`)));
    primary.register('note', (m, peer) => void got.push(`primary<-${peer}:${m.param[0]}`));
    expect(await w.run(primary.send(msg('note', [1])))).toBe(2);
    expect(await w.run(secondaries[0]!.send(msg('note', [2])))).toBe(1);
    expect(got.sort()).toEqual(
      [...secondaries.map((s) => `${s.path}<-${PRIMARY}:1`), `primary<-${secondaries[0]!.path}:2`].sort(),
    );
  });

  it('a second request to the same (peer, name) while one is pending fails with EEXIST before sending anything', async () => {
    newWorld();
    const primary = await w.open('primary');
    const a = await w.open('secondary');
    const b = await w.open('secondary');
    let requests = 0;
    a.register('slow', () => void requests++); // never answers
    b.register('slow', () => void requests++);
    const first = primary.request(msg('slow'), { timeoutMs: 1000 });
    first.catch(() => undefined);
    await w.clock.advance(10);
    expect(requests).toBe(2);
    await expect(primary.request(msg('slow'), { timeoutMs: 1000 })).rejects.toMatchObject({ code: 'EEXIST' });
    await w.clock.advance(10);
    expect(requests).toBe(2);
    const other = a.request(msg('slow'), { timeoutMs: 1000 }); // a different pair: (mp_socket, slow) from a
    primary.register('slow', () => undefined);
    await w.run(other);
    expect(await first).toMatchObject({ nbSent: 2, nbReceived: 0 });
  });

  it('a secondary that has not completed init answers IGN for an unknown action and is not counted', async () => {
    newWorld();
    const primary = await w.open('primary');
    const ready = await w.open('secondary');
    const starting = await w.open('secondary');
    echo(ready, 'hotplug', 1);
    const res = await w.run(primary.request(msg('hotplug'), { timeoutMs: 5000 }));
    expect(res).toMatchObject({ nbSent: 1, nbReceived: 1 });
    expect(res.replies[0]!.peer).toBe(ready.path);
    expect(w.clock.now()).toBe(0); // IGN ends the wait: no timeout involved
    expect(starting.initCompleted).toBe(false);
  });

  it('after initComplete an unknown action is only logged, and the requester times out on it', async () => {
    const { primary, s } = await pair();
    s.initComplete();
    const res = await w.run(primary.request(msg('nobody'), { timeoutMs: 500 }));
    expect(res).toMatchObject({ nbSent: 1, nbReceived: 0, replies: [] });
    expect(w.lines).toContain('EAL: Cannot find action: nobody');
    expect(w.lines).toContain(`EAL: Fail to recv reply for request ${s.path}:nobody`);
  });

  it('a silent secondary leaves nbReceived < nbSent once the timeout passes, without an error', async () => {
    newWorld();
    const primary = await w.open('primary');
    const quiet = await w.open('secondary');
    const chatty = await w.open('secondary');
    quiet.register('q', () => undefined);
    echo(chatty, 'q', 9);
    let result: MpResponse | undefined;
    void primary.request(msg('q'), { timeoutMs: 5000 }).then((r) => (result = r));
    await w.clock.advance(4999);
    expect(result).toBeUndefined();
    await w.clock.advance(1);
    expect(result).toMatchObject({ nbSent: 2, nbReceived: 1 });
    expect(result!.replies.map((r) => r.peer)).toEqual([chatty.path]);
  });

  it('a dead secondary (ECONNREFUSED) is not counted and its socket file is removed', async () => {
    newWorld();
    const primary = await w.open('primary');
    const alive = await w.open('secondary');
    const dead = await w.open('secondary');
    echo(alive, 'x', 1);
    w.network.kill(dead.path);
    expect(w.network.paths(DIR)).toContain(dead.path);
    const res = await w.run(primary.request(msg('x'), { timeoutMs: 5000 }));
    expect(res).toMatchObject({ nbSent: 1, nbReceived: 1 });
    expect(w.network.paths(DIR)).not.toContain(dead.path);
    expect(w.network.paths(DIR)).toContain(alive.path);
  });

  it('a send error other than ECONNREFUSED rejects the whole request with it', async () => {
    newWorld();
    const primary = await w.open('secondary');
    // No primary at all: ENOENT for the secondary's only target.
    await expect(w.run(primary.request(msg('x'), { timeoutMs: 100 }))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('for a secondary, a dead primary is an error (ECONNREFUSED), not a skipped peer', async () => {
    const { primary, s } = await pair();
    w.network.kill(primary.path);
    await expect(w.run(s.request(msg('x'), { timeoutMs: 100 }))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(w.run(s.send(msg('x')))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('an AbortSignal cancels: the request rejects with the reason and its pending entries are gone', async () => {
    const { primary, s } = await pair();
    s.register('wait', () => undefined);
    const ac = new AbortController();
    const p = primary.request(msg('wait'), { timeoutMs: 5000, signal: ac.signal });
    p.catch(() => undefined);
    await w.clock.advance(10);
    const reason = new Error('user gave up');
    ac.abort(reason);
    await expect(p).rejects.toBe(reason);
    // The same pair is free again.
    echo(s, 'wait2', 0);
    s.unregister('wait');
    echo(s, 'wait', 0);
    await expect(w.run(primary.request(msg('wait'), { timeoutMs: 5000 }))).resolves.toMatchObject({ nbReceived: 1 });
    await expect(primary.request(msg('wait'), { timeoutMs: 5, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it('enforces DPDK limits on names, params and fds with EINVAL and E2BIG', async () => {
    newWorld();
    const p = await w.open('primary');
    const s = await w.open('secondary', { maxFds: 253 });
    const code = async (x: Promise<unknown>): Promise<string> => x.then(() => 'ok', (e: MpError) => e.code);
    expect(await code(p.send(msg('')))).toBe('EINVAL');
    expect(await code(p.send(msg('n'.repeat(64))))).toBe('E2BIG');
    expect(await code(p.send(msg('n', new Array<number>(257).fill(0))))).toBe('E2BIG');
    expect(await code(p.send(msg('n', [], [0, 1, 2, 3, 4, 5, 6, 7, 8])))).toBe('E2BIG');
    expect(await code(p.send(msg('n', [], [-1])))).toBe('EINVAL');
    expect(await code(p.request(msg('n'), { timeoutMs: -1 }))).toBe('EINVAL');
    p.register('n'.repeat(63), () => undefined);
    expect(await code(w.run(s.send(msg('n', [], [0, 1, 2, 3, 4, 5, 6, 7, 8]))))).toBe('ok');
    expect(() => p.register('', () => undefined)).toThrow(expect.objectContaining({ code: 'EINVAL' }) as Error);
    expect(() => p.register('n'.repeat(64), () => undefined)).toThrow(expect.objectContaining({ code: 'E2BIG' }) as Error);
    p.register('dup', () => undefined);
    expect(() => p.register('dup', () => undefined)).toThrow(expect.objectContaining({ code: 'EEXIST', errno: -17 }) as Error);
    expect(p.unregister('dup')).toBe(true);
    expect(p.unregister('dup')).toBe(false);
    await expect(s.sendTo(`${DIR}/mp_socket_1_b`, msg('n'))).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('a handler that throws or rejects is logged and the channel keeps working', async () => {
    const { primary, s } = await pair();
    primary.register('boom', () => {
      throw new Error('kaput');
    });
    primary.register('later', () => Promise.reject(new Error('async kaput')));
    echo(primary, 'fine', 1);
    await w.run(s.send(msg('boom')));
    await w.run(s.send(msg('later')));
    expect(w.lines).toContain('EAL: Fail to handle message: boom: kaput');
    expect(w.lines).toContain('EAL: Fail to handle message: later: async kaput');
    expect(await w.run(s.request(msg('fine'), { timeoutMs: 100 }))).toMatchObject({ nbReceived: 1 });
  });

  it('answers each peer in the layout of the last datagram it sent, else the default layout', async () => {
    newWorld();
    const primary = await w.open('primary');
    const modern = await w.open('secondary', { layout: '25.11' });
    const old = await w.open('secondary');
    const label = new Map([[PRIMARY, 'P'], [modern.path, 'M'], [old.path, 'O']]);
    echo(primary, 'v', 0);
    const sizes: string[] = [];
    w.network.delay = (from, to, bytes) => {
      sizes.push(`${label.get(from) ?? 'F'}>${label.get(to) ?? 'F'} ${bytes.length}`);
      return 0;
    };
    modern.register('b', () => undefined);
    old.register('b', () => undefined);
    await w.run(modern.request(msg('v'), { timeoutMs: 100 }));
    await w.run(old.request(msg('v'), { timeoutMs: 100 }));
    await w.run(primary.send(msg('b')));
    expect(sizes).toEqual(['M>P 340', 'P>M 340', 'O>P 332', 'P>O 332', 'P>M 340', 'P>O 332']);

    // A 25.11-default peer that first hears 22.11 from the primary answers in 22.11.
    sizes.length = 0;
    const fresh = await w.open('secondary', { layout: '25.11', socketPath: `${DIR}/mp_socket_fresh` });
    echo(fresh, 'v', 3);
    modern.register('v', (m, peer) => void modern.reply(msg('v'), peer));
    old.register('v', (m, peer) => void old.reply(msg('v'), peer));
    await w.run(primary.request(msg('v'), { timeoutMs: 100 }));
    expect(sizes.filter((x) => x.includes('F'))).toEqual(['P>F 332', 'F>P 332']);
  });

  it('close() rejects pending requests with ECANCELED, unlinks the socket and is idempotent', async () => {
    const { primary, s } = await pair();
    s.register('hang', () => undefined);
    const p = primary.request(msg('hang'), { timeoutMs: 5000 });
    p.catch(() => undefined);
    await w.clock.advance(1);
    await Promise.all([primary.close(), primary.close()]);
    await expect(p).rejects.toMatchObject({ name: 'MpError', code: 'ECANCELED', errno: -125 });
    expect(w.network.paths(DIR)).toEqual([s.path]);
    await expect(primary.send(msg('x'))).rejects.toMatchObject({ code: 'EBADF' });
  });

  it('handlers may themselves broadcast requests (hotplug from a secondary) without deadlock', async () => {
    newWorld();
    const primary = await w.open('primary');
    const asker = await w.open('secondary');
    const other = await w.open('secondary');
    echo(asker, 'dev', 1);
    echo(other, 'dev', 2);
    primary.register('dev', async (m, peer) => {
      const res = await primary.request(msg('dev', [5]), { timeoutMs: 5000 });
      await primary.reply(msg('dev', [res.nbSent, res.nbReceived]), peer);
    });
    const res = await w.run(asker.request(msg('dev'), { timeoutMs: 5000 }));
    expect([...res.replies[0]!.param]).toEqual([2, 2]);
  });

  it('a secondary binding during a broadcast waits for the directory lock, and is not asked', async () => {
    const { primary, s } = await pair();
    s.register('r', (m, peer) => void w.clock.setTimeout(() => void s.reply(msg('r'), peer), 1000));
    const req = primary.request(msg('r'), { timeoutMs: 5000 });
    await w.clock.advance(1);
    let late: MpChannel | undefined;
    const joining = w.open('secondary').then((c) => (late = c));
    await w.clock.advance(10);
    expect(late).toBeUndefined();
    const res = await w.run(req);
    await joining;
    expect(res.nbSent).toBe(1);
    expect(late).toBeDefined();
  });

  it('the primary removes stale secondary sockets and unlocked fbarray files at start', async () => {
    newWorld();
    const old = await w.open('secondary');
    w.network.kill(old.path);
    const live = await w.open('secondary');
    w.network.createFile(`${DIR}/fbarray_memseg-2048k-0-0`);
    w.network.createFile(`${DIR}/fbarray_memseg-2048k-0-1`, { locked: true });
    w.network.createFile(`${DIR}/config`);
    await w.open('primary');
    expect(w.network.paths(DIR)).toEqual(
      [`${DIR}/config`, `${DIR}/fbarray_memseg-2048k-0-1`, PRIMARY, live.path].sort(),
    );
  });

  it('sendTo and reply to a dead peer from the primary resolve false and remove its file', async () => {
    const { primary, s } = await pair();
    w.network.kill(s.path);
    expect(await primary.sendTo(s.path, msg('x'))).toBe(false);
    expect(w.network.paths(DIR)).toEqual([PRIMARY]);
    await expect(primary.sendTo(s.path, msg('x'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('surelyAlone: a primary with no secondary bound, until one binds; never a secondary or a closed channel', async () => {
    newWorld();
    const primary = await w.open('primary');
    expect(primary.surelyAlone()).toBe(true);
    const secondary = await w.open('secondary');
    echo(secondary, 'sync', 1);
    expect(primary.surelyAlone()).toBe(false);
    expect(secondary.surelyAlone()).toBe(false);
    // What it stands for: a request now reaches somebody.
    expect((await w.run(primary.request(msg('sync'), { timeoutMs: 10 }))).nbSent).toBe(1);
    await secondary.close();
    expect(primary.surelyAlone()).toBe(true);
    expect((await w.run(primary.request(msg('sync'), { timeoutMs: 10 }))).nbSent).toBe(0);
    await primary.close();
    expect(primary.surelyAlone()).toBe(false);
  });

  it('the default logger is a fresh lib.eal type with the EAL prefix', async () => {
    const network = new MemoryNetwork();
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const c = await MpChannel.open({ transport: network.transport(), role: 'primary', runtimeDir: DIR });
    try {
      expect(c.logger.type).toBe('lib.eal');
      expect(c.logger.prefix).toBe('EAL');
      expect(stderr).toHaveBeenCalledWith(`EAL: Multi-process socket ${PRIMARY}\n`);
    } finally {
      stderr.mockRestore();
      await c.close();
    }
  });
});

describe('observing and answering unregistered actions (for tools such as eal-mp)', () => {
  it('the tap sees every datagram in and out with its type, name, param, fd count, peer and layout', async () => {
    newWorld();
    const primary = await w.open('primary');
    const traces: unknown[] = [];
    const secondary = await w.open('secondary', { tap: (t) => traces.push(t) });
    echo(primary, 'ping', 7);
    await w.run(secondary.request(msg('ping', [1]), { timeoutMs: 5000 }));
    expect(traces).toEqual([
      { dir: 'out', type: 'REQ', name: 'ping', param: Uint8Array.from([1]), fds: 0, peer: PRIMARY, layout: '22.11' },
      { dir: 'in', type: 'REP', name: 'ping', param: Uint8Array.from([1, 7]), fds: 0, peer: PRIMARY, layout: '22.11' },
    ]);
  });

  it('an unhandled action receives MSG and REQ for unregistered names instead of IGN or a log line', async () => {
    newWorld();
    const primary = await w.open('primary');
    const seen: string[] = [];
    const secondary = await w.open('secondary', {
      unhandled: async (m, peer, type) => {
        seen.push(`${type} ${m.name}`);
        if (type === 'REQ') await secondary.reply(m, peer);
      },
    });
    // Before init complete, a registered-nowhere REQ would get IGN; the hook answers it instead.
    const res = await w.run(primary.request(msg('anything', [5]), { timeoutMs: 5000 }));
    await w.run(primary.send(msg('note')));
    expect(res).toMatchObject({ nbSent: 1, nbReceived: 1 });
    expect(res.replies[0]!.param).toEqual(Uint8Array.from([5]));
    expect(seen).toEqual(['REQ anything', 'MSG note']);
    expect(w.lines.join('\n')).not.toMatch(/Cannot find action/);
  });

  it('a registered action still takes precedence over the unhandled hook', async () => {
    newWorld();
    const primary = await w.open('primary');
    const unhandled = vi.fn();
    const secondary = await w.open('secondary', { unhandled });
    echo(secondary, 'ping', 9);
    const res = await w.run(primary.request(msg('ping'), { timeoutMs: 5000 }));
    expect(res.replies[0]!.param).toEqual(Uint8Array.from([9]));
    expect(unhandled).not.toHaveBeenCalled();
  });
});
