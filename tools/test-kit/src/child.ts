// A child process of a test or a tool, written once: its output kept as
// text, waits that wake on output or exit and fail at a deadline with what
// was seen, and a stop by pid that also works on a SIGSTOPped process.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';

/** Generous: a loaded 2-core machine starts a Node process in well under this. */
export const DEADLINE_MS = 20_000;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Names it in errors (default: the command). */
  label?: string;
  /** Adds an IPC channel (child.send / 'message'). */
  ipc?: boolean;
}

/** Every child started and not yet exited: `stopAll()` in an afterEach (or a tool's signal handler) stops them by pid. */
export const running = new Set<Child>();

export class Child {
  /** Everything it printed on stdout, and on stderr, so far. */
  stdout = '';
  stderr = '';
  /** Both, in the order they arrived (for tools that mix them, as testpmd does). */
  output = '';
  readonly exited: Promise<ExitStatus>;
  #status: ExitStatus | undefined;
  readonly #waiters = new Set<() => void>();
  readonly #lineListeners: ((line: string) => void)[] = [];
  #partial = '';

  constructor(
    readonly child: ChildProcess,
    readonly label: string,
  ) {
    const take = (into: 'stdout' | 'stderr') => (s: string) => {
      this[into] += s;
      this.output += s;
      if (into === 'stdout' && this.#lineListeners.length > 0) this.#emitLines(s);
      this.#wakeAll();
    };
    (child.stdout)?.setEncoding('utf8').on('data', take('stdout'));
    (child.stderr)?.setEncoding('utf8').on('data', take('stderr'));
    // A write to a process that died fails with EPIPE: its exit is what we report.
    (child.stdin)?.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#status = { code, signal };
        running.delete(this);
        this.#wakeAll();
        resolve(this.#status);
      });
    });
    running.add(this);
  }

  /** Starts `command args` with piped stdio (as this class, or a subclass it is called on). */
  static spawn<T extends Child>(this: new (child: ChildProcess, label: string) => T, command: string, args: readonly string[], options: ChildOptions = {}): T {
    return new this(start(command, args, options), options.label ?? command);
  }

  /** Starts `node script ...args`. */
  static node<T extends Child>(
    this: new (child: ChildProcess, label: string) => T,
    script: string,
    args: readonly string[] = [],
    options: ChildOptions & { nodeArgs?: readonly string[] } = {},
  ): T {
    return new this(start(process.execPath, [...(options.nodeArgs ?? []), script, ...args], options), options.label ?? script);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.label} did not start`);
    return this.child.pid;
  }

  get alive(): boolean {
    return this.#status === undefined;
  }

  /** Its exit status once it has exited. */
  get status(): ExitStatus | undefined {
    return this.#status;
  }

  write(text: string): void {
    (this.child.stdin as Writable).write(text);
  }

  /** Writes `text` and closes its stdin. */
  end(text = ''): void {
    (this.child.stdin as Writable).end(text);
  }

  signal(signal: NodeJS.Signals): void {
    process.kill(this.pid, signal);
  }

  /**
   * Resolves with the first non-undefined value of `probe()`, probed now and
   * after every output and at its exit; fails when it exits or at the deadline,
   * naming `what` and showing its last output.
   */
  until<T>(probe: () => T | undefined, what: string, timeoutMs = DEADLINE_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (timedOut: boolean): void => {
        const value = probe();
        if (value !== undefined) return done(() => resolve(value));
        if (!this.alive || timedOut) {
          const why = this.alive ? `not within ${timeoutMs} ms` : `it exited (${this.#exitText()})`;
          done(() => reject(new Error(`${this.label} (pid ${this.child.pid}): no ${what}: ${why}; its last output:\n${this.tail()}`)));
        }
      };
      const wake = (): void => check(false);
      const timer = setTimeout(() => check(true), timeoutMs);
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        settle();
      };
      this.#waiters.add(wake);
      check(false);
    });
  }

  /** Waits until `pattern` shows in `stream` (default: both) from character `from` on. */
  waitFor(pattern: RegExp | string, options: { from?: number; timeoutMs?: number; stream?: 'stdout' | 'stderr' | 'output' } = {}): Promise<RegExpMatchArray> {
    const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
    const stream = options.stream ?? 'output';
    return this.until(() => this[stream].slice(options.from ?? 0).match(re) ?? undefined, `${String(pattern)} on ${stream}`, options.timeoutMs);
  }

  /** SIGCONT (in case a test stopped it) and SIGKILL, by pid, if it still runs; resolves at its exit. */
  async stop(): Promise<ExitStatus> {
    if (this.alive) {
      try {
        process.kill(this.pid, 'SIGCONT');
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    return this.exited;
  }

  /** The last lines of its output, for an error message. */
  tail(lines = 30): string {
    return this.output.split('\n').slice(-lines - 1).join('\n');
  }

  /** Calls `listener` with every complete stdout line from now on, before any wait is woken. */
  onStdoutLine(listener: (line: string) => void): void {
    this.#lineListeners.push(listener);
  }

  #emitLines(s: string): void {
    const parts = (this.#partial + s).split('\n');
    this.#partial = parts.pop()!;
    for (const line of parts) for (const listener of this.#lineListeners) listener(line);
  }

  #exitText(): string {
    return this.#status?.signal ?? String(this.#status?.code);
  }

  #wakeAll(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}

function start(command: string, args: readonly string[], options: ChildOptions): ChildProcess {
  return spawn(command, args, {
    env: options.env ?? process.env,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdio: options.ipc ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'],
  });
}

/** Stops every child still running, by pid (for an afterEach, whatever the test did). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((c) => c.stop()));
}

export interface RunResult extends ExitStatus {
  stdout: string;
  stderr: string;
}

/** Runs `command args` to its exit with `input` on stdin; killed by pid at the deadline (then `signal` is SIGKILL). */
export async function runToExit(
  command: string,
  args: readonly string[],
  options: ChildOptions & { input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const child = Child.spawn(command, args, options);
  child.end(options.input ?? '');
  const timer = setTimeout(() => void child.stop(), options.timeoutMs ?? DEADLINE_MS);
  try {
    const status = await child.exited;
    return { ...status, stdout: child.stdout, stderr: child.stderr };
  } finally {
    clearTimeout(timer);
  }
}
