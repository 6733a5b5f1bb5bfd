// The channel's trust and fd hygiene (eal_common_proc.c's read_msg and the
// handler's fds): datagrams dropped with a reason, every fd released once.
import { describe, expect, it } from 'vitest';
import type { MemoryNetwork } from '../src/transport_memory.js';
import { encodeMpMsg, MpMsgType } from '../src/rte_mp_msg.js';
import { DIR, msg, newWorld, pair, PRIMARY, w, type World } from './mp_world.js';

/**
 * Injects `datagrams` into a primary whose action 'm' must never run, lets
 * them be read, and gives the fds released and the drop lines logged.
 */
async function dropped(world: World, datagrams: Parameters<MemoryNetwork['inject']>[1][]): Promise<{ released: number[]; lines: string[] }> {
  const primary = await world.open('primary');
  primary.register('m', () => {
    throw new Error('must not run');
  });
  for (const datagram of datagrams) world.network.inject(PRIMARY, datagram);
  await world.clock.runAll();
  return { released: world.network.releasedFds, lines: world.lines.filter((l) => l.startsWith('EAL: Drop mp datagram')) };
}

describe('MpChannel over MemoryNetwork: trust and fds', () => {
  it('drops datagrams from an untrusted uid, unless trusted explicitly', async () => {
    newWorld();
    const got: number[] = [];
    const primary = await w.open('primary');
    const stranger = await w.open('secondary', { credentials: { pid: 1, uid: 4242, gid: 4242 } });
    primary.register('m', (m) => void got.push(m.param[0]!));
    await w.run(stranger.send(msg('m', [1], [77])));
    expect(got).toEqual([]);
    expect(w.lines.some((l) => l.includes(`from ${stranger.path}`) && l.includes('uid 4242') && l.includes('not trusted'))).toBe(true);
    expect(w.network.releasedFds).toContain(77);
    const tolerant = await w.open('secondary', { socketPath: `${DIR}/mp_socket_tolerant`, trustedUids: [4242] });
    tolerant.register('m', (m) => void got.push(m.param[0]!));
    w.network.inject(tolerant.path, { data: encodeMpMsg({ type: 0, name: 'm', param: Uint8Array.from([2]), numFds: 0 }), credentials: { pid: 1, uid: 4242, gid: 1 } });
    await w.clock.runAll();
    expect(got).toEqual([2]);
  });

  it('drops truncated, wrongly sized and undecodable datagrams with a reason, releasing their fds', async () => {
    newWorld();
    const good = encodeMpMsg({ type: 0, name: 'm', param: new Uint8Array(), numFds: 1 });
    const badType = Buffer.from(good);
    badType.writeInt32LE(9, 0);
    const { released, lines } = await dropped(w, [
      { data: good, truncated: true, size: 4000, fds: [50], peer: '/x' },
      { data: good, controlTruncated: true, fds: [51] },
      { data: new Uint8Array(100), fds: [52] },
      { data: badType, fds: [53] },
    ]);
    expect(released).toEqual([50, 51, 52, 53]);
    expect(lines).toEqual([
      'EAL: Drop mp datagram from /x: truncated msg (4000 bytes)',
      'EAL: Drop mp datagram from an unbound socket: truncated msg (332 bytes, control data cut)',
      'EAL: Drop mp datagram from an unbound socket: mp message size 100 bytes: expected 332 (DPDK up to 25.07) or 340 (25.11+)',
      'EAL: Drop mp datagram from an unbound socket: mp message type 9 out of range: expected 0..3 (MSG, REQ, REP, IGN)',
    ]);
  });

  it('passes fds to the handler, and releases those of unknown actions and unexpected replies', async () => {
    const { primary, s } = await pair();
    primary.initComplete();
    const received: number[][] = [];
    primary.register('fd', (m) => void received.push(m.takeFds()));
    await w.run(s.send(msg('fd', [], [100, 101])));
    expect(received).toEqual([[100, 101]]);
    await w.run(s.send(msg('unknown', [], [102])));
    await w.run(s.reply(msg('stray', [], [103]), PRIMARY));
    expect(w.network.releasedFds).toEqual([102, 103]);
    expect(w.lines).toContain(`EAL: Drop mp reply: stray (from ${s.path})`);
  });

  it('closes a handler\'s fds when it returns, throws or settles, unless it took them (once)', async () => {
    const { primary, s } = await pair();
    const seen: number[][] = [];
    primary.register('looks', (m) => void seen.push(m.fds));
    primary.register('throws', () => {
      throw new Error('boom');
    });
    let finish: () => void = () => undefined;
    primary.register('slow', () => new Promise<void>((resolve) => (finish = resolve)));
    primary.register('rejects', () => Promise.reject(new Error('no')));
    let second: number[] = [9];
    primary.register('takes', (m) => {
      m.takeFds();
      second = m.takeFds();
    });
    await w.run(s.send(msg('looks', [], [1, 2])));
    expect(seen).toEqual([[1, 2]]);
    expect(w.network.releasedFds).toEqual([1, 2]);
    await w.run(s.send(msg('throws', [], [3])));
    await w.run(s.send(msg('rejects', [], [4])));
    expect(w.network.releasedFds).toEqual([1, 2, 3, 4]);
    await w.run(s.send(msg('slow', [], [5])));
    expect(w.network.releasedFds).toEqual([1, 2, 3, 4]); // still in use while the handler runs
    finish();
    await w.run(Promise.resolve());
    expect(w.network.releasedFds).toEqual([1, 2, 3, 4, 5]);
    await w.run(s.send(msg('takes', [], [6])));
    expect(second).toEqual([]);
    expect(w.network.releasedFds).toEqual([1, 2, 3, 4, 5]);
    expect(w.lines).toContain('EAL: Fail to handle message: throws: boom');
    expect(w.lines).toContain('EAL: Fail to handle message: rejects: no');
  });

  it('drops a datagram whose num_fds disagrees with the fds received, and closes them', async () => {
    newWorld();
    const m = (numFds: number) => encodeMpMsg({ type: 0, name: 'm', param: new Uint8Array(), numFds });
    const { released, lines } = await dropped(w, [
      { data: m(1), fds: [60, 61] },
      { data: m(2), fds: [62] },
      { data: m(0), fds: [63] },
    ]);
    expect(released).toEqual([60, 61, 62, 63]);
    expect(lines).toEqual([
      'EAL: Drop mp datagram from an unbound socket: num_fds 1 but 2 fds received (SCM_RIGHTS)',
      'EAL: Drop mp datagram from an unbound socket: num_fds 2 but 1 fd received (SCM_RIGHTS)',
      'EAL: Drop mp datagram from an unbound socket: num_fds 0 but 1 fd received (SCM_RIGHTS)',
    ]);
  });

  it('closes the fds of IGN answers, late replies and, unless keepFds, of the replies themselves', async () => {
    const { primary, s } = await pair();
    primary.register('give', (m, peer) => primary.reply(msg('give', [], [70]), peer).then(() => undefined));
    const kept = await w.run(s.request(msg('give'), { timeoutMs: 100, keepFds: true }));
    expect(kept.replies[0]!.fds).toEqual([70]);
    expect(w.network.releasedFds).toEqual([]);
    const closed = await w.run(s.request(msg('give'), { timeoutMs: 100 }));
    expect(closed.replies[0]!.fds).toEqual([]);
    expect(w.network.releasedFds).toEqual([70]);
    // A process still starting answers IGN; one that sends fds with it gets them closed.
    let answer: (() => Promise<boolean>) | undefined;
    primary.register('late', (m, peer) => void (answer = () => primary.reply(msg('late', [], [71]), peer)));
    const late = await w.run(s.request(msg('late'), { timeoutMs: 100 }));
    expect(late).toMatchObject({ nbSent: 1, nbReceived: 0 });
    await w.run(answer!());
    expect(w.network.releasedFds).toEqual([70, 71]);
    expect(w.lines).toContain(`EAL: Drop mp reply: late (from ${PRIMARY})`);
    primary.register('hang', () => undefined);
    const ignored = s.request(msg('hang'), { timeoutMs: 100 });
    await w.clock.advance(1);
    w.network.inject(s.path, { data: encodeMpMsg({ type: MpMsgType.IGN, name: 'hang', param: new Uint8Array(), numFds: 1 }), fds: [72], peer: PRIMARY });
    expect(await w.run(ignored)).toMatchObject({ nbSent: 0, nbReceived: 0 });
    expect(w.network.releasedFds).toEqual([70, 71, 72]);
  });
});
