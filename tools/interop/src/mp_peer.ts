import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The synthetic DPDK 25.11 primary (python3, standard library only). */
export const MP_PEER_2511 = fileURLToPath(new URL('../test/fixtures/mp_peer_2511.py', import.meta.url));

/** Whether python3 can be run here (the 25.11 suite skips otherwise). */
export function python3Available(): boolean {
  return spawnSync('python3', ['--version'], { stdio: 'ignore', timeout: 10_000 }).error === undefined;
}

export interface MpPeerOptions {
  /** The DPDK it plays: '25.11' (340-byte datagrams, the default) or '22.11' (332 bytes). */
  readonly layout?: '22.11' | '25.11';
  /** The version written in its config file, e.g. '25.11.2' (default 25.11.2 or 22.11.11 by layout). */
  readonly version?: string;
}

/**
 * A synthetic DPDK mp primary (tools/interop/test/fixtures/mp_peer_2511.py)
 * in a fresh runtime base: datagrams of its layout's size only, dropped
 * otherwise as DPDK's read_msg does; a config file with DPDK's magic and
 * version; the vdev scan; hotplug broadcasts to every secondary. Its stdout
 * is one line per event (READY, RECV <size> <type> <action> <peer> <detail>,
 * REFUSED <size> bytes from <peer> (<why>), SENT <type> <action> <peer>,
 * DONE <op> <devargs> <result> <answered>/<asked>).
 */
export class MpPeer2511 {
  private output = '';
  private readonly exit: Promise<unknown>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    /** The base to give eal-ts processes as RUNTIME_DIRECTORY. */
    readonly runtimeBase: string,
    readonly filePrefix: string,
  ) {
    child.stdout.setEncoding('utf8').on('data', (s: string) => (this.output += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (this.output += s));
    this.exit = once(child, 'exit');
  }

  /** Starts the peer as the primary of `<fresh base>/dpdk/<prefix>`, with `vdevs` as its devices. */
  static async start(vdevs: readonly string[] = ['net_null0'], options: MpPeerOptions = {}): Promise<MpPeer2511> {
    const runtimeBase = await mkdtemp(join(tmpdir(), 'eal-ts-mp2511-'));
    const filePrefix = `mp2511x${process.pid}`;
    const flags = ['--layout', options.layout ?? '25.11', ...(options.version ? ['--version', options.version] : [])];
    const child = spawn('python3', [MP_PEER_2511, ...flags, join(runtimeBase, 'dpdk', filePrefix), ...vdevs], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const peer = new MpPeer2511(child, runtimeBase, filePrefix);
    try {
      await peer.waitFor(/^READY /m);
    } catch (error) {
      await peer.stop();
      throw error;
    }
    return peer;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get runtimeDir(): string {
    return join(this.runtimeBase, 'dpdk', this.filePrefix);
  }

  /** How much it has printed: a mark for waitFor's `from`. */
  get mark(): number {
    return this.output.length;
  }

  /** Every line it printed so far. */
  get lines(): string[] {
    return this.output.split('\n').filter((l) => l !== '');
  }

  /** Starts an ATTACH / DETACH of its own: REQ eal_dev_mp_request to every secondary, then a DONE line. */
  hotplug(op: 'attach' | 'detach', devargs: string): void {
    this.child.stdin.write(`${op} ${devargs}\n`);
  }

  /** Waits until its output from character `from` on matches. */
  /** What a quitting testpmd does first: REQ mp_testpmd EXIT to every secondary; a STOPPED line follows. */
  stopRequest(): void {
    this.child.stdin.write('stop\n');
  }

  async waitFor(pattern: RegExp, timeoutMs = 10_000, from = 0): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.output.slice(from).match(pattern);
      if (match) return match;
      if (this.child.exitCode !== null) throw new Error(`mp_peer_2511.py exited (${this.child.exitCode}):\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(pattern)} from mp_peer_2511.py:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Kills it by pid and removes its runtime base. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await this.exit;
    }
    await rm(this.runtimeBase, { recursive: true, force: true });
  }
}
