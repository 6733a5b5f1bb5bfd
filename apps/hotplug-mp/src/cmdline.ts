// DPDK's cmdline for the example: the `example> ` prompt, and on a terminal
// line editing, history and tab completion of commands. From a pipe, one
// command per line, output flushed after each, exit at end of input.
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { COMMANDS, runCommand, type HotplugAppContext } from './commands.js';

export const PROMPT = 'example> ';

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
    output: streams.output,
    prompt: PROMPT,
    terminal,
    historySize: terminal ? 100 : 0,
    ...(terminal ? { completer: complete } : {}),
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
      if (!terminal) streams.output.write(line + '\n'); // a script's transcript shows what was typed
      if ((await runCommand(line, app, print)) === 'quit') break;
      rl.prompt();
    }
  } finally {
    rl.close();
  }
}
