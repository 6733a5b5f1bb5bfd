/**
 * One real hotplug-mp process (apps/hotplug-mp) driven through its stdin as a
 * script would: commands are lines, a command's output runs up to the next
 * `example> ` prompt. Several lines may be written at once (a batch); the
 * app runs them one after another. Every wait has a deadline.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HotplugMpApp, HOTPLUG_MP_PROMPT, running, stopAll } from '@eal-ts/test-kit';
import type { HeapReply } from './probe.js';

export const PROMPT = HOTPLUG_MP_PROMPT;

/** apps/hotplug-mp's executable (HOTPLUG_MP_BIN overrides); it must be built. */
export const HOTPLUG_MP_BIN =
  process.env.HOTPLUG_MP_BIN ??
  join(dirname(createRequire(import.meta.url).resolve('@eal-ts/example-hotplug-mp/package.json')), 'bin', 'hotplug-mp.js');

/** The heap probe, as built (dist/probe.js beside src/ and dist/). */
const PROBE = fileURLToPath(new URL('../dist/probe.js', import.meta.url));

/** Every process started and not yet exited (the test kit's registry), so that an afterEach or a signal handler can stop them by pid. */
export { running, stopAll };

export interface ProcessStats {
  pid: number;
  /** Open file descriptors (/proc/<pid>/fd). */
  fds: number;
  /** Resident set size in KiB (/proc/<pid>/status VmRSS). */
  rssKiB: number;
}

export interface StartOptions {
  /** Load the heap probe (dist/probe.js) with --expose-gc and an IPC channel, for `heap()`. */
  probe?: boolean;
  /** How long start-up may take before the first prompt. */
  deadlineMs?: number;
}

export class HotplugProcess extends HotplugMpApp {
  /** True between SIGSTOP and SIGCONT sent by us. */
  stopped = false;

  /** Starts `hotplug-mp <args>` and waits for its first prompt. */
  static async start(label: string, args: readonly string[], env: NodeJS.ProcessEnv, options: StartOptions = {}): Promise<HotplugProcess> {
    const nodeArgs = options.probe ? ['--expose-gc', `--import=${pathToFileURL(PROBE).href}`] : [];
    const session = await HotplugMpApp.session({
      bin: HOTPLUG_MP_BIN,
      label,
      args,
      env,
      nodeArgs,
      ipc: options.probe === true,
      deadlineMs: options.deadlineMs ?? 20_000,
    });
    return new HotplugProcess(session, label);
  }

  /** Its exit status ('0', '1' or the signal's name), once it has exited. */
  get exit(): Promise<string> {
    return this.session.proc.exited.then((s) => s.signal ?? String(s.code));
  }

  override signal(signal: 'SIGSTOP' | 'SIGCONT' | 'SIGKILL'): void {
    super.signal(signal);
    if (signal === 'SIGSTOP') this.stopped = true;
    if (signal === 'SIGCONT') this.stopped = false;
  }

  /** SIGCONT (in case it was stopped) and SIGKILL, by pid; resolves at its exit. */
  async kill(): Promise<void> {
    await this.stop();
    this.stopped = false;
  }

  /** `quit`, then its exit code (SIGKILL if it does not exit within the deadline). */
  override quit(deadlineMs = 5000): Promise<number | null> {
    return super.quit(deadlineMs);
  }

  async stats(): Promise<ProcessStats> {
    const [fds, status] = await Promise.all([readdir(`/proc/${this.pid}/fd`), readFile(`/proc/${this.pid}/status`, 'utf8')]);
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return { pid: this.pid, fds: fds.length, rssKiB: rss ? Number(rss[1]) : NaN };
  }

  /** A full GC in the child, then its memory usage (needs `probe: true`). */
  async heap(deadlineMs = 10_000): Promise<HeapReply> {
    const child = this.session.proc.child;
    if (!child.send) throw new Error(`${this.label}: started without the heap probe`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.off('message', onMessage);
        reject(new Error(`${this.label}: no heap answer within ${deadlineMs} ms`));
      }, deadlineMs);
      const onMessage = (message: unknown): void => {
        if ((message as { type?: unknown } | null)?.type !== 'heap') return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(message as HeapReply);
      };
      child.on('message', onMessage);
      child.send({ type: 'heap' });
    });
  }

  /** Resolves true when `pattern` appears in its stderr after `from`, false at its exit or the deadline. */
  async stderrShows(pattern: RegExp, from: number, deadlineMs: number): Promise<boolean> {
    try {
      await this.session.proc.waitFor(pattern, { from, timeoutMs: deadlineMs, stream: 'stderr' });
      return true;
    } catch {
      return pattern.test(this.stderr.slice(from));
    }
  }
}
