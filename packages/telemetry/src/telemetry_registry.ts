/**
 * The command table of DPDK's lib/telemetry (rte_telemetry_register_cmd):
 * names start with '/', are shorter than MAX_CMD_LEN and use letters,
 * digits, '_' and '/'; each has a help text; `/`, `/info` and `/help` are
 * always there.
 */
import { TelemetryError } from './errors.js';
import { MAX_CMD_LEN, MAX_OUTPUT_LEN, type TelemetryValue } from './telemetry_json.js';

/** Answers one request; `params` is what followed the first ',' (undefined when nothing did). */
export type TelemetryHandler = (params: string | undefined, command: string) => TelemetryValue | Promise<TelemetryValue>;

/** MAX_HELP_LEN in DPDK 22.11: help texts keep one less. */
export const MAX_HELP_LEN = 128;

/** The greeting and /info: what this telemetry server is. */
export interface TelemetryInfo {
  version: string;
  pid: number;
  max_output_len: number;
}

interface Entry {
  handler: TelemetryHandler;
  help: string;
}

const COMMAND_PATTERN = /^\/[A-Za-z0-9_/]*$/;

export class TelemetryRegistry {
  readonly #commands = new Map<string, Entry>();
  readonly version: string;

  /** `version` is what the greeting and /info report (see the package README for eal-ts's choice). */
  constructor(options: { version?: string } = {}) {
    this.version = options.version ?? 'eal-ts';
    this.register('/', () => this.commands(), 'Returns list of available commands, Takes no parameters');
    this.register('/info', () => ({ ...this.info() }), 'Returns DPDK Telemetry information. Takes no parameters');
    // DPDK 22.11 answers /help without params with its own help text, as a string.
    this.register(
      '/help',
      (params) => (params === undefined ? this.help('/help') ?? null : this.#helpOf(params)),
      'Returns help text for a command. Parameters: string command',
    );
  }

  info(): TelemetryInfo {
    return { version: this.version, pid: process.pid, max_output_len: MAX_OUTPUT_LEN };
  }

  /**
   * Adds a command. Throws TelemetryError EINVAL for a name DPDK refuses or a
   * help text too long, EEXIST for a name already registered.
   */
  register(command: string, handler: TelemetryHandler, help: string): void {
    if (typeof command !== 'string' || !COMMAND_PATTERN.test(command) || Buffer.byteLength(command) >= MAX_CMD_LEN) {
      throw new TelemetryError(
        'EINVAL',
        `invalid telemetry command ${JSON.stringify(command)}: expected '/' then letters, digits, '_' or '/', shorter than ${MAX_CMD_LEN} bytes`,
      );
    }
    if (typeof handler !== 'function') throw new TelemetryError('EINVAL', `handler of ${command} must be a function`);
    if (typeof help !== 'string' || Buffer.byteLength(help) >= MAX_HELP_LEN) {
      throw new TelemetryError('EINVAL', `help text of ${command} must be a string shorter than ${MAX_HELP_LEN} bytes`);
    }
    if (this.#commands.has(command)) throw new TelemetryError('EEXIST', `telemetry command ${command} is already registered`);
    this.#commands.set(command, { handler, help });
  }

  /** Removes a command (eal-ts packages unregister when they close); false when it was not there. */
  unregister(command: string): boolean {
    if (command === '/' || command === '/info' || command === '/help') return false;
    return this.#commands.delete(command);
  }

  /** The command names, sorted as DPDK keeps them. */
  commands(): string[] {
    return [...this.#commands.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  help(command: string): string | undefined {
    return this.#commands.get(command)?.help;
  }

  has(command: string): boolean {
    return this.#commands.has(command);
  }

  /**
   * Runs a command: its value, or null for an unknown command, a handler
   * that throws or rejects (DPDK's negative return), or one that does not
   * answer within `timeoutMs`.
   */
  async execute(command: string, params: string | undefined, timeoutMs = 5000): Promise<TelemetryValue> {
    const entry = this.#commands.get(command);
    if (entry === undefined) return null;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), timeoutMs);
      });
      const value = await Promise.race([Promise.resolve().then(() => entry.handler(params, command)), timeout]);
      return value === undefined ? null : value;
    } catch {
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  #helpOf(params: string): TelemetryValue {
    const help = this.#commands.get(params)?.help;
    return help === undefined ? null : { [params]: help };
  }
}
