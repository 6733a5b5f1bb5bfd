import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child, tempDir } from '@eal-ts/test-kit';
import { DpdkPrimary } from './dpdk_primary.js';

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
export class MpPeer2511 extends DpdkPrimary {

  /** Starts the peer as the primary of `<fresh base>/dpdk/<prefix>`, with `vdevs` as its devices. */
  static async start(vdevs: readonly string[] = ['net_null0'], options: MpPeerOptions = {}): Promise<MpPeer2511> {
    const base = await tempDir('mp2511');
    const filePrefix = `mp2511x${process.pid}`;
    const flags = ['--layout', options.layout ?? '25.11', ...(options.version ? ['--version', options.version] : [])];
    const proc = Child.spawn('python3', [MP_PEER_2511, ...flags, join(base.path, 'dpdk', filePrefix), ...vdevs], { label: 'mp_peer_2511.py' });
    const peer = new MpPeer2511(proc, base, filePrefix);
    return DpdkPrimary.ready(peer, () => peer.waitFor(/^READY /m));
  }

  /** How much it has printed: a mark for waitFor's `from`. */
  get mark(): number {
    return this.proc.output.length;
  }

  /** Every line it printed so far. */
  get lines(): string[] {
    return this.proc.output.split('\n').filter((l) => l !== '');
  }

  /** Starts an ATTACH / DETACH of its own: REQ eal_dev_mp_request to every secondary, then a DONE line. */
  hotplug(op: 'attach' | 'detach', devargs: string): void {
    this.proc.write(`${op} ${devargs}\n`);
  }

  /** What a quitting testpmd does first: REQ mp_testpmd EXIT to every secondary; a STOPPED line follows. */
  stopRequest(): void {
    this.proc.write('stop\n');
  }

  override waitFor(pattern: RegExp, timeoutMs = 10_000, from = 0): Promise<RegExpMatchArray> {
    return super.waitFor(pattern, timeoutMs, from);
  }

  /** Kills it by pid and removes its runtime base. */
  async stop(): Promise<void> {
    await this.proc.stop();
    await this.removeBase();
  }
}
