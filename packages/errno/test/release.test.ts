import { describe, expect, it } from 'vitest';
import { runThenRelease } from '../src/index.js';

describe('runThenRelease', () => {
  it('releases once before the caller sees a value, a rejection or a synchronous throw', async () => {
    const seen: string[] = [];
    const release = (): void => void seen.push('released');
    await expect(runThenRelease(() => Promise.resolve(7), release).then((v) => (seen.push(`value ${v}`), v))).resolves.toBe(7);
    const failure = new Error('failed');
    await expect(
      runThenRelease(() => Promise.reject(failure), release).catch((e: unknown) => {
        seen.push('rejected');
        throw e;
      }),
    ).rejects.toBe(failure);
    const thrown = runThenRelease(() => {
      throw failure;
    }, release);
    expect(seen.filter((s) => s === 'released')).toHaveLength(3); // at once, before anything awaits
    await expect(thrown).rejects.toBe(failure);
    expect(seen).toEqual(['released', 'value 7', 'released', 'rejected', 'released']);
  });

  it('a release that throws replaces the outcome, as a finally block would', async () => {
    const broken = new Error('release failed');
    await expect(runThenRelease(() => Promise.resolve(1), () => {
      throw broken;
    })).rejects.toBe(broken);
  });
});
