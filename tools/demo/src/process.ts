import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** One demo process: its output is printed with a label, and kept so the narration can wait on it. */
export class DemoProcess {
  readonly exited: Promise<number | null>;
  private output = '';

  private constructor(
    readonly label: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    for (const stream of [child.stdout, child.stderr]) {
      // Waits match the raw stream (a prompt has no newline); people see labelled lines.
      stream.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
      createInterface({ input: stream }).on('line', (line) => {
        process.stdout.write(`  ${label.padEnd(12)}| ${line}\n`);
      });
    }
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
  }

  static start(label: string, command: string, args: string[], env: NodeJS.ProcessEnv): DemoProcess {
    return new DemoProcess(label, spawn(command, args, { env }));
  }

  /** Writes one line to its stdin (a command, for the hotplug-mp app). */
  send(line: string): void {
    this.child.stdin.write(line + '\n');
  }

  /** How much it has printed so far: pass it to waitFor to wait for what comes next. */
  get mark(): number {
    return this.output.length;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  async waitFor(pattern: RegExp, from = 0, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output.slice(from))) {
      if (Date.now() > deadline) throw new Error(`${this.label} did not print ${String(pattern)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Asks the process to stop (SIGTERM), then kills it by pid if it lingers. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await this.exited;
    clearTimeout(timer);
  }
}
