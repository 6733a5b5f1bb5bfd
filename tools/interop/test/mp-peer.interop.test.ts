// The testpmd interop scenarios against a synthetic DPDK primary that behaves
// as real 25.11 (and, for comparison, 22.11) where a secondary can tell: it
// drops every datagram not of its own size exactly as DPDK's read_msg, and
// its config file carries DPDK's magic and version. No DPDK 25.11 can be
// installed in CI (Debian stops at 22.11), so this is where the layout choice
// is checked there; docs/interop.md has the runs against real builds.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { MpChannel, UnixTransport } from '@eal-ts/mp-channel';
import { Child, eventually } from '@eal-ts/test-kit';
import { AppProcess, MpPeer2511, python3Available, tearDown } from '../src/index.js';

const run = promisify(execFile);
const ealMpManifest = createRequire(import.meta.url).resolve('@eal-ts/eal-mp/package.json');
const EAL_MP = join(dirname(ealMpManifest), (JSON.parse(readFileSync(ealMpManifest, 'utf8')) as { bin: Record<string, string> }).bin['eal-mp']!);

const PLAYS = [
  { layout: '25.11', size: 340, other: '22.11', otherSize: 332, version: '25.11.2' },
  { layout: '22.11', size: 332, other: '25.11', otherSize: 340, version: '22.11.11' },
] as const;

function vdevScanHex(): string {
  const param = Buffer.alloc(72); // int32 type = SCAN_REQ; int32 num; char name[64]
  param.writeInt32LE(1, 0);
  return param.toString('hex');
}

const CASES = PLAYS.map((play) => [play.version, play.size, play] as const);

