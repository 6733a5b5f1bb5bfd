// One real apps/hotplug-mp process (the example app, testpmd's command set)
// driven through its stdin: the chaos tool and the interop suites both drive
// it this way. The path of its bin is given by the caller (this package
// depends on none of eal-ts').
import { type ChildOptions, DEADLINE_MS, type ExitStatus } from './child.js';
import { PromptSession } from './prompt_session.js';

export const HOTPLUG_MP_PROMPT = 'example> ';

export interface HotplugMpStart extends ChildOptions {
  /** apps/hotplug-mp's bin/hotplug-mp.js. */
  bin: string;
  label: string;
  args: readonly string[];
  /** Node flags before the script (e.g. --expose-gc). */
  nodeArgs?: readonly string[];
  /** How long start-up may take before the first prompt. */
  deadlineMs?: number;
}

export class HotplugMpApp {
  constructor(
    readonly session: PromptSession,
    readonly label: string,
  ) {}

  /** Starts `hotplug-mp args` and waits for its first prompt. */
  static async launch(options: HotplugMpStart): Promise<HotplugMpApp> {
    return new HotplugMpApp(await HotplugMpApp.session(options), options.label);
  }

  /** The prompt session of a new hotplug-mp process, once it has printed its first prompt. */
  static session(options: HotplugMpStart): Promise<PromptSession> {
    const { bin, nodeArgs = [], args, ...rest } = options;
    return PromptSession.start(process.execPath, [...nodeArgs, bin, ...args], { ...rest, prompt: HOTPLUG_MP_PROMPT });
  }

  get pid(): number {
    return this.session.proc.pid;
  }

  get alive(): boolean {
    return this.session.proc.alive;
  }

  /** What it printed on stdout, and on stderr (EAL logs), so far. */
  get stdout(): string {
    return this.session.proc.stdout;
  }

  get stderr(): string {
    return this.session.proc.stderr;
  }

  batch(lines: readonly string[], deadlineMs = DEADLINE_MS): Promise<string[][]> {
    return this.session.batch(lines, deadlineMs);
  }

  command(line: string, deadlineMs = DEADLINE_MS): Promise<string[]> {
    return this.session.command(line, deadlineMs);
  }

  /** The ports this process lists, as "id\tname" lines. */
  async list(deadlineMs = DEADLINE_MS): Promise<string[]> {
    const lines = await this.command('list', deadlineMs);
    if (lines[0] !== 'list all etherdev') throw new Error(`${this.label}: unexpected list output ${JSON.stringify(lines)}`);
    return lines.slice(1);
  }

  signal(signal: NodeJS.Signals): void {
    this.session.proc.signal(signal);
  }

  /** `quit`, then its exit code (null if a signal ended it: killed by pid when it does not exit within the deadline). */
  async quit(deadlineMs = DEADLINE_MS): Promise<number | null> {
    this.session.proc.write('quit\n');
    const timer = setTimeout(() => void this.session.proc.stop(), deadlineMs);
    try {
      return (await this.session.proc.exited).code;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGCONT (in case it was stopped) and SIGKILL, by pid; resolves at its exit. */
  stop(): Promise<ExitStatus> {
    return this.session.proc.stop();
  }

  /** The last lines of its stderr, for a report. */
  tail(lines = 15): string {
    return this.stderr.split('\n').slice(-lines - 1).join('\n');
  }
}
