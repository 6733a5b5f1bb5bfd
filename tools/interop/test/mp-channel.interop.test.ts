import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectProcessType, MpChannel, primaryLockHolder, UnixTransport, type MpMessage } from '@eal-ts/mp-channel';
import { Child, eventually } from '@eal-ts/test-kit';
import { Testpmd, testpmdAvailable, testpmdLabel } from '../src/index.js';

// Wire-level facts of DPDK 22.11, written out byte by byte on purpose: this
// suite is the specification that our channel speaks DPDK's mp protocol.
const VDEV_ACTION = 'bus_vdev_mp';
const VDEV_SCAN_REQ = 1;
const VDEV_SCAN_ONE = 2;
const VDEV_SCAN_REP = 3;
const HOTPLUG_ACTION = 'eal_dev_mp_request';
const EAL_DEV_REQ_TYPE_ATTACH = 0;
const EAL_DEV_REQ_TYPE_DETACH = 1;

const run = promisify(execFile);
const ealMpManifest = createRequire(import.meta.url).resolve('@eal-ts/eal-mp/package.json');
const EAL_MP = join(dirname(ealMpManifest), (JSON.parse(readFileSync(ealMpManifest, 'utf8')) as { bin: Record<string, string> }).bin['eal-mp']!);

function vdevParam(type: number): Uint8Array {
  const param = Buffer.alloc(72); // int32 type; int32 num; char name[64]
  param.writeInt32LE(type, 0);
  return param;
}

function decodeVdev(param: Uint8Array): { type: number; num: number; name: string } {
  const b = Buffer.from(param);
  const name = b.subarray(8, 72);
  // DPDK leaves stack bytes after the NUL: the name ends at the first NUL.
  return { type: b.readInt32LE(0), num: b.readInt32LE(4), name: name.subarray(0, name.indexOf(0)).toString() };
}

function hotplugParam(type: number, devargs: string, result = 0): Uint8Array {
  const param = Buffer.alloc(136); // int32 t; char devargs[128]; int32 result
  param.writeInt32LE(type, 0);
  param.write(devargs, 4, 127, 'utf8');
  param.writeInt32LE(result, 132);
  return param;
}

function decodeHotplug(param: Uint8Array): { type: number; devargs: string; result: number } {
  const b = Buffer.from(param);
  const devargs = b.subarray(4, 132);
  return { type: b.readInt32LE(0), devargs: devargs.subarray(0, devargs.indexOf(0)).toString(), result: b.readInt32LE(132) };
}

