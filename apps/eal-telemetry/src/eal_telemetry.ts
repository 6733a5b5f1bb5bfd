// eal-telemetry: DPDK's usertools/dpdk-telemetry.py for Node, plus one-shot
// commands and a --watch table of port rates.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

import {
  DEFAULT_FILE_PREFIX,
  TelemetryClient,
  TelemetryError,
  TelemetryUnavailableError,
  listTelemetrySockets,
  telemetrySocketPath,
} from '@eal-ts/telemetry';
import { Command, CommanderError, InvalidArgumentError } from 'commander';

import { pyJson } from './py_json.js';
import { rateTable, sample } from './watch.js';

/** A command line the user must fix (exit status 2). */
class UsageError extends Error {}

/** The outside world, so tests can run the CLI in-process. */
export interface CliIo {
  stdin: Readable;
  /** For the interactive prompt (readline echoes there). */
  output: Writable;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stdin is a terminal: prompt, completion and pretty JSON, as dpdk-telemetry.py decides. */
  isTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
  /** Resolves on SIGINT/SIGTERM. */
  interrupted: () => Promise<void>;
}

interface Options {
  filePrefix: string;
  instance: number;
  list: boolean;
  timeout: number;
  watch?: number;
  count?: number;
  pretty: boolean;
}

function wholeNumber(what: string, min: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
      throw new InvalidArgumentError(`expected ${what} (a whole number >= ${min})`);
    }
    return value;
  };
}

function seconds(text: string): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(value >= 0.1) || value > 86_400) {
    throw new InvalidArgumentError('expected a number of seconds between 0.1 and 86400, e.g. 1 or 0.5');
  }
  return value;
}

/** dpdk-telemetry.py -l: every prefix with a telemetry socket, and how to connect to each. */
async function listPrefixes(io: CliIo): Promise<void> {
  const sockets = await listTelemetrySockets({ env: io.env });
  if (sockets.length === 0) {
    io.stdout('No DPDK apps with telemetry enabled available\n');
    return;
  }
  io.stdout('Valid file-prefixes:\n\n');
  let last: string | undefined;
  for (const s of sockets) {
    if (s.filePrefix !== last) io.stdout(`${s.filePrefix}\n`);
    last = s.filePrefix;
    const cmd = `eal-telemetry${s.filePrefix === DEFAULT_FILE_PREFIX ? '' : ` -f ${s.filePrefix}`}${s.instance > 0 ? ` -i ${s.instance}` : ''}`;
    io.stdout(`- ${basename(s.path)}  # Connect with '${cmd}'\n`);
  }
}

async function appName(pid: number): Promise<string | undefined> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  const argv0 = cmdline?.split('\0')[0];
  return argv0 ? basename(argv0) : undefined;
}

async function run(io: CliIo, commands: string[], opts: Options): Promise<number> {
  if (opts.list) {
    await listPrefixes(io);
    return 0;
  }
  const path = telemetrySocketPath(opts.filePrefix, opts.instance, { env: io.env });
  const interactive = io.isTTY && commands.length === 0 && opts.watch === undefined;
  if (interactive) io.stdout(`Connecting to ${path}\n`);
  let client: TelemetryClient;
  try {
    client = await TelemetryClient.connect({ filePrefix: opts.filePrefix, instance: opts.instance, env: io.env, timeoutMs: opts.timeout });
  } catch (error) {
    io.stderr(`Error connecting to ${path}: ${(error as Error).message}\n`);
    if (interactive && error instanceof TelemetryUnavailableError) await listPrefixes(io);
    return 1;
  }
  try {
    const pretty = opts.pretty || interactive;
    const print = (reply: unknown): void => io.stdout(pyJson(reply, pretty ? 2 : undefined) + '\n');
    if (interactive) {
      print(client.info);
      const name = await appName(client.info.pid);
      if (name) io.stdout(`Connected to application: "${name}"\n`);
    }
    if (opts.watch !== undefined) return await watch(io, client, opts);
    if (commands.length > 0) {
      for (const command of commands) print(await client.raw(command));
      return 0;
    }
    return await session(io, client, interactive, print);
  } finally {
    client.close();
  }
}

