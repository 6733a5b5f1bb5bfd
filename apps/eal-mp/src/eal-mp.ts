// eal-mp: talk to any running DPDK (or eal-ts) application's mp channel from a shell.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  answerEveryRequest,
  MpChannel,
  type MpLayout,
  type MpParamDecoders,
  type MpTrace,
  PrimaryLock,
  type ProcessType,
  RTE_MP_MAX_PARAM_LEN,
  UnixTransport,
  createRuntimeDir,
  describePrimaryConfig,
  formatDpdkVersion,
  matchMpSocketFilter,
  mpSocketPath,
  openMpObserver,
  primaryLockHolder,
  readPrimaryConfig,
  runtimeDir,
} from '@eal-ts/mp-channel';
import { traceToJson, traceToText } from './format.js';

/** What a command needs from the outside world, so tests can run it in-process too. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Resolves when the user interrupts (SIGINT/SIGTERM). */
  interrupted: () => Promise<void>;
  /** Param decoders for the human output (eal_dev_mp_request, bus_vdev_mp, …); hex only without. */
  decoders?: MpParamDecoders;
}

interface ChannelOptions {
  filePrefix: string;
  json: boolean;
  layout: MpLayout | 'auto';
}

/** Exit status for a failure that is not the user's wording (timeout, no primary, I/O). */
class CommandFailed extends Error {}

function parseHex(text: string): Uint8Array {
  const digits = text.replace(/^0x/i, '');
  if (!/^([0-9a-f]{2})*$/i.test(digits)) {
    throw new InvalidArgumentError('expected an even number of hex digits, e.g. 0100000000');
  }
  const bytes = Buffer.from(digits, 'hex');
  if (bytes.length > RTE_MP_MAX_PARAM_LEN) {
    throw new InvalidArgumentError(`${bytes.length} bytes is more than DPDK's ${RTE_MP_MAX_PARAM_LEN}-byte param`);
  }
  return bytes;
}

function parseTimeout(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidArgumentError('expected a positive whole number of milliseconds');
  }
  return value;
}

function withChannelOptions(command: Command): Command {
  return command
    .option('--file-prefix <prefix>', "the application's --file-prefix", 'rte')
    .option('--json', 'print one JSON object per message: {"dir","type","name","param","fds","peer"}', false)
    .addOption(
      new Option(
        '--layout <version>',
        "datagram layout for peers not heard from yet; auto: the primary's DPDK version from its config file, else 22.11",
      )
        .choices(['auto', '22.11', '25.11'])
        .default('auto'),
    );
}

async function openChannel(
  role: ProcessType,
  options: ChannelOptions,
  io: CliIo,
  echoRequests: boolean,
): Promise<MpChannel> {
  const print = (trace: MpTrace): void => {
    const decoded = options.json ? undefined : io.decoders?.describeTrace(trace);
    io.stdout((options.json ? traceToJson(trace) : traceToText(trace)) + (decoded === undefined ? '' : `\n   = ${decoded}`) + '\n');
  };
  const dir = role === 'primary' ? await createRuntimeDir(options.filePrefix) : runtimeDir(options.filePrefix);
  if (role === 'secondary') {
    // Never disturbs the application: every REQ is answered with IGN (or echoed when asked to).
    const transport = new UnixTransport();
    return openMpObserver({ transport, runtimeDir: dir, layout: options.layout, onTrace: print, echoRequests });
  }
  const channel: MpChannel = await MpChannel.open({
    transport: new UnixTransport(),
    role,
    runtimeDir: dir,
    // auto: a secondary speaks its primary's layout (read from its config file).
    layout: options.layout,
    tap: print,
    // A secondary asking this stand-in primary gets an answer at once, never a timeout.
    unhandled: answerEveryRequest(() => channel, echoRequests),
  });
  channel.initComplete();
  return channel;
}

async function peers(options: { filePrefix: string; json: boolean }, io: CliIo): Promise<void> {
  const dir = runtimeDir(options.filePrefix);
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    throw new CommandFailed(`no runtime directory for --file-prefix=${options.filePrefix} at ${dir} (${(error as Error).message})`);
  }
  const holder = await primaryLockHolder(dir);
  const config = await readPrimaryConfig(dir);
  const primarySocket = entries.includes('mp_socket') ? mpSocketPath(dir) : null;
  const secondaries = entries.filter(matchMpSocketFilter).sort().map((name) => join(dir, name));
  if (options.json) {
    const kind = {
      kind: config.kind,
      dpdkVersion: config.kind === 'dpdk' ? formatDpdkVersion(config.version) : null,
      layout: config.kind === 'dpdk' ? config.layout : null,
    };
    io.stdout(JSON.stringify({ runtimeDir: dir, primary: { socket: primarySocket, lockHolderPid: holder?.pid ?? null, ...kind }, secondaries }) + '\n');
    return;
  }
  const lock = holder ? `config lock held by pid ${holder.pid}` : 'no process holds the config lock';
  io.stdout(
    [
      `runtime directory  ${dir}`,
      `primary            ${primarySocket ?? '(no mp_socket)'} — ${lock}`,
      `primary is         ${describePrimaryConfig(config)}`,
      `secondaries        ${secondaries.length}`,
      ...secondaries.map((path) => `  ${path}`),
    ].join('\n') + '\n',
  );
}

