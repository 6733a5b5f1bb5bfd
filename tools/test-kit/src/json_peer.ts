// A child process of a multi-process test that reads JSON commands on stdin
// and prints JSON events on stdout. Every package's multi-process suite
// drives its fixtures through this.
import { Child, DEADLINE_MS } from './child.js';

export interface PeerEvent {
  event: string;
  [key: string]: unknown;
}

export class JsonPeer {
  /** Every event so far (stdout lines that are not JSON and stderr chunks included), so waits never miss one. */
  readonly events: PeerEvent[] = [];

  constructor(readonly proc: Child) {
    proc.onStdoutLine((line) => {
      try {
        this.events.push(JSON.parse(line) as PeerEvent);
      } catch {
        this.events.push({ event: 'stdout', line });
      }
    });
    proc.child.stderr?.on('data', (text: string) => this.events.push({ event: 'stderr', text }));
  }

  /** Starts `node script ...args` with piped stdio. */
  static spawn<T extends JsonPeer>(this: new (proc: Child) => T, script: string, args: readonly string[]): T {
    return new this(Child.node(script, args));
  }

  get pid(): number {
    return this.proc.pid;
  }

  get exited(): Promise<unknown> {
    return this.proc.exited;
  }

  /** The first event from `from` on that matches; fails with what was seen if the child exits or the deadline passes. */
  async waitFor(predicate: (e: PeerEvent) => boolean, from = 0): Promise<PeerEvent> {
    try {
      return await this.proc.until(() => this.events.slice(from).find(predicate), 'awaited event', DEADLINE_MS);
    } catch {
      const gone = !this.proc.alive;
      throw new Error(`process ${this.pid}: ${gone ? 'exited' : 'timed out'}; events: ${JSON.stringify(this.events.slice(-30))}`);
    }
  }

  /** Sends a command and waits for the next event of kind `reply` (or an `error` event). */
  async command(cmd: Record<string, unknown>, reply: string): Promise<PeerEvent> {
    const from = this.events.length;
    this.proc.write(JSON.stringify(cmd) + '\n');
    return this.waitFor((e) => e.event === reply || e.event === 'error', from);
  }

  /** Kills it by pid if it still runs, and waits for its exit. */
  async stop(): Promise<void> {
    await this.proc.stop();
  }
}
