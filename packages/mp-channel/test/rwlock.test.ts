import { describe, expect, it } from 'vitest';

import { RwLock } from '../src/rwlock.js';

describe('RwLock', () => {
  it('grants tryAcquire at once when free, shares it between readers, and refuses a writer while a reader holds it', () => {
    const lock = new RwLock();
    const r1 = lock.tryAcquire('shared');
    const r2 = lock.tryAcquire('shared');
    expect(r1).toBeTypeOf('function');
    expect(r2).toBeTypeOf('function');
    expect(lock.tryAcquire('exclusive')).toBeUndefined();
    r1!();
    r1!(); // releasing twice changes nothing
    expect(lock.tryAcquire('exclusive')).toBeUndefined();
    r2!();
    expect(lock.idle).toBe(true);
    const w = lock.tryAcquire('exclusive');
    expect(w).toBeTypeOf('function');
    expect(lock.tryAcquire('shared')).toBeUndefined();
    w!();
    expect(lock.idle).toBe(true);
  });

  it('never lets tryAcquire overtake a queued writer (FIFO fairness), and grants the queue in order on release', async () => {
    const lock = new RwLock();
    const reader = lock.tryAcquire('shared')!;
    const order: string[] = [];
    const writer = lock.acquire('exclusive').then((release) => {
      order.push('writer');
      return release;
    });
    // A writer waits: a new reader must queue behind it, not slip in.
    expect(lock.tryAcquire('shared')).toBeUndefined();
    const later = lock.acquire('shared').then((release) => {
      order.push('reader');
      return release;
    });
    reader();
    (await writer)();
    (await later)();
    expect(order).toEqual(['writer', 'reader']);
    expect(lock.idle).toBe(true);
  });
});
