import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/**
 * apps/hotplug-mp's executable, found from this file (src/ or dist/ of
 * tools/interop) in the monorepo; HOTPLUG_MP_BIN overrides. The app must be
 * built (`pnpm turbo run build`).
 */
export const HOTPLUG_MP_BIN = process.env.HOTPLUG_MP_BIN ?? fileURLToPath(new URL('../../../apps/hotplug-mp/bin/hotplug-mp.js', import.meta.url));
const BIN = HOTPLUG_MP_BIN;
export const PROMPT = 'example> ';
const DEADLINE_MS = 20_000;

/** Every process a test starts, so that afterEach can stop them by pid whatever happened. */
export const started = new Set<AppProcess>();

/**
 * One real hotplug-mp process driven through its stdin as a script would:
 * a command per line, its output read up to the next prompt.
 */
export class AppProcess {
  private output = '';
  readonly exit: Promise<number | null>;

  private constructor(
    readonly label: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    child.stdout.setEncoding('utf8').on('data', (s: string) => (this.output += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (this.stderrText += s));
    this.exit = once(child, 'exit').then(([code]) => code as number | null);
    started.add(this);
  }

  stderrText = '';

  /** Starts `hotplug-mp <args>` and waits for its first prompt. */
  static async start(label: string, args: string[], env: NodeJS.ProcessEnv): Promise<AppProcess> {
    const app = new AppProcess(label, spawn(process.execPath, [BIN, ...args], { env }));
    await app.until(PROMPT, 0);
    return app;
  }

  /** Starts it but does not wait for a prompt (for start-up failures). */
  static spawn(label: string, args: string[], env: NodeJS.ProcessEnv): AppProcess {
    return new AppProcess(label, spawn(process.execPath, [BIN, ...args], { env }));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get stdout(): string {
    return this.output;
  }

  /** Runs one command; resolves with the lines it printed (without the echo and the prompt). */
  async command(line: string): Promise<string[]> {
    const from = this.output.length;
    this.child.stdin.write(line + '\n');
    const end = await this.until(PROMPT, from);
    const lines = this.output.slice(from, end).split('\n');
    // The first line is the echo of what was typed, as DPDK's cmdline shows it.
    if (lines[0] === line) lines.shift();
    if (lines.at(-1) === '') lines.pop();
    return lines;
  }

  /** The ports this process lists, as "id\tname" pairs. */
  async list(): Promise<string[]> {
    const lines = await this.command('list');
    if (lines[0] !== 'list all etherdev') throw new Error(`${this.label}: unexpected list output ${JSON.stringify(lines)}`);
    return lines.slice(1);
  }

  /** Sends quit and waits for the exit status. */
  async quit(): Promise<number | null> {
    this.child.stdin.write('quit\n');
    return this.exit;
  }

  signal(signal: NodeJS.Signals): void {
    process.kill(this.pid, signal);
  }

  /** Kills it by pid (SIGCONT first, in case a test stopped it). */
  async stop(): Promise<void> {
    started.delete(this);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      process.kill(this.pid, 'SIGCONT');
      process.kill(this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await this.exit;
  }

  private async until(text: string, from: number): Promise<number> {
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const at = this.output.indexOf(text, from);
      if (at >= 0) return at;
      if (this.child.exitCode !== null) throw new Error(`${this.label} exited (${this.child.exitCode}):\n${this.output}\n${this.stderrText}`);
      if (Date.now() > deadline) throw new Error(`${this.label}: no '${text}' after:\n${this.output.slice(from)}\n${this.stderrText}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
