/**
 * Loaded into a hotplug-mp child by tools/chaos with
 * `node --expose-gc --import <this file> hotplug-mp.js …` and an IPC channel
 * as the child's fd 3; never part of the app. On the message
 * `{ type: 'heap' }` it forces a full garbage collection and answers with
 * `process.memoryUsage()`, so that a soak can read a child's live heap
 * without adding any command to the app's DPDK-compatible command set.
 * Without an IPC channel (the app started by anyone else) it does nothing.
 */
import { getHeapSpaceStatistics } from 'node:v8';

export interface HeapReply {
  type: 'heap';
  gc: boolean;
  /** V8's heap spaces after the GC: committed size and live bytes, by name (old_space, new_space, …). */
  spaces: Record<string, { size: number; used: number }>;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

if (process.send && process.channel) {
  process.on('message', (message: unknown) => {
    if ((message as { type?: unknown } | null)?.type !== 'heap') return;
    gc?.();
    const usage = process.memoryUsage();
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size }]));
    const reply: HeapReply = { type: 'heap', gc: gc !== undefined, spaces, ...usage };
    process.send?.(reply);
  });
  // The channel must not keep the app alive: `quit` and end of input still exit.
  process.channel.unref();
}
