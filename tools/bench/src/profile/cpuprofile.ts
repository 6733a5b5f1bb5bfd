// Reads a V8 .cpuprofile (from node --cpu-prof) and sums self time per
// function and per area, counting only the samples inside a time window (the
// operations, not the start-up). V8's profile timestamps and process.hrtime
// are both CLOCK_MONOTONIC microseconds on Linux, so the bench's window applies.
import { readFile } from 'node:fs/promises';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  /** Sampled time inside the window, µs. */
  readonly totalUs: number;
  readonly byFunction: [string, number][];
  readonly byArea: [string, number][];
}

/** Where a frame belongs: an eal-ts package or app, a node:internal module, or V8's pseudo-frames. */
export function area(frame: CallFrame): string {
  const m = /\/(packages|apps|tools)\/([^/]+)\//.exec(frame.url);
  if (m) return `${m[1] === 'packages' ? '@eal-ts/' : `${m[1]}/`}${m[2]}`;
  if (frame.url.startsWith('node:')) return frame.url.replace(/^node:(internal\/)?/, 'node:').replace(/\/.*$/, '');
  if (frame.url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  return frame.url.replace(/^.*node_modules\//, '');
}

function label(frame: CallFrame): string {
  const file = frame.url.replace(/^.*\/(packages|apps|tools)\/([^/]+)\/dist\//, '$2/').replace(/^node:/, '');
  return `${frame.functionName || '(anonymous)'} ${file ? `${file}:${frame.lineNumber + 1}` : ''}`.trim();
}

export async function selfTime(path: string, fromUs: number, toUs: number): Promise<SelfTime> {
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const ar = new Map<string, number>();
  let t = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (t < fromUs || t > toUs) continue;
    // A sample's time is the gap to the next sample (V8's convention for self time).
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    total += dt;
    fn.set(label(node.callFrame), (fn.get(label(node.callFrame)) ?? 0) + dt);
    ar.set(area(node.callFrame), (ar.get(area(node.callFrame)) ?? 0) + dt);
  }
  const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1]);
  return { totalUs: total, byFunction: sorted(fn), byArea: sorted(ar) };
}
