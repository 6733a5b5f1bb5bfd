import { describe, expect, it } from 'vitest';
import { eventually, holdsFor, pollUntil } from '../src/poll.js';

describe('pollUntil / eventually / holdsFor', () => {
  it('returns the first value that satisfies the condition', async () => {
    let n = 0;
    const value = await pollUntil(() => ++n, (v) => v >= 3, { what: 'three probes', intervalMs: 1 });
    expect(value).toBe(3);
  });

  it('fails at the deadline naming what it waited for and the last value or error seen', async () => {
    await expect(pollUntil(() => [1, 2], () => false, { what: 'the moon', timeoutMs: 30, intervalMs: 5 })).rejects.toThrow(
      /timed out after 30 ms waiting for the moon; last seen: \[1,2\]/,
    );
    await expect(
      eventually(
        () => Promise.reject(new Error('not yet')),
        { what: 'a probe that throws', timeoutMs: 30, intervalMs: 5 },
      ),
    ).rejects.toThrow(/last seen: an error: Error: not yet/);
  });

  it('holdsFor passes while the condition holds and fails as soon as it does not', async () => {
    await holdsFor(() => true, 20, 'always');
    let flips = 0;
    await expect(holdsFor(() => ++flips < 3, 1000, 'a flag', 1)).rejects.toThrow('a flag stopped holding');
  });
});
