// DPDK's cmdline for the example: the `example> ` prompt, and on a terminal
// line editing, history and tab completion of commands. From a pipe, one
// command per line, exit at end of input; each command's transcript (the
// echo of the line, its output and the next prompt) leaves in ONE write, so a
// script's reader is woken once per command (issue 11: each pipe write cost
// a wake-up on the hot path). A command still running after
// PROGRESS_FLUSH_MS shows what it has printed so far.
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { COMMANDS, runCommand, type HotplugAppContext } from './commands.js';

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
  const terminal = streams.input.isTTY === true;
  const rl: Interface = createInterface({
    input: streams.input,
    // From a pipe the prompt is written below with the command's transcript.
    ...(terminal ? { output: streams.output } : {}),
    prompt: PROMPT,
    terminal,
    historySize: terminal ? 100 : 0,
    ...(terminal ? { completer: complete } : {}),
  });
  let pending = terminal ? '' : PROMPT;
  const flush = (): void => {
    if (pending.length > 0) streams.output.write(pending);
    pending = '';
  };
  const print = terminal ? (line: string): void => void streams.output.write(line + '\n') : (line: string): void => void (pending += line + '\n');
  let stopped = false;
  void stop.then(() => {
    stopped = true;
    rl.close();
  });
  try {
    if (terminal) rl.prompt();
    else flush();
    for await (const line of rl) {
      if (stopped) break;
      if (terminal) {
        if ((await runCommand(line, app, print)) === 'quit') break;
        rl.prompt();
        continue;
      }
      pending += line + '\n'; // a script's transcript shows what was typed
      const progress = setTimeout(flush, PROGRESS_FLUSH_MS);
      try {
        if ((await runCommand(line, app, print)) === 'quit') break;
      } finally {
        clearTimeout(progress);
      }
      rl.prompt(); // resumes the input if readline paused it; writes nothing without an output
      pending += PROMPT;
      flush();
    }
  } finally {
    flush();
    rl.close();
  }
}
