// DPDK's cmdline for the example: the `example> ` prompt, and on a terminal
// line editing, history and tab completion of commands. From a pipe, one
// command per line, exit at end of input; each command's transcript (the
// echo of the line, its output and the next prompt) leaves in ONE write, so a
// script's reader is woken once per command (issue 11: each pipe write cost
// a wake-up on the hot path), and its lines are read without readline
// (pipe_lines.ts). A command still running after PROGRESS_FLUSH_MS shows what
// it has printed so far.
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { COMMANDS, runCommand, type HotplugAppContext } from './commands.js';
import { PipeLines } from './pipe_lines.js';

export const PROMPT = 'example> ';
/** How long a scripted command's output may wait for the rest of it. */
export const PROGRESS_FLUSH_MS = 50;

export interface CmdlineStreams {
  readonly input: Readable & { isTTY?: boolean };
  readonly output: Writable;
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
  if (streams.input.isTTY === true) return interactTerminal(app, streams, stop);
  const lines = new PipeLines(streams.input);
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
  } finally {
    clearTimeout(progress);
    flush();
    lines.close();
  }
}

/** On a terminal: readline's line editing, history and completion. */
async function interactTerminal(app: HotplugAppContext, streams: CmdlineStreams, stop: Promise<void>): Promise<void> {
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
