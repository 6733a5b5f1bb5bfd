/**
 * A multi-process hotplug-mp application: one primary and its secondaries,
 * sharing a unique --file-prefix in a temporary RUNTIME_DIRECTORY that is
 * removed at the end. Processes are stopped by pid.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HotplugProcess } from './app_process.js';

export interface ClusterOptions {
  /** Secondaries started with the primary. */
  secondaries: number;
  /** --hotplug-timeout-ms of every process. */
  timeoutMs: number;
  /** Load the heap probe into every process (see probe.ts). */
  probe?: boolean;
}

export interface Agreement {
  agreed: boolean;
  /** Each live process's last `list`, by label. */
  lists: Record<string, string[]>;
  polls: number;
  ms: number;
}

let clusters = 0;

/** Every cluster started and not yet stopped (a signal handler stops them). */
export const activeClusters = new Set<Cluster>();

export class Cluster {
  readonly primary: HotplugProcess;
  /** Live secondaries, in the order they joined. */
  secondaries: HotplugProcess[] = [];
  private joined = 0;

  private constructor(
    readonly options: ClusterOptions,
    readonly runtimeDir: string,
    readonly filePrefix: string,
    primary: HotplugProcess,
  ) {
    this.primary = primary;
  }

  static async start(options: ClusterOptions): Promise<Cluster> {
    const runtimeDir = await mkdtemp(join(tmpdir(), 'eal-ts-chaos-'));
    const filePrefix = `chaos${process.pid}x${clusters++}`;
    let primary: HotplugProcess;
    try {
      primary = await HotplugProcess.start('P', Cluster.args(options, filePrefix, 'primary'), Cluster.env(runtimeDir), { probe: options.probe });
    } catch (error) {
      await rm(runtimeDir, { recursive: true, force: true });
      throw error;
    }
    const cluster = new Cluster(options, runtimeDir, filePrefix, primary);
    activeClusters.add(cluster);
    try {
      for (let i = 0; i < options.secondaries; i++) await cluster.addSecondary();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  private static env(runtimeDir: string): NodeJS.ProcessEnv {
    return { ...process.env, RUNTIME_DIRECTORY: runtimeDir };
  }

  /** DPDK's example command line, plus eal-ts's hotplug timeout. */
  private static args(options: ClusterOptions, filePrefix: string, type: 'primary' | 'secondary'): string[] {
    return ['-l', '0', '-m', '128', '--no-pci', `--proc-type=${type}`, `--file-prefix=${filePrefix}`, `--hotplug-timeout-ms=${options.timeoutMs}`];
  }

  /** Starts one more secondary (S1, S2, … in joining order) and waits for its prompt. */
  async addSecondary(): Promise<HotplugProcess> {
    const label = `S${++this.joined}`;
    const app = await HotplugProcess.start(label, Cluster.args(this.options, this.filePrefix, 'secondary'), Cluster.env(this.runtimeDir), {
      probe: this.options.probe,
    });
    this.secondaries.push(app);
    return app;
  }

  /** The primary and every secondary still alive. */
  get live(): HotplugProcess[] {
    this.secondaries = this.secondaries.filter((s) => s.alive);
    return this.primary.alive ? [this.primary, ...this.secondaries] : [...this.secondaries];
  }

  /**
   * Polls `list` in every live process until all print the same ports (ids
   * and names) or the deadline passes. Call it with no process stopped and
   * no command of ours running.
   *
   * `confirmAfterMs`: an agreement counts only if a later poll, at least
   * that long after, agrees too. A process just resumed (SIGCONT) may run
   * `list` before the hotplug requests queued on its socket while it was
   * stopped, and apply them a few ms later.
   */
  async agree(deadlineMs: number, confirmAfterMs = 0): Promise<Agreement> {
    const start = Date.now();
    const end = start + deadlineMs;
    let polls = 0;
    let agreedSince: number | undefined;
    for (;;) {
      const live = this.live;
      const remaining = Math.max(1000, end - Date.now());
      const lists = await Promise.all(live.map((p) => p.list(remaining)));
      polls++;
      const byLabel = Object.fromEntries(live.map((p, i) => [p.label, lists[i]!]));
      const first = JSON.stringify(lists[0]);
      const agreed = lists.every((l) => JSON.stringify(l) === first);
      const now = Date.now();
      if (!agreed) agreedSince = undefined;
      else agreedSince ??= now;
      const confirmed = agreed && now - agreedSince! >= confirmAfterMs;
      if (confirmed || now >= end) return { agreed: confirmed || (agreed && now >= end), lists: byLabel, polls, ms: now - start };
      const wait = agreed ? Math.max(10, Math.min(50, agreedSince! + confirmAfterMs - now)) : 50;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** Kills every process by pid (SIGCONT first) and removes the runtime directory. */
  async stop(): Promise<void> {
    activeClusters.delete(this);
    await Promise.all([this.primary, ...this.secondaries].map((p) => p.kill()));
    await rm(this.runtimeDir, { recursive: true, force: true });
  }
}
