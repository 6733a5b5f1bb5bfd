import { describe, expect, it } from 'vitest';
import { retryWithBackoff } from '../src/retry.js';

describe('retryWithBackoff', () => {
  it('tries at once, and succeeds without pausing when the first attempt does', async () => {
    let attempts = 0;
    const done = retryWithBackoff(() => ++attempts > 0, { timeoutMs: 1000, maxDelayMs: 50 });
    expect(attempts).toBe(1); // synchronously, before anything is awaited
    await expect(done).resolves.toBe(true);
    expect(attempts).toBe(1);
  });

  it("after the caller's own failed attempt, pauses before trying again, never repeating it at once", async () => {
    let attempts = 0;
    const done = retryWithBackoff(() => ++attempts > 0, { timeoutMs: 1000, maxDelayMs: 50, afterFailedAttempt: true });
    expect(attempts).toBe(0);
    await expect(done).resolves.toBe(true);
    expect(attempts).toBe(1);
  });

  it('gives up at the deadline with false, having tried after each pause', async () => {
    let attempts = 0;
    await expect(retryWithBackoff(() => (attempts++, false), { timeoutMs: 20, maxDelayMs: 5, afterFailedAttempt: true })).resolves.toBe(false);
    expect(attempts).toBeGreaterThan(0);
  });
});