async function request(
  options: ChannelOptions & { name: string; paramHex: Uint8Array; timeoutMs: number; echoRequests: boolean },
  io: CliIo,
): Promise<void> {
  const channel = await openChannel('secondary', options, io, options.echoRequests);
  try {
    const response = await channel.request({ name: options.name, param: options.paramHex, fds: [] }, { timeoutMs: options.timeoutMs });
    if (response.nbReceived > 0) return;
    throw new CommandFailed(
      response.nbSent === 0
        ? `the primary at ${channel.primaryPath} did not take ${options.name} (it answered IGN: not initialised yet)`
        : `no reply to ${options.name} within ${options.timeoutMs} ms`,
    );
  } finally {
    await channel.close();
  }
}

async function listen(options: ChannelOptions & { echoRequests: boolean }, io: CliIo): Promise<void> {
  const channel = await openChannel('secondary', options, io, options.echoRequests);
  try {
    await io.interrupted();
  } finally {
    await channel.close();
  }
}

async function serve(options: ChannelOptions & { echo: boolean }, io: CliIo): Promise<void> {
  const dir = await createRuntimeDir(options.filePrefix);
  const lock = await PrimaryLock.acquire(dir);
  if (!lock) {
    const holder = await primaryLockHolder(dir);
    throw new CommandFailed(`a primary already runs for --file-prefix=${options.filePrefix}${holder ? ` (pid ${holder.pid})` : ''}`);
  }
  try {
    const channel = await openChannel('primary', options, io, options.echo);
    try {
      io.stderr(`eal-mp: serving as the primary at ${channel.path}${options.echo ? ', echoing every request' : ''}\n`);
      await io.interrupted();
    } finally {
      await channel.close();
    }
  } finally {
    await lock.release();
  }
}

function program(io: CliIo): Command {
  const root = new Command('eal-mp')
    .description("Talk to a running DPDK or eal-ts application's multi-process channel")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)');

  root
    .command('peers')
    .description('show the runtime directory, the primary socket and lock holder, and every secondary socket')
    .option('--file-prefix <prefix>', "the application's --file-prefix", 'rte')
    .option('--json', 'print one JSON object', false)
    .action((options: { filePrefix: string; json: boolean }) => peers(options, io));

  withChannelOptions(
    root
      .command('request')
      .description('join as a secondary, send one REQ to the primary, print what arrives until its reply')
      .requiredOption('--name <action>', 'the action name, e.g. eal_dev_mp_request')
      .option('--param-hex <hex>', 'the param bytes as hex', parseHex, new Uint8Array(0))
      .option('--timeout-ms <ms>', 'how long to wait for the reply', parseTimeout, 5000)
      .option('--echo-requests', 'answer every REQ that arrives with a REP of the same name and param', false),
  ).action((options: ChannelOptions & { name: string; paramHex: Uint8Array; timeoutMs: number; echoRequests: boolean }) =>
    request(options, io),
  );

  withChannelOptions(
    root
      .command('listen')
      .description('join as a secondary and print what arrives until interrupted')
      .option('--echo-requests', 'answer every REQ with a REP of the same name and param', false),
  ).action((options: ChannelOptions & { echoRequests: boolean }) => listen(options, io));

  withChannelOptions(
    root
      .command('serve')
      .description('become the primary (config lock, mp_socket) and print what arrives until interrupted')
      .option('--echo', 'answer every REQ with a REP of the same name and param', false),
  ).action((options: ChannelOptions & { echo: boolean }) => serve(options, io));

  return root;
}

/** Runs eal-mp and resolves with its exit status: 0 done, 1 failed, 2 bad usage. */
export async function runEalMp(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await program(io).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end "with an error" in commander; they are successes here.
      return error.exitCode === 0 ? 0 : 2;
    }
    const code = (error as { code?: unknown }).code;
    io.stderr(`eal-mp: ${(error as Error).message}${typeof code === 'string' && !(error instanceof CommandFailed) ? ` (${code})` : ''}\n`);
    return 1;
  }
}
