// DPDK's cmdline for the example: the `example> ` prompt, and on a terminal
// line editing, history and tab completion of commands. From a pipe, one
// command per line, exit at end of input; each command's transcript (the
// echo of the line, its output and the next prompt) leaves in ONE write, so a
// script's reader is woken once per command (issue 11: each pipe write cost
// a wake-up on the hot path), and its lines are read without readline
// (pipe_lines.ts), straight from the fd where it can be polled (scriptInput).
// A command still running after PROGRESS_FLUSH_MS shows what it has printed
// so far.
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { ReadableFd, isatty } from '@eal-ts/sys';
import { COMMANDS, runCommand, type HotplugAppContext } from './commands.js';
import { PipeLines } from './pipe_lines.js';

export const PROMPT = 'example> ';
/** How long a scripted command's output may wait for the rest of it. */
export const PROGRESS_FLUSH_MS = 50;

export interface CmdlineStreams {
  /** A terminal or a stream (process.stdin, a test's PassThrough), or a script's fd from scriptInput. */
  readonly input: (Readable & { isTTY?: boolean }) | ReadableFd;
  readonly output: Writable;
}

/**
 * The commands of a script on `fd` (stdin is 0), read as DPDK's cmdline
 * reads its fd: a ReadableFd, with no Node stream between the kernel and
 * the line splitter (issue 11: those layers cost a scripted command 16–20 µs
 * once the process had idled). undefined for a terminal, which needs
 * readline's line editing, and for anything ReadableFd cannot poll (a
 * regular file given as stdin): the caller reads process.stdin then, which
 * handles every kind of fd.
 */
export function scriptInput(fd: number): ReadableFd | undefined {
  if (isatty(fd)) return undefined;
  try {
    return ReadableFd.open(fd);
  } catch {
    return undefined; // process.stdin reads it instead
  }
}

function complete(line: string): [string[], string] {
  if (/\s/.test(line)) return [[], line];
  const hits = COMMANDS.filter((c) => c.startsWith(line));
  return [hits.length > 0 ? hits.map((c) => (c === 'attach' || c === 'detach' ? `${c} ` : c)) : [...COMMANDS], line];
}

/**
 * Reads and runs commands until `quit`, end of input, or `stop` resolving
 * (a signal). Commands run one at a time, in order, even when a pipe
 * delivers many lines at once.
 */
export async function interact(app: HotplugAppContext, streams: CmdlineStreams, stop: Promise<void>): Promise<void> {
  const input = streams.input;
  if (!(input instanceof ReadableFd) && input.isTTY === true) return interactTerminal(app, { input, output: streams.output }, stop);
  const lines = new PipeLines(input);
  let pending = PROMPT;
  const flush = (): void => {
    if (pending.length > 0) streams.output.write(pending);
    pending = '';
  };
  const print = (line: string): void => void (pending += line + '\n');
  let stopped = false;
  void stop.then(() => {
    stopped = true;
    lines.close();
  });
  // One timer for the whole session, pushed back at each command and never
  // cleared in between: a firing after the command ended finds nothing to
  // write. Creating and clearing a timer per command cost ~10 µs of a scripted
  // attach (issue 11). Unreferenced: it never keeps the process alive.
  const progress = setTimeout(flush, PROGRESS_FLUSH_MS).unref();
  try {
    flush();
    for (;;) {
      let line = lines.next();
      if (typeof line !== 'string') line = await line;
      if (line === undefined || stopped) break;
      pending += line + '\n'; // a script's transcript shows what was typed
      progress.refresh();
      if ((await runCommand(line, app, print)) === 'quit') break;
      pending += PROMPT;
      flush();
    }
    if (lines.failure) print(`error reading commands: ${lines.failure.message}`);
  } finally {
    clearTimeout(progress);
    flush();
    lines.close();
  }
}

/** On a terminal: readline's line editing, history and completion. */
async function interactTerminal(app: HotplugAppContext, streams: { input: Readable; output: Writable }, stop: Promise<void>): Promise<void> {
  const rl: Interface = createInterface({
    input: streams.input,
    output: streams.output,
    prompt: PROMPT,
    terminal: true,
    historySize: 100,
    completer: complete,
  });
  const print = (line: string): void => void streams.output.write(line + '\n');
  let stopped = false;
  void stop.then(() => {
    stopped = true;
    rl.close();
  });
  try {
    rl.prompt();
    for await (const line of rl) {
      if (stopped) break;
      if ((await runCommand(line, app, print)) === 'quit') break;
      rl.prompt();
    }
  } finally {
    rl.close();
  }
}
