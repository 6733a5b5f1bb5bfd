import { join } from 'node:path';
import type { Child, TempDir } from '@eal-ts/test-kit';

/**
 * A DPDK primary of the interop suites (a real dpdk-testpmd, or the synthetic
 * 25.11 peer) in a fresh runtime base of its own: eal-ts processes join it
 * with RUNTIME_DIRECTORY=runtimeBase and its file prefix; clean-up removes
 * one directory.
 */
export abstract class DpdkPrimary {
  protected constructor(
    protected readonly proc: Child,
    private readonly base: TempDir,
    readonly filePrefix: string,
  ) {}

  /** Waits for `primary` to be ready; stops it (by pid, its base removed) if it is not. */
  protected static async ready<P extends DpdkPrimary>(primary: P, check: () => Promise<unknown>): Promise<P> {
    try {
      await check();
    } catch (error) {
      await primary.stop();
      throw error;
    }
    return primary;
  }

  get pid(): number {
    return this.proc.pid;
  }

  /** The base to give eal-ts processes as RUNTIME_DIRECTORY. */
  get runtimeBase(): string {
    return this.base.path;
  }

  get runtimeDir(): string {
    return join(this.runtimeBase, 'dpdk', this.filePrefix);
  }

  get mpSocketPath(): string {
    return join(this.runtimeDir, 'mp_socket');
  }

  /** Waits until its output (stdout and stderr) from character `from` on matches. */
  waitFor(pattern: RegExp, timeoutMs: number, from = 0): Promise<RegExpMatchArray> {
    return this.proc.waitFor(pattern, { from, timeoutMs });
  }

  /** Stops it (each primary its own way) and removes its runtime base. */
  abstract stop(): Promise<unknown>;

  protected removeBase(): Promise<void> {
    return this.base.remove();
  }
}
