// A primary and N secondaries of one hotplug_mp-style app, in a runtime
// directory and file prefix of their own, driven through the primary's stdin.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppProcess } from './proc.js';
import { removeHugepageFiles } from './dpdk_setup.js';
import { onInterrupt } from '../cleanup.js';

/** How to start one implementation's process; both get the same EAL arguments. */
export interface Implementation {
  /** `DPDK`, `eal-ts`, or the label of another eal-ts checkout compared in the same run. */
  readonly name: string;
  readonly command: string;
  /** Arguments before the EAL arguments (node flags and the script, for eal-ts). */
  readonly leadingArgs: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Where DPDK keeps hugepage files, cleaned by prefix after each cluster. */
  readonly hugeDir: string | null;
}

export const EAL_TS_APP = fileURLToPath(new URL('../../../../apps/hotplug-mp/bin/hotplug-mp.js', import.meta.url));
/** The bench's Node floor (`--node-floor`): the hops of an operation and nothing else. */
export const NODE_FLOOR_APP = fileURLToPath(new URL('./node_floor_app.js', import.meta.url));

export function ealTs(nodeFlags: readonly string[] = [], env: NodeJS.ProcessEnv = {}, app = EAL_TS_APP, name = 'eal-ts'): Implementation {
  return { name, command: process.execPath, leadingArgs: [...nodeFlags, app], env, hugeDir: null };
}

export function dpdk(binary: string, hugeDir: string): Implementation {
  return { name: 'DPDK', command: binary, leadingArgs: [], hugeDir };
}

export const PROMPT = /example> /;
const READY_MS = 30_000;
export const OP_TIMEOUT_MS = 30_000;

/**
 * The EAL arguments of every process of the bench, the same for both: the
 * main lcore floats over CPUs 0-1 (no pinning, as Node has none), the primary
 * reserves 64 MiB, no PCI scan.
 */
export function ealArgs(impl: Implementation, prefix: string, primary: boolean): string[] {
  return [
    '--lcores=0@(0-1)',
    ...(primary ? ['-m', '64'] : []),
    ...(impl.hugeDir ? [`--huge-dir=${impl.hugeDir}`] : []),
    `--file-prefix=${prefix}`,
    '--proc-type=auto',
    '--no-pci',
  ];
}

export class Cluster {
  readonly secondaries: AppProcess[] = [];
  private readonly unregister: () => void;
  private constructor(
    readonly impl: Implementation,
    readonly runtimeDir: string,
    readonly prefix: string,
    readonly primary: AppProcess,
  ) {
    // On an interrupt (newest step first) this runs after the secondaries are killed and before the
    // primary is; removing files a live process maps is harmless (the hugepages go when it dies).
    this.unregister = onInterrupt(() => this.removeFiles());
  }

  private async removeFiles(): Promise<void> {
    await rm(this.runtimeDir, { recursive: true, force: true });
    if (this.impl.hugeDir) await removeHugepageFiles(this.impl.hugeDir, this.prefix);
  }

  static async start(impl: Implementation, secondaries: number, workDir: string): Promise<Cluster> {
    const runtimeDir = await mkdtemp(join(workDir, 'rt-'));
    const prefix = `ealbench${randomBytes(4).toString('hex')}`;
    const env = { ...process.env, ...impl.env, RUNTIME_DIRECTORY: runtimeDir };
    const spawnOne = (label: string, primary: boolean): AppProcess =>
      new AppProcess(label, impl.command, [...impl.leadingArgs, ...ealArgs(impl, prefix, primary)], env);
    const cluster = new Cluster(impl, runtimeDir, prefix, spawnOne(`${impl.name} primary`, true));
    try {
      await cluster.primary.waitFor(PROMPT, 0, READY_MS);
      // One after another, as an operator would start them: each joins a settled group.
      for (let i = 0; i < secondaries; i++) {
        const s = spawnOne(`${impl.name} secondary ${i + 1}`, false);
        cluster.secondaries.push(s);
        await s.waitFor(PROMPT, 0, READY_MS);
      }
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  get pids(): number[] {
    return [this.primary.pid, ...this.secondaries.map((s) => s.pid)];
  }

  /** Types `attach|detach <devargs>` into the primary; resolves with the ms until its success line arrived. */
  async op(command: 'attach' | 'detach', device: string): Promise<number> {
    const from = this.primary.mark();
    const done = this.primary.waitFor(new RegExp(`(?:^|\\n)(?:example> )?((?:failed to )?(?:attached|detached|detach) device ${device})\\n`), from, OP_TIMEOUT_MS);
    const start = this.primary.type(`${command} ${device}`);
    const end = await done;
    const line = this.primary.stdout.slice(from);
    if (/failed to/.test(line)) throw new Error(`${this.impl.name}: ${command} ${device} failed: ${JSON.stringify(line)}`);
    return Number(end - start) / 1e6;
  }

  /** Secondaries first, then the primary: `quit`, SIGKILL by pid after a deadline; then the runtime dir and hugepage files go. */
  async stop(): Promise<void> {
    await Promise.all(this.secondaries.map((s) => s.stop()));
    await this.primary.stop();
    this.unregister();
    await this.removeFiles();
  }

  /** Last resort on an error path: SIGKILL every process by pid. */
  kill(): void {
    for (const p of [this.primary, ...this.secondaries]) p.kill();
  }
}