describe.skipIf(!testpmdAvailable())(`mp channel interop with a real ${testpmdLabel()} primary`, () => {
  let testpmd: Testpmd;
  let channel: MpChannel;
  const received: { msg: MpMessage; peer: string; kind: 'MSG' | 'REQ' }[] = [];
  /** A hotplug request of ours to testpmd, as a secondary's rte_dev_probe/remove sends it. */
  const hotplugRequest = (type: number, devargs: string) =>
    channel.request({ name: HOTPLUG_ACTION, param: hotplugParam(type, devargs), fds: [] }, { timeoutMs: 10_000 });

  beforeAll(async () => {
    testpmd = await Testpmd.start({ vdevs: ['net_null0'] });
    channel = await MpChannel.open({ transport: new UnixTransport(), role: 'secondary', runtimeDir: testpmd.runtimeDir });
    channel.register(VDEV_ACTION, (msg, peer) => void received.push({ msg, peer, kind: 'MSG' }));
    channel.register(HOTPLUG_ACTION, async (msg, peer) => {
      received.push({ msg, peer, kind: 'REQ' });
      const request = decodeHotplug(msg.param);
      // What a secondary that attached (or removed) the device answers.
      await channel.reply({ name: HOTPLUG_ACTION, param: hotplugParam(request.type, request.devargs, 0), fds: [] }, peer);
    });
    channel.initComplete();
  });

  afterAll(async () => {
    await channel?.close();
    await testpmd?.stop();
  });

  it('a vdev scan request receives the SCAN_ONE broadcast for net_null0 and SCAN_REP with num 1', async () => {
    received.length = 0;
    const reply = await channel.request({ name: VDEV_ACTION, param: vdevParam(VDEV_SCAN_REQ), fds: [] }, { timeoutMs: 5_000 });
    expect(reply.nbSent).toBe(1);
    expect(reply.nbReceived).toBe(1);
    expect(decodeVdev(reply.replies[0]!.param)).toEqual({ type: VDEV_SCAN_REP, num: 1, name: 'net_null0' });
    expect(reply.replies[0]!.peer).toBe(testpmd.mpSocketPath);
    const scanned = received.map((r) => decodeVdev(r.msg.param));
    expect(scanned).toEqual([{ type: VDEV_SCAN_ONE, num: 1, name: 'net_null0' }]);
  });

  it('an ATTACH request of net_null1 is broadcast back to us and, after our reply of 0, answered with result 0', async () => {
    received.length = 0;
    const reply = await hotplugRequest(EAL_DEV_REQ_TYPE_ATTACH, 'net_null1');
    expect(reply.nbReceived).toBe(1);
    expect(decodeHotplug(reply.replies[0]!.param)).toEqual({ type: EAL_DEV_REQ_TYPE_ATTACH, devargs: 'net_null1', result: 0 });
    expect(received.map((r) => decodeHotplug(r.msg.param))).toEqual([
      { type: EAL_DEV_REQ_TYPE_ATTACH, devargs: 'net_null1', result: 0 },
    ]);
    expect([...(await testpmd.ports()).values()]).toContain('net_null1');
  });

  it('a DETACH request of net_null1 is broadcast back to us and answered with result 0', async () => {
    received.length = 0;
    const reply = await hotplugRequest(EAL_DEV_REQ_TYPE_DETACH, 'net_null1');
    expect(decodeHotplug(reply.replies[0]!.param)).toEqual({ type: EAL_DEV_REQ_TYPE_DETACH, devargs: 'net_null1', result: 0 });
    expect(received.map((r) => decodeHotplug(r.msg.param).type)).toEqual([EAL_DEV_REQ_TYPE_DETACH]);
    expect([...(await testpmd.ports()).values()]).not.toContain('net_null1');
  });

  it('a DETACH of a device that does not exist is answered with -ENOENT after the broadcast', async () => {
    received.length = 0;
    const reply = await hotplugRequest(EAL_DEV_REQ_TYPE_DETACH, 'net_null7');
    expect(decodeHotplug(reply.replies[0]!.param).result).toBe(-2);
    expect(received).toHaveLength(1);
  });

  it('an ATTACH of a driver DPDK does not know is answered with -EFAULT and nothing is broadcast', async () => {
    received.length = 0;
    const reply = await hotplugRequest(EAL_DEV_REQ_TYPE_ATTACH, 'net_bogus0');
    expect(decodeHotplug(reply.replies[0]!.param).result).toBe(-14);
    expect(received).toHaveLength(0);
  });

  it('a hotplug started inside testpmd (port attach, device detach) reaches us as REQ with DPDK devargs forms', async () => {
    received.length = 0;
    await testpmd.command('port attach net_null2', { until: /Port \d+ is attached/ });
    const attached = [...(await testpmd.ports())].find(([, name]) => name === 'net_null2');
    expect(attached).toBeDefined();
    await testpmd.command(`port stop ${attached![0]}`);
    await testpmd.command('device detach net_null2', { until: /Device net_null2 is detached/ });
    expect(received.map((r) => decodeHotplug(r.msg.param))).toEqual([
      { type: EAL_DEV_REQ_TYPE_ATTACH, devargs: 'net_null2', result: 0 },
      // rte_dev_remove names the device as <bus>:<name>, with an empty argument list.
      { type: EAL_DEV_REQ_TYPE_DETACH, devargs: 'vdev:net_null2,', result: 0 },
    ]);
    expect(received.every((r) => r.peer === testpmd.mpSocketPath)).toBe(true);
  });

  it("the DPDK primary's config lock is seen: its pid is the holder and we detect ourselves as a secondary", async () => {
    expect(await primaryLockHolder(testpmd.runtimeDir)).toEqual({ pid: testpmd.pid });
    expect(await detectProcessType(testpmd.runtimeDir)).toEqual({ type: 'secondary' });
  });

  it('eal-mp request --json prints the SCAN_ONE broadcast and the SCAN_REP from testpmd', async () => {
    const { stdout } = await run(
      process.execPath,
      [EAL_MP, 'request', '--file-prefix', testpmd.filePrefix, '--name', VDEV_ACTION, '--param-hex', Buffer.from(vdevParam(VDEV_SCAN_REQ)).toString('hex'), '--json'],
      { env: { ...process.env, RUNTIME_DIRECTORY: testpmd.runtimeBase } },
    );
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { dir: string; type: string; name: string; param: string; peer: string });
    expect(lines.map((l) => [l.dir, l.type, l.name])).toEqual([
      ['out', 'REQ', VDEV_ACTION],
      ['in', 'MSG', VDEV_ACTION],
      ['in', 'REP', VDEV_ACTION],
    ]);
    expect(decodeVdev(Buffer.from(lines[1]!.param, 'hex'))).toEqual({ type: VDEV_SCAN_ONE, num: 1, name: 'net_null0' });
    expect(decodeVdev(Buffer.from(lines[2]!.param, 'hex'))).toEqual({ type: VDEV_SCAN_REP, num: 1, name: 'net_null0' });
    expect(lines.every((l) => l.peer === testpmd.mpSocketPath)).toBe(true);
  });

  it('eal-mp listen --echo-requests (no --layout) sees testpmd attach net_null4 and answers it, so testpmd keeps the port', async () => {
    const listener = Child.node(EAL_MP, ['listen', '--file-prefix', testpmd.filePrefix, '--echo-requests', '--json'], {
      env: { ...process.env, RUNTIME_DIRECTORY: testpmd.runtimeBase },
      label: 'eal-mp listen',
    });
    try {
      // It is in the broadcast once its socket is in the runtime directory.
      const dir = testpmd.runtimeDir;
      await eventually(async () => (await readdir(dir)).some((f) => f.startsWith(`mp_socket_${listener.pid}_`)), {
        what: 'eal-mp listen to bind its socket',
      });
      received.length = 0;
      const text = await testpmd.command('port attach net_null4', { until: /Port \d+ is attached|Failed[^\n]*\n/ });
      expect(text).toMatch(/Port \d+ is attached/);
      // Its answer's line follows the answer itself.
      await listener.waitFor(/"dir":"out","type":"REP"/, { stream: 'stdout' });
      const lines = listener.stdout.trim().split('\n').map((l) => JSON.parse(l) as { dir: string; type: string; name: string; param: string });
      expect(lines.map((l) => `${l.dir} ${l.type} ${l.name}`)).toEqual(['in REQ eal_dev_mp_request', 'out REP eal_dev_mp_request']);
      expect(decodeHotplug(Buffer.from(lines[0]!.param, 'hex'))).toEqual({ type: EAL_DEV_REQ_TYPE_ATTACH, devargs: 'net_null4', result: 0 });
    } finally {
      await listener.stop();
    }
  });
});
