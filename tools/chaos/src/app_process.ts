/**
 * One real hotplug-mp process (apps/hotplug-mp) driven through its stdin as a
 * script would: commands are lines, a command's output runs up to the next
 * `example> ` prompt. Several lines may be written at once (a batch); the
 * app runs them one after another. Every wait has a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import type { HeapReply } from './probe.js';

export const PROMPT = 'example> ';

/** apps/hotplug-mp's executable (HOTPLUG_MP_BIN overrides); it must be built. */
export const HOTPLUG_MP_BIN =
  process.env.HOTPLUG_MP_BIN ??
  join(dirname(createRequire(import.meta.url).resolve('@eal-ts/example-hotplug-mp/package.json')), 'bin', 'hotplug-mp.js');

/** The heap probe, as built (dist/probe.js beside src/ and dist/). */
const PROBE = fileURLToPath(new URL('../dist/probe.js', import.meta.url));

/** Every process started and not yet stopped, so that a test's afterEach can stop them by pid whatever happened. */
export const running = new Set<HotplugProcess>();

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

interface Waiter {
  prompts: number;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class HotplugProcess {
  private output = '';
  private scanFrom = 0;
  /** Offsets in `output` where each prompt starts. */
  private readonly prompts: number[] = [];
  private waiters: Waiter[] = [];
  private exitStatus: string | undefined;
  stderr = '';
  /** True between SIGSTOP and SIGCONT sent by us. */
  stopped = false;
  readonly exit: Promise<string>;

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    (child.stdout as Readable).setEncoding('utf8').on('data', (s: string) => this.onOutput(s));
    (child.stderr as Readable).setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    // A write to a process that died (SIGKILL) fails with EPIPE: the exit is what we report.
    (child.stdin as Writable).on('error', () => undefined);
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitStatus = signal ?? String(code);
        for (const w of this.waiters) {
          clearTimeout(w.timer);
          w.reject(new Error(`${this.label} (pid ${this.pid}) exited (${this.exitStatus}) while a command was running; stderr:\n${this.tail()}`));
        }
        this.waiters = [];
        running.delete(this);
        resolve(this.exitStatus);
      });
    });
    running.add(this);
  }

  /** Starts `hotplug-mp <args>` and waits for its first prompt. */
  static async start(label: string, args: readonly string[], env: NodeJS.ProcessEnv, options: StartOptions = {}): Promise<HotplugProcess> {
    const nodeArgs = options.probe ? ['--expose-gc', `--import=${pathToFileURL(PROBE).href}`] : [];
    const child = spawn(process.execPath, [...nodeArgs, HOTPLUG_MP_BIN, ...args], {
      env,
      stdio: options.probe ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'],
    });
    const app = new HotplugProcess(label, child);
    try {
      await app.waitPrompts(1, options.deadlineMs ?? 20_000);
    } catch (error) {
      await app.kill();
      throw error;
    }
    return app;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exitStatus === undefined;
  }

  /**
   * Writes the lines at once and resolves with each command's output lines
   * (without the echo and the prompt), once all of them have run.
   */
  async batch(lines: readonly string[], deadlineMs: number): Promise<string[][]> {
    const first = this.prompts.length;
    (this.child.stdin as Writable).write(lines.map((l) => l + '\n').join(''));
    await this.waitPrompts(first + lines.length, deadlineMs);
    return lines.map((line, i) => {
      const from = this.prompts[first + i - 1]! + PROMPT.length;
      const out = this.output.slice(from, this.prompts[first + i]).split('\n');
      if (out[0] === line) out.shift(); // the echo of what was typed
      if (out.at(-1) === '') out.pop();
      return out;
    });
  }

  async command(line: string, deadlineMs: number): Promise<string[]> {
    return (await this.batch([line], deadlineMs))[0]!;
  }

  /** The ports this process lists, as "id\tname" lines. */
  async list(deadlineMs: number): Promise<string[]> {
    const lines = await this.command('list', deadlineMs);
    if (lines[0] !== 'list all etherdev') throw new Error(`${this.label}: unexpected list output ${JSON.stringify(lines)}`);
    return lines.slice(1);
  }

  signal(signal: 'SIGSTOP' | 'SIGCONT' | 'SIGKILL'): void {
    process.kill(this.pid, signal);
    if (signal === 'SIGSTOP') this.stopped = true;
    if (signal === 'SIGCONT') this.stopped = false;
  }

  /** SIGCONT (in case it was stopped) and SIGKILL, by pid; resolves at its exit. */
  async kill(): Promise<void> {
    if (this.alive) {
      try {
        process.kill(this.pid, 'SIGCONT');
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await this.exit;
    this.stopped = false;
  }

  /** `quit`, then its exit status (SIGKILL if it does not exit within the deadline). */
  async quit(deadlineMs = 5000): Promise<string> {
    (this.child.stdin as Writable).write('quit\n');
    const timer = setTimeout(() => void this.kill(), deadlineMs);
    try {
      return await this.exit;
    } finally {
      clearTimeout(timer);
    }
  }

  async stats(): Promise<ProcessStats> {
    const [fds, status] = await Promise.all([readdir(`/proc/${this.pid}/fd`), readFile(`/proc/${this.pid}/status`, 'utf8')]);
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return { pid: this.pid, fds: fds.length, rssKiB: rss ? Number(rss[1]) : NaN };
  }

  /** A full GC in the child, then its memory usage (needs `probe: true`). */
  async heap(deadlineMs = 10_000): Promise<HeapReply> {
    const child = this.child;
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

  /** The last lines of its stderr (EAL logs), for a report. */
  tail(lines = 15): string {
    return this.stderr.split('\n').slice(-lines - 1).join('\n');
  }

  /** Resolves when `text` appears in its stderr after `from`, false at the deadline. */
  async stderrShows(pattern: RegExp, from: number, deadlineMs: number): Promise<boolean> {
    const end = Date.now() + deadlineMs;
    while (Date.now() < end) {
      if (pattern.test(this.stderr.slice(from))) return true;
      if (!this.alive) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return pattern.test(this.stderr.slice(from));
  }

  private onOutput(s: string): void {
    this.output += s;
    for (;;) {
      const at = this.output.indexOf(PROMPT, this.scanFrom);
      if (at < 0) break;
      this.prompts.push(at);
      this.scanFrom = at + PROMPT.length;
    }
    this.waiters = this.waiters.filter((w) => {
      if (this.prompts.length < w.prompts) return true;
      clearTimeout(w.timer);
      w.resolve();
      return false;
    });
  }

  private waitPrompts(prompts: number, deadlineMs: number): Promise<void> {
    if (this.prompts.length >= prompts) return Promise.resolve();
    if (!this.alive) return Promise.reject(new Error(`${this.label} exited (${this.exitStatus}); stderr:\n${this.tail()}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        const last = this.prompts.at(-1) ?? 0;
        reject(new Error(`${this.label} (pid ${this.pid}): no prompt within ${deadlineMs} ms; output since the last prompt:\n${this.output.slice(last)}\nstderr:\n${this.tail()}`));
      }, deadlineMs);
      this.waiters.push({ prompts, resolve, reject, timer });
    });
  }
}
