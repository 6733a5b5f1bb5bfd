// The bench's own machinery: statistics, the plot, the CPU-profile window,
// and the hotplug harness driving the real eal-ts app. No timing assertions.
import { access, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, ealTs } from '../src/hotplug/cluster.js';
import { opStats } from '../src/hotplug/hotplug_bench.js';
import { latencyChart } from '../src/hotplug/svg.js';
import { selfTime } from '../src/profile/cpuprofile.js';
import { spread } from '../src/stats.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'eal-bench-test-'));
  dirs.push(d);
  return d;
}

describe('statistics', () => {
  it('picks median and p90 as the C reference does, and the spread of a list', () => {
    const samples = Array.from({ length: 10 }, (_, i) => 10 - i); // 10..1
    expect(opStats(samples)).toEqual({ median: 6, p90: 10, min: 1, max: 10 });
    expect(spread([3, 1, 2])).toEqual({ min: 1, p10: 1, median: 2, p90: 3, max: 3 });
    expect(spread(samples)).toEqual({ min: 1, p10: 2, median: 6, p90: 10, max: 10 });
  });
});

describe('latencyChart', () => {
  it('draws one line per series, a point per finite value, and a gap for NaN', () => {
    const svg = latencyChart('t <&>', 's', [0, 1, 2], [
      { label: 'a', color: '#000', dashed: false, median: [1, 2, 3], p90: [2, 3, 4] },
      { label: 'b', color: '#f00', dashed: true, median: [1, NaN, 3], p90: [1, NaN, 3] },
    ]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('t &lt;&amp;&gt;');
    expect(svg.match(/<polyline/g)).toHaveLength(1); // b has no two adjacent points
    expect(svg.match(/<circle/g)).toHaveLength(5);
    expect(svg).toContain('stroke-dasharray');
  });
});

describe('selfTime', () => {
  it('counts only samples inside the window, by function and by area', async () => {
    const path = join(await tempDir(), 'p.cpuprofile');
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
    await writeFile(
      path,
      JSON.stringify({
        nodes: [
          { id: 1, callFrame: frame('(idle)', '') },
          { id: 2, callFrame: frame('send', 'file:///r/packages/sys/dist/unix_dgram.js') },
        ],
        startTime: 1000,
        endTime: 1400,
        samples: [2, 2, 1, 2],
        timeDeltas: [0, 100, 100, 100], // samples at 1000, 1100, 1200, 1300
      }),
    );
    const t = await selfTime(path, 1050, 1250); // the samples at 1100 (send) and 1200 (idle)
    expect(t.totalUs).toBe(200);
    expect(t.byArea).toEqual([
      ['@eal-ts/sys', 100],
      ['(idle)', 100],
    ]);
    expect(t.byFunction[0]![0]).toBe('send sys/unix_dgram.js:1');
  });
});

describe('Cluster (the hotplug harness) with the real eal-ts app', () => {
  it('times attach and detach typed into a primary with one secondary, then leaves nothing behind', async () => {
    const work = await tempDir();
    const cluster = await Cluster.start(ealTs(), 1, work);
    try {
      expect(cluster.pids).toHaveLength(2);
      expect(await cluster.op('attach', 'net_null7')).toBeGreaterThan(0);
      expect(await cluster.op('detach', 'net_null7')).toBeGreaterThan(0);
      // A failure line is an error, not a sample: detaching what is gone fails.
      await expect(cluster.op('detach', 'net_null7')).rejects.toThrow(/failed/);
    } finally {
      await cluster.stop();
    }
    for (const pid of cluster.pids) expect(() => process.kill(pid, 0)).toThrow();
    await expect(access(cluster.runtimeDir)).rejects.toThrow();
    expect(await readdir(work)).toEqual([]);
  });
});
