import { fileURLToPath } from 'node:url';
import { Child, HotplugMpApp, HOTPLUG_MP_PROMPT, PromptSession } from '@eal-ts/test-kit';
import type { DpdkPrimary } from './dpdk_primary.js';

/**
 * apps/hotplug-mp's executable, found from this file (src/ or dist/ of
 * tools/interop) in the monorepo; HOTPLUG_MP_BIN overrides. The app must be
 * built (`pnpm turbo run build`).
 */
export const HOTPLUG_MP_BIN = process.env.HOTPLUG_MP_BIN ?? fileURLToPath(new URL('../../../apps/hotplug-mp/bin/hotplug-mp.js', import.meta.url));
export const PROMPT = HOTPLUG_MP_PROMPT;

/** Every hotplug-mp process a test starts, so that afterEach can stop them by pid whatever happened. */
export const started = new Set<AppProcess>();

/**
 * One real hotplug-mp process driven through its stdin as a script would:
 * a command per line, its output read up to the next prompt.
 */
export class AppProcess extends HotplugMpApp {
  constructor(session: PromptSession, label: string) {
    super(session, label);
    started.add(this);
  }

  /** Starts `hotplug-mp <args>` and waits for its first prompt. */
  static async start(label: string, args: string[], env: NodeJS.ProcessEnv): Promise<AppProcess> {
    return new AppProcess(await HotplugMpApp.session({ bin: HOTPLUG_MP_BIN, label, args, env }), label);
  }

  /**
   * Starts `hotplug-mp --proc-type=auto` in `primary`'s runtime directory (a
   * secondary of it), with `args` (default: no PCI, a 3 s hotplug timeout).
   */
  static join(label: string, primary: DpdkPrimary, args = ['--no-pci', '--hotplug-timeout-ms=3000']): Promise<AppProcess> {
    return AppProcess.start(label, ['--proc-type=auto', `--file-prefix=${primary.filePrefix}`, ...args], {
      ...process.env,
      RUNTIME_DIRECTORY: primary.runtimeBase,
    });
  }

  /** Starts it but does not wait for a prompt (for start-up failures). */
  static spawn(label: string, args: string[], env: NodeJS.ProcessEnv): AppProcess {
    return new AppProcess(new PromptSession(Child.node(HOTPLUG_MP_BIN, args, { env, label }), PROMPT), label);
  }

  get stderrText(): string {
    return this.stderr;
  }

  /** Its exit code (null when a signal ended it). */
  get exit(): Promise<number | null> {
    return this.session.proc.exited.then((s) => s.code);
  }

  /** Kills it by pid (SIGCONT first, in case a test stopped it). */
  override stop(): ReturnType<HotplugMpApp['stop']> {
    started.delete(this);
    return super.stop();
  }
}

/**
 * After a test: every hotplug-mp process it started stopped by pid, then
 * each of `rest` closed (a channel) or stopped (a primary), in that order.
 */
export async function tearDown(...rest: ({ close(): Promise<unknown> } | { stop(): Promise<unknown> } | undefined)[]): Promise<void> {
  await Promise.all([...started].map((p) => p.stop()));
  for (const thing of rest) {
    if (thing === undefined) continue;
    await ('close' in thing ? thing.close() : thing.stop());
  }
}
