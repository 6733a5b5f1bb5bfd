// Issue 8, fd ownership: thousands of malformed and unexpected datagrams,
// with 0..8 fds each, sent over real Unix sockets to a real primary and a
// real secondary. Neither may keep one of those fds, and both must still
// serve a hotplug afterwards.
import { closeSync, openSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, expect, it } from 'vitest';
import { AppProcess } from '@eal-ts/interop';
import { eventually, pollUntil, Prng, uniquePrefix, useTempBase } from '@eal-ts/test-kit';
import { decodeMpMsg, encodeMpMsg, MP_MSG_LAYOUTS, type MpLayout } from '@eal-ts/mp-channel';
import { UnixDgramSocket } from '@eal-ts/sys';

const DATAGRAMS_PER_TARGET = 1500;
const FLAT_DEADLINE_MS = 15_000;

let filePrefix: string;
let env: NodeJS.ProcessEnv;
let sender: UnixDgramSocket | undefined;
let devNull = -1;

const base = useTempBase('fd-fuzz', {
  cleanup: async () => {
    await sender?.close();
    if (devNull >= 0) closeSync(devNull);
    devNull = -1;
  },
});

beforeEach(() => {
  env = { ...process.env, RUNTIME_DIRECTORY: base.path };
  filePrefix = uniquePrefix('fz');
});

async function fdCount(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

/** A datagram: the body and how many fds go with it. */
interface Fuzz {
  body: Uint8Array;
  fds: number;
}

function fuzzCases(random: () => number): () => Fuzz {
  const int = (n: number): number => Math.floor(random() * n);
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256));
  const layout = (): MpLayout => (random() < 0.5 ? '22.11' : '25.11');
  const fds = (): number => int(9);
  const msg = (type: number, name: string, param: Uint8Array, numFds: number, at = layout()): Uint8Array =>
    encodeMpMsg({ type: type as 0 | 1 | 2 | 3, name, param, numFds }, at);
  /** struct eal_dev_mp_req gone wrong: bad size, bad type, devargs without NUL, not UTF-8. */
  const badDevReq = (): Uint8Array => {
    const kind = int(4);
    if (kind === 0) return bytes(int(256));
    const p = new Uint8Array(136);
    const view = new DataView(p.buffer);
    view.setInt32(0, kind === 1 ? 4 + int(1000) : int(4), true);
    p.fill(0x41, 4, 132); // unterminated devargs
    if (kind === 3) p.set([0xff, 0xfe, 0x00], 4); // not UTF-8
    return p;
  };
  /** struct vdev_param gone wrong. */
  const badVdev = (): Uint8Array => {
    if (random() < 0.5) return bytes(int(256));
    const p = new Uint8Array(8 + 64);
    new DataView(p.buffer).setInt32(0, random() < 0.5 ? 7 + int(100) : 2, true);
    p.fill(0x42, 8); // name without NUL
    return p;
  };
  return () => {
    const n = fds();
    switch (int(9)) {
      case 0: // random size and bytes
        return { body: bytes(int(700)), fds: n };
      case 1: // a valid size, random bytes
        return { body: bytes(random() < 0.5 ? 332 : 340), fds: n };
      case 2: // unknown action, MSG or REQ
        return { body: msg(int(2), `fuzz_${int(1000)}`, bytes(int(257)), n), fds: n };
      case 3:
        return { body: msg(int(2), 'eal_dev_mp_request', badDevReq(), n), fds: n };
      case 4:
        return { body: msg(int(2), 'bus_vdev_mp', badVdev(), n), fds: n };
      case 5: // unsolicited REP or IGN, of real action names too
        return { body: msg(2 + int(2), ['eal_dev_mp_request', 'bus_vdev_mp', 'x'][int(3)]!, bytes(int(257)), n), fds: n };
      case 6: {
        // num_fds disagreeing with what SCM_RIGHTS carries
        const claimed = (n + 1 + int(8)) % 9;
        return { body: msg(int(4), 'eal_dev_mp_request', badDevReq(), claimed), fds: n };
      }
      case 7: {
        // len_param or num_fds out of range, type out of range
        const body = msg(int(4), 'bus_vdev_mp', new Uint8Array(0), n);
        const at = MP_MSG_LAYOUTS[body.length === 332 ? '22.11' : '25.11'];
        const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
        const field = int(3);
        view.setInt32(field === 0 ? at.lenParam : field === 1 ? at.numFds : at.type, field === 2 ? 4 + int(99) : -1 - int(1000), true);
        return { body, fds: n };
      }
      default: // a name without its NUL
        return { body: msg(int(4), 'x', new Uint8Array(0), n).fill(0x43, 4, 72), fds: n };
    }
  };
}

