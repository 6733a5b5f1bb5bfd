/**
 * --watch SECONDS: the rates of every port's /ethdev/stats counters, as a
 * table refreshed each interval (the first table after two samples).
 */
import type { TelemetryClient } from '@eal-ts/telemetry';

export const WATCHED_COUNTERS = ['ipackets', 'opackets', 'ibytes', 'obytes', 'imissed', 'ierrors', 'oerrors', 'rx_nombuf'] as const;
const HEADERS = ['rx pkt/s', 'tx pkt/s', 'rx B/s', 'tx B/s', 'imissed/s', 'ierrors/s', 'oerrors/s', 'nombuf/s'];

export interface Sample {
  time: number;
  /** port id → name and counters. */
  ports: Map<number, { name: string; counters: Record<string, number> }>;
}

export async function sample(client: TelemetryClient, names: Map<number, string>, signal?: AbortSignal): Promise<Sample> {
  const ports: Sample['ports'] = new Map();
  const options = signal ? { signal } : {};
  for (const id of await client.ethdevList(options)) {
    let name = names.get(id);
    if (name === undefined) {
      const info = (await client.request(`/ethdev/info,${id}`, options)) as { name?: unknown } | null;
      name = typeof info?.name === 'string' ? info.name : '?';
      names.set(id, name);
    }
    const stats = (await client.request(`/ethdev/stats,${id}`, options)) as Record<string, unknown> | null;
    if (stats === null) continue;
    const counters: Record<string, number> = {};
    for (const key of WATCHED_COUNTERS) {
      const value = stats[key];
      counters[key] = typeof value === 'number' ? value : 0;
    }
    ports.set(id, { name, counters });
  }
  return { time: performance.now(), ports };
}

function rate(value: number): string {
  if (value >= 1e9) return `${(value / 1e9).toFixed(2)}G`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(value >= 100 || value === 0 ? 0 : 1);
}

/** The rates between two samples as a text table; ports present in both only. */
export function rateTable(before: Sample, after: Sample): string {
  const seconds = Math.max((after.time - before.time) / 1000, 1e-9);
  const rows: string[][] = [['port', 'name', ...HEADERS]];
  for (const [id, now] of after.ports) {
    const then = before.ports.get(id);
    if (then === undefined || then.name !== now.name) continue;
    // A counter that went down was reset: count from zero.
    const rates = WATCHED_COUNTERS.map((key) => {
      const delta = now.counters[key]! - then.counters[key]!;
      return rate((delta >= 0 ? delta : now.counters[key]!) / seconds);
    });
    rows.push([String(id), now.name, ...rates]);
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows.map((row) => row.map((cell, col) => (col < 2 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('  ')).join('\n') + '\n';
}