/** The prompt on a TTY, or one command per line from a pipe: lines not starting with '/' are skipped, "quit" ends. */
async function session(io: CliIo, client: TelemetryClient, interactive: boolean, print: (reply: unknown) => void): Promise<number> {
  const commands = await client.commands();
  const all = ['quit', ...commands];
  const rl = createInterface({
    input: io.stdin,
    ...(interactive
      ? {
          output: io.output,
          terminal: true,
          prompt: '--> ',
          completer: (line: string): [string[], string] => [all.filter((c) => c.startsWith(line)), line],
        }
      : { terminal: false }),
  });
  const interrupted = io.interrupted().then(() => rl.close());
  void interrupted;
  try {
    if (interactive) rl.prompt();
    for await (const raw of rl) {
      const text = raw.trim();
      if (text === 'quit') break;
      if (text.startsWith('/')) print(await client.raw(text));
      if (interactive) rl.prompt();
    }
  } finally {
    rl.close();
  }
  return 0;
}

async function watch(io: CliIo, client: TelemetryClient, opts: Options): Promise<number> {
  const names = new Map<number, string>();
  const stop = new AbortController();
  void io.interrupted().then(() => stop.abort(new Error('interrupted')));
  let before = await sample(client, names, stop.signal);
  let printed = 0;
  while (opts.count === undefined || printed < opts.count) {
    const wait = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, opts.watch! * 1000);
      stop.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
    await wait;
    if (stop.signal.aborted) break;
    const after = await sample(client, names, stop.signal);
    io.stdout(`${new Date().toISOString()}  ${client.path} (pid ${client.info.pid})\n${rateTable(before, after)}`);
    before = after;
    printed++;
  }
  return 0;
}

function program(io: CliIo, result: { code: number }): Command {
  return new Command('eal-telemetry')
    .description("Read a DPDK or eal-ts application's telemetry (dpdk_telemetry.v2), like DPDK's dpdk-telemetry.py")
    .argument('[commands...]', 'commands to run one-shot, e.g. /ethdev/list /ethdev/stats,0 (one JSON object per line)')
    .option('-f, --file-prefix <prefix>', 'Provide file-prefix for DPDK runtime directory', DEFAULT_FILE_PREFIX)
    .option('-i, --instance <n>', 'Provide instance number for DPDK application', wholeNumber('an instance number', 0), 0)
    .option('-l, --list', 'List all possible file-prefixes and exit', false)
    .option('--pretty', 'indent the JSON (the default on a terminal)', false)
    .option('--timeout <ms>', 'how long connect and each request may take', wholeNumber('milliseconds', 1), 5000)
    .option('--watch <seconds>', 'print the rates of every port\'s /ethdev/stats counters as a table, every SECONDS', seconds)
    .option('--count <n>', 'with --watch: stop after N tables', wholeNumber('a count', 1))
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .action(async (commands: string[], opts: Options) => {
      const bad = commands.find((c) => !c.startsWith('/'));
      if (bad !== undefined) {
        throw new UsageError(`command ${JSON.stringify(bad)} does not start with '/' (e.g. /ethdev/list, /help,/ethdev/stats)`);
      }
      result.code = await run(io, commands, opts);
    });
}

/** Runs the CLI; resolves with the exit status (0 ok, 1 failure, 2 usage). */
export async function runEalTelemetry(argv: readonly string[], io: CliIo): Promise<number> {
  const result = { code: 0 };
  try {
    await program(io, result).parseAsync([...argv], { from: 'user' });
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UsageError) {
      io.stderr(`eal-telemetry: ${error.message}\n`);
      return 2;
    }
    const code = error instanceof TelemetryError ? ` (${error.code})` : '';
    io.stderr(`eal-telemetry: ${(error as Error).message}${code}\n`);
    return 1;
  }
}
