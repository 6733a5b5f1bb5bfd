// The eal-mp CLI as users run it: the built bin in child processes, each
// stopped by pid when the test ends, in a temporary RUNTIME_DIRECTORY.
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MpChannel, MpParamDecoders, UnixTransport, runtimeDir } from '@eal-ts/mp-channel';
import { encodeVdevParam, VDEV_MP_KEY, VDEV_SCAN_ONE } from '@eal-ts/bus-vdev';
import { EAL_DEV_MP_ACTION_REQUEST, EalDevReqType, encodeEalDevMpReq } from '@eal-ts/hotplug-mp';
import { Child, DEADLINE_MS, eventually, pollUntil, useTempBase } from '@eal-ts/test-kit';
import { runEalMp } from '../src/eal-mp.js';

const BIN = fileURLToPath(new URL('../bin/eal-mp.js', import.meta.url));

const base = useTempBase('eal-mp');

/** One eal-mp run: its output as text, its exit code. */
class Run extends Child {
  get exit(): Promise<number | null> {
    return this.exited.then((s) => s.code);
  }

  jsonLines(): Record<string, unknown>[] {
    return this.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

function eal(...args: string[]): Run {
  return Run.node(BIN, args, { env: { ...process.env, RUNTIME_DIRECTORY: base.path }, label: 'eal-mp' });
}

/** An eal-ts primary in this process, for `--file-prefix prefix`. */
async function primaryHere(prefix: string): Promise<{ dir: string; primary: MpChannel }> {
  const dir = runtimeDir(prefix, { env: { RUNTIME_DIRECTORY: base.path } });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return { dir, primary: await MpChannel.open({ transport: new UnixTransport(), role: 'primary', runtimeDir: dir }) };
}

/** Waits until a secondary's socket is in `dir` (a listener is up where a broadcast finds it). */
async function secondaryBound(dir: string): Promise<void> {
  await eventually(async () => (await readdir(dir)).some((n) => n.startsWith('mp_socket_')), { what: `a listener's socket in ${dir}`, timeoutMs: DEADLINE_MS });
}

/** The listener's last two lines: the `ping` REQ it got from `primary` (param in hex), then its answer (a REP echoes the param). */
function expectExchange(listener: Run, primary: MpChannel, param: string, answer: 'REP' | 'IGN'): void {
  expect(listener.jsonLines().slice(-2)).toEqual([
    { dir: 'in', type: 'REQ', name: 'ping', param, fds: 0, peer: primary.path },
    { dir: 'out', type: answer, name: 'ping', param: answer === 'REP' ? param : '', fds: 0, peer: primary.path },
  ]);
}

describe('eal-mp CLI', () => {
  it('--help describes every command and exits 0', async () => {
    const run = eal('--help');
    expect(await run.exit).toBe(0);
    for (const command of ['peers', 'request', 'listen', 'serve']) expect(run.stdout).toContain(command);
  });

  it.each([
    [['request', '--file-prefix', 'p'], /required option '--name <action>'/],
    [['request', '--name', 'x', '--param-hex', 'abc'], /even number of hex digits/],
    [['request', '--name', 'x', '--param-hex', 'ab'.repeat(257)], /257 bytes is more than DPDK's 256-byte param/],
    [['request', '--name', 'x', '--timeout-ms', '-5'], /positive whole number/],
    [['listen', '--layout', '21.11'], /Allowed choices are auto, 22.11, 25.11/],
    [['peers', '--bogus'], /unknown option '--bogus'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('bad usage %j exits 2 naming what was wrong', async (args, message) => {
    const run = eal(...args);
    expect(await run.exit).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('request to a serve --echo primary prints the REQ out and the REP in as JSON, then exits 0', async () => {
    const primary = eal('serve', '--file-prefix', 'p1', '--echo');
    await primary.waitFor(/serving as the primary/);
    const run = eal('request', '--file-prefix', 'p1', '--name', 'hello', '--param-hex', '0102ff', '--json');
    expect(await run.exit).toBe(0);
    const primaryPath = join(runtimeDir('p1', { env: { RUNTIME_DIRECTORY: base.path } }), 'mp_socket');
    expect(run.jsonLines()).toEqual([
      { dir: 'out', type: 'REQ', name: 'hello', param: '0102ff', fds: 0, peer: primaryPath },
      { dir: 'in', type: 'REP', name: 'hello', param: '0102ff', fds: 0, peer: primaryPath },
    ]);
    await primary.waitFor(/<- REQ hello \(3 bytes\)/);
  });

  it('request with no primary running fails with exit 1 and the reason', async () => {
    const run = eal('request', '--file-prefix', 'nobody', '--name', 'hello');
    expect(await run.exit).toBe(1);
    expect(run.stderr).toMatch(/eal-mp: .*(ENOENT|no runtime directory|ECONNREFUSED)/);
  });

  it('request to a serve primary without --echo is answered IGN at once: exit 1 naming it', async () => {
    const primary = eal('serve', '--file-prefix', 'p2');
    await primary.waitFor(/serving as the primary/);
    const run = eal('request', '--file-prefix', 'p2', '--name', 'hello', '--timeout-ms', '20000');
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain('did not take hello (it answered IGN');
  });

  it('request that gets no reply fails with exit 1 after --timeout-ms', async () => {
    const { primary } = await primaryHere('p2b');
    try {
      primary.register('hello', () => undefined); // takes it, never answers
      const run = eal('request', '--file-prefix', 'p2b', '--name', 'hello', '--timeout-ms', '300');
      expect(await run.exit).toBe(1);
      expect(run.stderr).toContain('no reply to hello within 300 ms');
    } finally {
      await primary.close();
    }
  });

  it('a second serve for the same prefix is refused, naming the running primary', async () => {
    const primary = eal('serve', '--file-prefix', 'p3');
    await primary.waitFor(/serving as the primary/);
    const second = eal('serve', '--file-prefix', 'p3');
    expect(await second.exit).toBe(1);
    expect(second.stderr).toContain(`a primary already runs for --file-prefix=p3 (pid ${primary.child.pid})`);
  });

  it('peers lists the primary with its lock holder and every secondary socket', async () => {
    const primary = eal('serve', '--file-prefix', 'p4');
    await primary.waitFor(/serving as the primary/);
    const listener = eal('listen', '--file-prefix', 'p4');
    const dir = runtimeDir('p4', { env: { RUNTIME_DIRECTORY: base.path } });
    // The listener is up once its socket is listed.
    type Report = { primary: { socket: string; lockHolderPid: number; kind: string }; secondaries: string[] };
    const peers = async (): Promise<Report> => {
      const run = eal('peers', '--file-prefix', 'p4', '--json');
      expect(await run.exit).toBe(0);
      return JSON.parse(run.stdout) as Report;
    };
    const report = await pollUntil(peers, (r) => r.secondaries.length > 0, { what: 'the listener in eal-mp peers', timeoutMs: DEADLINE_MS });
    expect(report).toEqual({
      runtimeDir: dir,
      // serve is an eal-ts primary: its config file says so (no DPDK version, no fixed layout).
      primary: { socket: join(dir, 'mp_socket'), lockHolderPid: primary.child.pid, kind: 'eal-ts', dpdkVersion: null, layout: null },
      secondaries: [expect.stringMatching(new RegExp(`^${dir}/mp_socket_${listener.child.pid}_[0-9a-f]+$`))],
    });
  });

  it('listen --echo-requests answers a broadcast request from the primary and prints both', async () => {
    const { primary } = await primaryHere('p5');
    try {
      const listener = eal('listen', '--file-prefix', 'p5', '--echo-requests', '--json');
      const response = await pollUntil(
        () => primary.request({ name: 'ping', param: Uint8Array.from([9]), fds: [] }, { timeoutMs: 2_000 }),
        (r) => r.nbReceived > 0,
        { what: 'an answer from the listener', timeoutMs: DEADLINE_MS },
      );
      expect(response.replies.map((r) => [...r.param])).toEqual([[9]]);
      await listener.waitFor(/"dir":"out","type":"REP"/);
      expectExchange(listener, primary, '09', 'REP');
    } finally {
      await primary.close();
    }
  });

  it('listen never disturbs: a broadcast counts it as not sent to (IGN), and it prints both', async () => {
    const { dir, primary } = await primaryHere('p6');
    try {
      const listener = eal('listen', '--file-prefix', 'p6', '--json');
      await secondaryBound(dir);
      const started = Date.now();
      const response = await primary.request({ name: 'ping', param: Uint8Array.from([7]), fds: [] }, { timeoutMs: 10_000 });
      await listener.waitFor(/"type":"IGN"/);
      expect(response).toEqual({ nbSent: 0, nbReceived: 0, replies: [] });
      expect(Date.now() - started).toBeLessThan(10_000); // answered, not timed out
      expectExchange(listener, primary, '07', 'IGN');
    } finally {
      await primary.close();
    }
  });

  it('listen prints a param decoder\'s reading under the hex when CliIo has one (in-process)', async () => {
    const { dir, primary } = await primaryHere('p7');
    const saved = process.env.RUNTIME_DIRECTORY;
    process.env.RUNTIME_DIRECTORY = base.path;
    let out = '';
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const decoders = new MpParamDecoders().register('op', (p) => `op number ${p[0]}`);
    try {
      const status = runEalMp(['listen', '--file-prefix', 'p7'], { stdout: (t) => (out += t), stderr: (t) => (out += t), interrupted: () => stopped, decoders });
      await secondaryBound(dir);
      expect(await primary.request({ name: 'op', param: Uint8Array.from([42]), fds: [] }, { timeoutMs: 5_000 })).toEqual({ nbSent: 0, nbReceived: 0, replies: [] });
      stop();
      expect(await status).toBe(0);
      expect(out).toBe(`<- REQ op (1 bytes) from ${primary.path}\n   2a\n   = op number 42\n-> IGN op (0 bytes) to ${primary.path}\n`);
    } finally {
      stop();
      if (saved === undefined) delete process.env.RUNTIME_DIRECTORY;
      else process.env.RUNTIME_DIRECTORY = saved;
      await primary.close();
    }
  });

  it('the eal-mp binary decodes eal_dev_mp_request and bus_vdev_mp params under their hex', async () => {
    const { dir, primary } = await primaryHere('p8');
    try {
      const listener = eal('listen', '--file-prefix', 'p8');
      await secondaryBound(dir);
      const attach = encodeEalDevMpReq({ t: EalDevReqType.ATTACH, devargs: 'net_null3', result: 0 });
      expect(await primary.request({ name: EAL_DEV_MP_ACTION_REQUEST, param: attach, fds: [] }, { timeoutMs: 10_000 })).toMatchObject({ nbSent: 0 });
      await primary.send({ name: VDEV_MP_KEY, param: encodeVdevParam({ type: VDEV_SCAN_ONE, num: 0, name: 'net_null3' }), fds: [] });
      await primary.send({ name: EAL_DEV_MP_ACTION_REQUEST, param: Uint8Array.from([1, 2]), fds: [] });
      await listener.waitFor(/= undecodable/);
      expect(listener.stdout).toContain('   = ATTACH "net_null3" result 0\n');
      expect(listener.stdout).toContain('   = SCAN_ONE net_null3\n');
      expect(listener.stdout).toContain('   = undecodable: param is 2 bytes, expected 136\n');
    } finally {
      await primary.close();
    }
  });
});
