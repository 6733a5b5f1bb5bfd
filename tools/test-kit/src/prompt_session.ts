// A process driven through its stdin as a script would drive an interactive
// tool: a command per line, its output read up to the next prompt. Several
// lines may be written at once (a batch); they run one after another.
import { Child, type ChildOptions, DEADLINE_MS } from './child.js';

export class PromptSession {
  /** Offsets in the child's stdout where each prompt starts. */
  readonly #prompts: number[] = [];
  #scanFrom = 0;

  constructor(
    readonly proc: Child,
    readonly prompt: string,
  ) {}

  /** Starts `command args` and waits for its first prompt (it is stopped by pid if that fails). */
  static async start(command: string, args: readonly string[], options: ChildOptions & { prompt: string; deadlineMs?: number }): Promise<PromptSession> {
    const session = new PromptSession(Child.spawn(command, args, options), options.prompt);
    try {
      await session.waitPrompts(1, options.deadlineMs ?? DEADLINE_MS);
    } catch (error) {
      await session.proc.stop();
      throw error;
    }
    return session;
  }

  /** Prompts seen so far. */
  get prompts(): number {
    return this.#scan();
  }

  /**
   * Writes the lines at once and resolves with each command's output lines
   * (without the echo and the prompt). What the process printed on its own
   * before the lines were written (events between commands) is not part of
   * the first one's output.
   */
  async batch(lines: readonly string[], deadlineMs = DEADLINE_MS): Promise<string[][]> {
    const first = this.#scan();
    const mark = this.proc.stdout.length;
    this.proc.write(lines.map((l) => l + '\n').join(''));
    await this.waitPrompts(first + lines.length, deadlineMs);
    const out = this.proc.stdout;
    return lines.map((line, i) => {
      const from = i === 0 ? mark : this.#prompts[first + i - 1]! + this.prompt.length;
      const printed = out.slice(from, this.#prompts[first + i]).split('\n');
      if (printed[0] === line) printed.shift(); // the echo of what was typed, as DPDK's cmdline shows it
      if (printed.at(-1) === '') printed.pop();
      return printed;
    });
  }

  async command(line: string, deadlineMs = DEADLINE_MS): Promise<string[]> {
    return (await this.batch([line], deadlineMs))[0]!;
  }

  /** Waits until `count` prompts have been printed in all. */
  async waitPrompts(count: number, deadlineMs = DEADLINE_MS): Promise<void> {
    await this.proc.until(() => (this.#scan() >= count ? true : undefined), `prompt '${this.prompt}' #${count}`, deadlineMs);
  }

  #scan(): number {
    const out = this.proc.stdout;
    for (;;) {
      const at = out.indexOf(this.prompt, this.#scanFrom);
      if (at < 0) return this.#prompts.length;
      this.#prompts.push(at);
      this.#scanFrom = at + this.prompt.length;
    }
  }
}