async function expectFlat(processes: AppProcess[], baseline: number[]): Promise<void> {
  const counts = () => Promise.all(processes.map((p) => fdCount(p.pid)));
  const flat = (now: number[]) => now.every((n, i) => n <= baseline[i]!);
  const what = `fd counts of ${processes.map((p) => p.label).join(', ')} after the fuzz (baseline ${baseline.join(', ')})`;
  const now = await pollUntil(counts, flat, { what, timeoutMs: FLAT_DEADLINE_MS, intervalMs: 50 }).catch(() => counts());
  if (!flat(now)) expect(now, what).toEqual(baseline);
}

it('no fd received with malformed or unexpected datagrams is kept, and hotplug still works', async () => {
  const args = ['-l', '0', '--no-pci', '--proc-type=auto', `--file-prefix=${filePrefix}`, '--hotplug-timeout-ms=1500'];
  const primary = await AppProcess.start('primary', args, env);
  const secondary = await AppProcess.start('secondary', args, env);
  const dir = join(base.path, 'dpdk', filePrefix);
  const secondaryPath = join(dir, (await readdir(dir)).find((n) => n.startsWith('mp_socket_'))!);
  const targets = [join(dir, 'mp_socket'), secondaryPath];
  // Not named mp_socket_*: the primary must not take the fuzzer for a secondary.
  sender = await UnixDgramSocket.bind(join(base.path, 'fuzzer.sock'));
  sender.on('datagram', (d) => d.fds.forEach((fd) => closeSync(fd)));
  devNull = openSync('/dev/null', 'r');
  // Both at rest, after one hotplug round trip (so the primary has opened the runtime
  // directory its broadcasts flock, which it keeps), before the baseline is taken.
  expect(await primary.command('attach net_null1')).toEqual(['attached device net_null1']);
  expect(await primary.command('detach net_null1')).toEqual(['detaching...', 'detached device net_null1']);
  expect(await primary.list()).toEqual([]);
  expect(await secondary.list()).toEqual([]);
  const processes = [primary, secondary];
  const baseline = await Promise.all(processes.map((p) => fdCount(p.pid)));

  // Seeded: the same datagrams on every run, so a failure can be replayed.
  const seeded = new Prng(0x8f00d);
  const next = fuzzCases(() => seeded.next());
  let sentFds = 0;
  for (let i = 0; i < DATAGRAMS_PER_TARGET; i++) {
    for (const target of targets) {
      const { body, fds } = next();
      await sender.send(target, body, Array.from({ length: fds }, () => devNull));
      sentFds += fds;
    }
  }
  // Well-formed requests too: the hotplug action runs to its end (a DETACH of
  // a device nobody has) with fds it does not use, and answers the fuzzer.
  const detach = new Uint8Array(136);
  new DataView(detach.buffer).setInt32(0, 1, true);
  detach.set(Buffer.from('net_null_nobody'), 4);
  let answers = 0;
  sender.on('datagram', (d) => {
    try {
      const reply = decodeMpMsg(d.data.subarray(0, d.size));
      if (reply.type === 2 && Buffer.from(reply.param.subarray(4, 19)).toString() === 'net_null_nobody') answers++;
    } catch {
      // not a message: ignore
    }
  });
  for (let i = 0; i < 10; i++) {
    for (const target of targets) {
      await sender.send(target, encodeMpMsg({ type: 1, name: 'eal_dev_mp_request', param: detach, numFds: 3 }), [devNull, devNull, devNull]);
      sentFds += 3;
    }
  }
  expect(sentFds).toBeGreaterThan(DATAGRAMS_PER_TARGET * 4);
  await expectFlat(processes, baseline);
  // Both handled the well-formed ones (each answered every DETACH it was asked).
  await eventually(() => answers >= 20, { what: 'an answer to each of the 20 DETACHes', timeoutMs: FLAT_DEADLINE_MS });
  expect(answers).toBe(20);

  expect(await primary.command('attach net_null0')).toEqual(['attached device net_null0']);
  expect(await secondary.list()).toEqual(['0\tnet_null0']);
  expect(await secondary.command('detach net_null0')).toEqual(['detaching...', 'detached device net_null0']);
  expect(await primary.list()).toEqual([]);
  expect(await secondary.list()).toEqual([]);
  await expectFlat(processes, baseline);
}, 120_000);