describe.skipIf(!python3Available()).each(CASES)('a synthetic DPDK %s primary (%i-byte datagrams only, mp_peer_2511.py)', (_version, _size, play) => {
  let peer: MpPeer2511 | undefined;
  let channel: MpChannel | undefined;

  afterEach(async () => {
    await tearDown(channel, peer);
    channel = peer = undefined;
  });

  function env(): NodeJS.ProcessEnv {
    return { ...process.env, RUNTIME_DIRECTORY: peer!.runtimeBase };
  }

  async function joinApp(label: string): Promise<AppProcess> {
    return AppProcess.join(label, peer!);
  }

  async function names(app: AppProcess): Promise<string[]> {
    return (await app.list()).map((line) => line.split('\t')[1]!).sort();
  }

  it('hotplug-mp joins without --mp-layout: it reads the version, its vdev scan finds the devices, hotplug works both ways', async () => {
    peer = await MpPeer2511.start(['net_null0'], { layout: play.layout });
    const app = await joinApp('hotplug-mp');
    expect(app.stderrText).toContain('Auto-detected process type: SECONDARY');
    expect(app.stderrText).toContain(`Primary process: DPDK ${play.version} (${play.layout} layout, ${play.size}-byte mp messages)`);
    expect(await app.list()).toEqual(['0\tnet_null0']);
    expect(peer.lines).toContainEqual(expect.stringMatching(new RegExp(`^RECV ${play.size} REQ bus_vdev_mp mp_socket_${app.pid}_\\w+ 1 0$`)));

    // The primary's own attach and detach, broadcast to us: answered, and our port list follows.
    let mark = peer.mark;
    peer.hotplug('attach', 'net_null5');
    await peer.waitFor(/^DONE attach net_null5 0 1\/1$/m, 10_000, mark);
    expect(await names(app)).toEqual(['net_null0', 'net_null5']);
    mark = peer.mark;
    peer.hotplug('detach', 'vdev:net_null5,');
    await peer.waitFor(/^DONE detach vdev:net_null5, 0 1\/1$/m, 10_000, mark);
    expect(await names(app)).toEqual(['net_null0']);

    // Ours, asked of the primary: it broadcasts back to us, we answer, it answers us.
    expect(await app.command('attach net_null7')).toEqual(['attached device net_null7']);
    expect(peer.lines).toContain('DONE attach vdev:net_null7, 0 1/1');
    expect(await app.command('detach net_null7')).toEqual(['detaching...', 'detached device net_null7']);
    expect(peer.lines).toContain('DONE detach vdev:net_null7, 0 1/1');
    expect(await names(app)).toEqual(['net_null0']);

    expect(peer.lines.filter((l) => l.startsWith('REFUSED'))).toEqual([]);
    expect(peer.lines.filter((l) => l.startsWith('RECV')).every((l) => l.startsWith(`RECV ${play.size} `))).toBe(true);
  });

  it('eal-mp peers, request and listen without --layout speak its layout', async () => {
    peer = await MpPeer2511.start(['net_null0', 'net_null1'], { layout: play.layout });
    const peers = await run(process.execPath, [EAL_MP, 'peers', '--file-prefix', peer.filePrefix], { env: env() });
    expect(peers.stdout).toContain(`primary is         DPDK ${play.version} (${play.layout} layout, ${play.size}-byte mp messages)`);
    const json = await run(process.execPath, [EAL_MP, 'peers', '--file-prefix', peer.filePrefix, '--json'], { env: env() });
    expect(JSON.parse(json.stdout)).toMatchObject({ primary: { kind: 'dpdk', dpdkVersion: play.version, layout: play.layout } });

    const request = await run(
      process.execPath,
      [EAL_MP, 'request', '--file-prefix', peer.filePrefix, '--name', 'bus_vdev_mp', '--param-hex', vdevScanHex(), '--json'],
      { env: env() },
    );
    const lines = request.stdout.trim().split('\n').map((l) => JSON.parse(l) as { dir: string; type: string; param: string });
    expect(lines.map((l) => `${l.dir} ${l.type}`)).toEqual(['out REQ', 'in MSG', 'in MSG', 'in REP']);
    expect(Buffer.from(lines[3]!.param, 'hex').readInt32LE(4)).toBe(2); // SCAN_REP num

    const listener = Child.node(EAL_MP, ['listen', '--file-prefix', peer.filePrefix, '--echo-requests', '--json'], { env: env(), label: 'eal-mp listen' });
    try {
      // Up once its socket is in the directory, where the broadcast finds it.
      const dir = peer.runtimeDir;
      await eventually(async () => (await readdir(dir)).some((f) => f.startsWith(`mp_socket_${listener.pid}_`)), {
        what: 'eal-mp listen to bind its socket',
      });
      const mark = peer.mark;
      peer.hotplug('attach', 'net_null3');
      await peer.waitFor(/^DONE attach net_null3 [^\n]*\n/m, 10_000, mark);
      expect(peer.lines, peer.lines.join('\n')).toContain('DONE attach net_null3 0 1/1');
      await listener.waitFor(/"dir":"out","type":"REP","name":"eal_dev_mp_request"/, { timeoutMs: 10_000 });
      expect(peer.lines.filter((l) => l.startsWith('REFUSED'))).toEqual([]);
    } finally {
      await listener.stop();
    }
  });

  it(`a datagram in the other layout (${play.otherSize} bytes) is dropped as DPDK's read_msg drops it`, async () => {
    peer = await MpPeer2511.start(['net_null0'], { layout: play.layout });
    const forced = run(
      process.execPath,
      [EAL_MP, 'request', '--file-prefix', peer.filePrefix, '--layout', play.other, '--name', 'bus_vdev_mp', '--param-hex', vdevScanHex(), '--timeout-ms', '500'],
      { env: env() },
    );
    const failure = (await forced.then(
      () => null,
      (error: unknown) => error,
    )) as { code?: number; stderr?: string } | null;
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('no reply to bus_vdev_mp within 500 ms');
    // recvmsg into a buffer of its own size: a longer datagram arrives cut (MSG_TRUNC), a shorter one short.
    const seen = Math.min(play.size, play.otherSize);
    expect(peer.lines).toContainEqual(expect.stringMatching(new RegExp(`^REFUSED ${seen} bytes from mp_socket_\\S+ \\(truncated msg\\)$`)));
  });

  it('a secondary joining while a broadcast waits for a slow secondary joins after it and learns the final devices', async () => {
    peer = await MpPeer2511.start(['net_null0'], { layout: play.layout });
    // A secondary that takes a moment to answer, holding the operation open.
    channel = await MpChannel.open({ transport: new UnixTransport(), role: 'secondary', runtimeDir: peer.runtimeDir });
    expect(channel.layout).toBe(play.layout);
    const slow = channel;
    slow.register('eal_dev_mp_request', async (msg, from) => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await slow.reply({ name: msg.name, param: msg.param, fds: [] }, from);
    });
    slow.initComplete();
    const mark = peer.mark;
    peer.hotplug('attach', 'net_null5');
    await peer.waitFor(/^SENT REQ eal_dev_mp_request /m, 10_000, mark);

    const app = await joinApp('joining');
    expect(await names(app)).toEqual(['net_null0', 'net_null5']);
    // It bound its socket (and so scanned) only after the operation ended.
    const out = peer.lines;
    const done = out.indexOf('DONE attach net_null5 0 1/1');
    const scan = out.findIndex((l) => new RegExp(`^RECV ${play.size} REQ bus_vdev_mp mp_socket_${app.pid}_`).test(l));
    expect(done).toBeGreaterThanOrEqual(0);
    expect(scan).toBeGreaterThan(done);
  });

  it("a quitting testpmd's mp_testpmd EXIT request is answered at once, so its shutdown does not wait", async () => {
    peer = await MpPeer2511.start(['net_null0'], { layout: play.layout });
    const app = await joinApp('hotplug-mp');
    const mark = peer.mark;
    peer.stopRequest();
    const stopped = await peer.waitFor(/^STOPPED (\d+)\/(\d+) (\d+)$/m, 10_000, mark);
    expect([stopped[1], stopped[2]]).toEqual(['1', '1']);
    expect(Number(stopped[3])).toBeLessThan(2_000); // DPDK waits up to 5 s for a silent secondary
    expect(peer.lines).toContainEqual(expect.stringMatching(new RegExp(`^RECV ${play.size} REP mp_testpmd mp_socket_${app.pid}_\\w+ 0$`)));
  });
});

/** A plain child process (eal-mp listen) read like AppProcess, stopped by pid. */
