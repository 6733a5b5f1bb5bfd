// Loaded with `node --import` into an eal-ts process by `eal-bench profile`
// only (never by the library): counts what crosses the event loop, so the
// bench can say how many hops and threadpool round trips one hotplug
// operation costs and where they come from.
//
// - `init` of every async resource, by type (FSREQCALLBACK/FSREQPROMISE are
//   fs calls through libuv's threadpool; `eal_sys.fcntl`/`eal_sys.flock` are
//   the addon's lock waits, also threadpool work; Timeout, Immediate,
//   TickObject, PROMISE the rest), and for every non-promise resource the
//   first eal-ts frame of the stack that created it (the source).
// - `before` of every callback by resource type: the event-loop hops.
// - Datagrams sent and received through @eal-ts/sys (its poll callbacks do not
//   show up as async resources).
//
// On SIGUSR2 it appends one JSON line of cumulative counts to
// `$EAL_BENCH_HOPS_DIR/<pid>.jsonl` with appendFileSync (no async resource of its own).
import { createHook } from 'node:async_hooks';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnixDgramSocket } from '@eal-ts/sys';

const dir = process.env.EAL_BENCH_HOPS_DIR;
if (!dir) throw new Error('hop_counter: EAL_BENCH_HOPS_DIR is not set');

const inits: Record<string, number> = {};
const hops: Record<string, number> = {};
const sources: Record<string, number> = {};
const typeOf = new Map<number, string>();
const io = { datagramsReceived: 0, datagramsSent: 0 };
let inHook = false;

/** The first frame in eal-ts code (packages/* or apps/*), as `package/file.js:function`. */
function source(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  for (const line of stack.split('\n').slice(2)) {
    const m = /at (?:async )?(?:(\S+) \()?.*\/(packages|apps)\/([^/]+)\/dist\/([^:]+):\d+:\d+/.exec(line);
    if (m && !line.includes('hop_counter')) return `${m[3]}/${m[4]} ${m[1] ?? '(anonymous)'}`;
  }
  return '(node or other)';
}

createHook({
  init(asyncId, type) {
    if (inHook) return;
    inHook = true;
    inits[type] = (inits[type] ?? 0) + 1;
    typeOf.set(asyncId, type);
    if (type !== 'PROMISE') {
      const key = `${type} ← ${source()}`;
      sources[key] = (sources[key] ?? 0) + 1;
    }
    inHook = false;
  },
  before(asyncId) {
    const type = typeOf.get(asyncId) ?? 'unknown';
    hops[type] = (hops[type] ?? 0) + 1;
  },
  destroy(asyncId) {
    typeOf.delete(asyncId);
  },
  promiseResolve() {},
}).enable();

const proto = UnixDgramSocket.prototype as unknown as {
  emit: (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;
  send: (this: unknown, ...args: unknown[]) => unknown;
};
const emit = proto.emit;
proto.emit = function (this: unknown, event: string | symbol, ...args: unknown[]): boolean {
  if (event === 'datagram') io.datagramsReceived++;
  return emit.call(this, event, ...args);
};
const send = proto.send;
proto.send = function (this: unknown, ...args: unknown[]): unknown {
  io.datagramsSent++;
  return send.apply(this, args);
};

process.on('SIGUSR2', () => {
  const line = JSON.stringify({ pid: process.pid, at: Number(process.hrtime.bigint() / 1000n), inits, hops, sources, io, cpuUs: process.cpuUsage() });
  appendFileSync(join(dir, `${process.pid}.jsonl`), line + '\n');
});
