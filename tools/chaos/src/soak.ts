/**
 * The `--ops` soak: N plain attach/detach pairs of one device typed into one
 * process (in batches, waiting for each batch's results), with the RSS, fds
 * and heap (after a forced full GC) of every process before and after. Finds
 * what an operation leaves behind; nothing here is a fault.
 */
import type { HotplugProcess, ProcessStats } from './app_process.js';
import type { HeapReply } from './probe.js';
import { Cluster } from './cluster.js';

export interface SoakOptions {
  pairs: number;
  /** Default 1. */
  secondaries?: number;
  /** Pairs written at once. Default 10. */
  batch?: number;
  /** Default net_null3. */
  device?: string;
  /** Which process types the commands: the primary (default) or the first secondary. */
  from?: 'primary' | 'secondary';
  /** --hotplug-timeout-ms. Default 600. */
  timeoutMs?: number;
  onProgress?: (done: number) => void;
}

export interface Snapshot extends ProcessStats {
  label: string;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  spaces: HeapReply['spaces'];
}

export interface SoakResult {
  pairs: number;
  attached: number;
  detached: number;
  /** The first failure lines, if any. */
  failures: string[];
  before: Snapshot[];
  after: Snapshot[];
  /** Every process lists the same ports at the end. */
  agreed: boolean;
  ms: number;
}

async function snapshot(p: HotplugProcess): Promise<Snapshot> {
  const heap = await p.heap();
  const stats = await p.stats();
  return { label: p.label, ...stats, heapUsed: heap.heapUsed, heapTotal: heap.heapTotal, external: heap.external, arrayBuffers: heap.arrayBuffers, spaces: heap.spaces };
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const t0 = Date.now();
  const T = options.timeoutMs ?? 600;
  const batch = options.batch ?? 10;
  const device = options.device ?? 'net_null3';
  const cluster = await Cluster.start({ secondaries: options.secondaries ?? 1, timeoutMs: T, probe: true });
  try {
    const who = options.from === 'secondary' ? cluster.secondaries[0] : cluster.primary;
    if (!who) throw new Error('--from secondary needs at least one secondary');
    const before = await Promise.all(cluster.live.map(snapshot));
    const result: SoakResult = { pairs: 0, attached: 0, detached: 0, failures: [], before, after: [], agreed: false, ms: 0 };
    while (result.pairs < options.pairs) {
      const n = Math.min(batch, options.pairs - result.pairs);
      const lines: string[] = [];
      for (let i = 0; i < n; i++) lines.push(`attach ${device}`, `detach ${device}`);
      const outputs = await who.batch(lines, n * 4 * T + 10_000);
      outputs.forEach((out, i) => {
        if (i % 2 === 0 && out[0] === `attached device ${device}`) result.attached++;
        else if (i % 2 === 1 && out.includes(`detached device ${device}`)) result.detached++;
        else if (result.failures.length < 10) result.failures.push(`${lines[i]}: ${out.join(' | ')}`);
      });
      result.pairs += n;
      options.onProgress?.(result.pairs);
    }
    result.agreed = (await cluster.agree(2 * T + 3000)).agreed;
    result.after = await Promise.all(cluster.live.map(snapshot));
    result.ms = Date.now() - t0;
    return result;
  } finally {
    await cluster.stop();
  }
}

/** One line per process: before -> after. */
export function soakLines(r: SoakResult): string[] {
  const mib = (bytes: number): string => (bytes / 1048576).toFixed(1);
  return r.before.map((b) => {
    const a = r.after.find((s) => s.label === b.label);
    const after = (f: (s: Snapshot) => string): string => (a ? f(a) : '?');
    return (
      `${b.label} pid ${b.pid}: fds ${b.fds}->${after((s) => String(s.fds))}` +
      ` rss ${mib(b.rssKiB * 1024)}->${after((s) => mib(s.rssKiB * 1024))} MiB` +
      ` heapUsed ${mib(b.heapUsed)}->${after((s) => mib(s.heapUsed))} MiB` +
      ` heapTotal ${mib(b.heapTotal)}->${after((s) => mib(s.heapTotal))} MiB` +
      ` external ${mib(b.external)}->${after((s) => mib(s.external))} MiB (after a forced GC)` +
      `\n  ${b.label} V8 spaces, committed (live) MiB: ` +
      Object.entries(b.spaces)
        .filter(([key, space]) => space.size > 0 || (a?.spaces[key]?.size ?? 0) > 0)
        .map(([key, space]) => {
          const later = a?.spaces[key];
          return `${key.replace(/_space$/, '')} ${mib(space.size)}(${mib(space.used)})->${later ? `${mib(later.size)}(${mib(later.used)})` : '?'}`;
        })
        .join(' ')
    );
  });
}
