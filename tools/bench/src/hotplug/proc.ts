import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { onInterrupt } from '../cleanup.js';

/** One process of a hotplug_mp-style app, driven through its stdin, with its stdout kept for matching. */
export class AppProcess {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  private out = '';
  private err = '';
  private waiter: { pattern: RegExp; from: number; resolve: (at: bigint) => void } | null = null;
  readonly exited: Promise<number | null>;

  constructor(
    readonly label: string,
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
  ) {
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    const unregister = onInterrupt(async () => {
      this.kill();
      await this.exited;
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        unregister();
        resolve(code);
      }),
    );
    this.child.once('error', () => undefined); // surfaces as the exit above, or as a wait timing out
    this.child.stdin.on('error', () => undefined); // EPIPE once the process has exited
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      // Stamped on arrival, before any matching work.
      const at = process.hrtime.bigint();
      this.out += chunk;
      const w = this.waiter;
      if (w && w.pattern.test(this.out.slice(w.from))) {
        this.waiter = null;
        w.resolve(at);
      }
    });
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.err = (this.err + chunk).slice(-4000);
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Output seen so far (for callers that need to look back). */
  get stdout(): string {
    return this.out;
  }

  /** Where the next output will start: pass to `waitFor` to match only what comes after. */
  mark(): number {
    return this.out.length;
  }

  /** Resolves with the arrival time of the chunk that completed a match of `pattern` after `from`. */
  waitFor(pattern: RegExp, from: number, timeoutMs: number): Promise<bigint> {
    if (pattern.test(this.out.slice(from))) return Promise.resolve(process.hrtime.bigint());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(
          new Error(
            `${this.label} (pid ${this.pid}): no ${pattern} within ${timeoutMs} ms; stdout tail: ${JSON.stringify(this.out.slice(-300))}; stderr tail: ${JSON.stringify(this.err.slice(-600))}`,
          ),
        );
      }, timeoutMs);
      const exit = (): void => {
        clearTimeout(timer);
        this.waiter = null;
        reject(new Error(`${this.label} (pid ${this.pid}) exited; stderr tail: ${JSON.stringify(this.err.slice(-600))}`));
      };
      this.child.once('exit', exit);
      this.waiter = {
        pattern,
        from,
        resolve: (at) => {
          clearTimeout(timer);
          this.child.off('exit', exit);
          resolve(at);
        },
      };
    });
  }

  /** Types one line; returns the time just before the write. */
  type(line: string): bigint {
    const at = process.hrtime.bigint();
    this.child.stdin.write(line + '\n');
    return at;
  }

  /** `quit`, then SIGKILL by pid if it has not exited within the deadline. Always ends with the process gone. */
  async stop(deadlineMs = 5_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.type('quit');
    this.child.stdin.end();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), deadlineMs)));
    const result = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (result === 'late') this.kill();
    await this.exited;
  }

  /** SIGKILL by pid, if still running. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
