import { spawnSync } from 'node:child_process';
import { access } from 'node:fs/promises';
import { constants } from 'node:fs';
import { Child, tempDir, uniquePrefix } from '@eal-ts/test-kit';
import { DpdkPrimary } from './dpdk_primary.js';

/**
 * The dpdk-testpmd the suites run: `TESTPMD=path` (or `DPDK_TESTPMD`), else
 * Debian's (22.11, from the `dpdk` package). Any DPDK version works: a build
 * of 23.11, 24.11 or 25.11 outside the repository, for instance.
 */
export const TESTPMD_PATH = process.env.TESTPMD || process.env.DPDK_TESTPMD || '/usr/bin/dpdk-testpmd';

let version: string | null | undefined;

/**
 * The DPDK version of TESTPMD_PATH ("25.11.2"), from its EAL's `-v` line, or
 * null when it cannot be run here (the interop suites then skip by name).
 */
export function testpmdVersion(): string | null {
  if (version === undefined) {
    const run = spawnSync(TESTPMD_PATH, ['-v', '--no-huge', '--no-pci', '-m', '64', '--in-memory', '--', '-h'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    version = run.error ? null : (/RTE Version: 'DPDK ([^']+)'/.exec(`${run.stdout}${run.stderr}`)?.[1] ?? null);
  }
  return version;
}

/** Whether a real DPDK testpmd can be run here. */
export function testpmdAvailable(): boolean {
  return testpmdVersion() !== null;
}

/** "DPDK 25.11.2 (…/dpdk-testpmd)" for suite names, or "DPDK testpmd (not found: …)". */
export function testpmdLabel(): string {
  const v = testpmdVersion();
  return v ? `DPDK ${v} (${TESTPMD_PATH})` : `DPDK testpmd (not found: ${TESTPMD_PATH}; set TESTPMD=path)`;
}

/**
 * A regular expression for `text` as testpmd prints it: its cmdline writes
 * the prompt one character at a time, so a line another thread logs
 * meanwhile can land inside it (seen on a 2-core machine: "tes", then
 * "testpmd: Failed to attach port net_ring0\n", then "tpmd> "). Whole lines
 * are allowed between its characters.
 */
export function interleaved(text: string): string {
  return [...text].map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('(?:[^\\n]*\\n)*?');
}

/** testpmd's prompt, whole or with log lines inside it (see `interleaved`). */
export const TESTPMD_PROMPT = new RegExp(interleaved('testpmd> '));

/** `until` for Testpmd.command: `what` (a regular expression's source), then the prompt that follows it; or any of `otherwise`. */
export function thenPrompt(what: string, ...otherwise: string[]): RegExp {
  return new RegExp([`${what}[\\s\\S]*?${TESTPMD_PROMPT.source}`, ...otherwise].join('|'));
}

export interface TestpmdOptions {
  /** --file-prefix; defaults to a unique one. */
  readonly filePrefix?: string;
  /** --vdev arguments, e.g. ['net_null0']. */
  readonly vdevs?: readonly string[];
  /** Further EAL arguments, e.g. ['--no-telemetry']. */
  readonly eal?: readonly string[];
  /** How long start-up may take before the harness gives up and kills it. */
  readonly startTimeoutMs?: number;
}

/**
 * A real DPDK primary: dpdk-testpmd without hugepages, driven through
 * its interactive prompt on stdin. The runtime base is a fresh temporary
 * directory passed as RUNTIME_DIRECTORY (DPDK honours it), so tests never
 * touch /var/run and clean up by removing one directory.
 */
export class Testpmd extends DpdkPrimary {

  static async start(options: TestpmdOptions = {}): Promise<Testpmd> {
    const base = await tempDir('testpmd');
    const filePrefix = options.filePrefix ?? uniquePrefix('interop');
    const eal = ['--no-huge', '-m', '256', '--no-pci', '-l', '0-1', `--file-prefix=${filePrefix}`];
    for (const vdev of options.vdevs ?? []) eal.push(`--vdev=${vdev}`);
    eal.push(...(options.eal ?? []));
    const app = ['-i', '--no-mlockall', '--total-num-mbufs=4096'];
    // stdbuf: testpmd's stdout is a pipe here and would otherwise stay buffered.
    const proc = Child.spawn('stdbuf', ['-o0', '-e0', TESTPMD_PATH, ...eal, '--', ...app], {
      env: { ...process.env, RUNTIME_DIRECTORY: base.path },
      label: 'dpdk-testpmd',
    });
    const testpmd = new Testpmd(proc, base, filePrefix);
    return DpdkPrimary.ready(testpmd, async () => {
      await testpmd.waitFor(TESTPMD_PROMPT, options.startTimeoutMs ?? 30_000);
      await access(testpmd.mpSocketPath, constants.F_OK);
    });
  }

  /** Everything testpmd printed so far. */
  get log(): string {
    return this.proc.output;
  }

  /**
   * Runs one testpmd command and resolves with what it printed up to the
   * next prompt (or up to `until`, for output that arrives later).
   */
  async command(line: string, options: { until?: RegExp; timeoutMs?: number } = {}): Promise<string> {
    const start = this.proc.output.length;
    const timeoutMs = options.timeoutMs ?? 15_000;
    this.proc.write(line + '\n');
    const shown = await this.waitFor(options.until ?? TESTPMD_PROMPT, timeoutMs, start + 1);
    // The prompt that closes this command's output (when `until` matched before it), so the next command's output starts after it.
    await this.waitFor(TESTPMD_PROMPT, timeoutMs, start + 1 + shown.index!);
    return this.proc.output.slice(start);
  }

  /** Port names from `show port summary all`, by port id. */
  async ports(): Promise<Map<number, string>> {
    const text = await this.command('show port summary all');
    const ports = new Map<number, string>();
    for (const match of text.matchAll(/^(\d+)\s+\S+\s+(\S+)\s+\S+/gm)) ports.set(Number(match[1]), match[2]!);
    return ports;
  }

  /**
   * Quits testpmd (SIGKILL by pid if it lingers past 10 s) and removes its
   * runtime files. Resolves with how long the quit took, in ms (0 if it had
   * already exited): a DPDK 25.11 (22.11.11+, 23.11.6+, 24.11.4+) testpmd first asks each
   * secondary `mp_testpmd` EXIT and waits up to 5 s for the answers.
   */
  async stop(): Promise<number> {
    let quitMs = 0;
    if (this.proc.alive) {
      const start = Date.now();
      this.proc.end('quit\n');
      const timer = setTimeout(() => void this.proc.stop(), 10_000);
      await this.proc.exited;
      clearTimeout(timer);
      quitMs = Date.now() - start;
    }
    await this.removeBase();
    return quitMs;
  }
}
