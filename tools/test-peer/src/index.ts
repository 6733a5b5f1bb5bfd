// A child process of a multi-process test: it reads JSON commands on stdin and
// prints JSON events on stdout. Every package's multi-process suite drives its
// fixtures through this, so waits, deadlines and the kill-by-pid clean-up are
// written once.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Generous: a loaded 2-core machine starts a Node process in well under this. */
export const DEADLINE_MS = 20_000;

export interface PeerEvent {
  event: string;
  [key: string]: unknown;
}

export class JsonPeer {
  /** Every event so far (stdout lines that are not JSON and stderr chunks included), so waits never miss one. */
  readonly events: PeerEvent[] = [];
  readonly exited: Promise<void>;
  readonly #waiters = new Set<() => void>();

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as PeerEvent);
      } catch {
        this.events.push({ event: 'stdout', line });
      }
      this.#wakeAll();
    });
    child.stderr.on('data', (chunk: Buffer) => this.events.push({ event: 'stderr', text: chunk.toString() }));
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        this.#wakeAll();
        resolve();
      }),
    );
  }

  /** Starts `node script ...args` with piped stdio. */
  static spawn(script: string, args: readonly string[]): JsonPeer {
    return new JsonPeer(spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The first event from `from` on that matches; fails with what was seen if the child exits or the deadline passes. */
  async waitFor(predicate: (e: PeerEvent) => boolean, from = 0): Promise<PeerEvent> {
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const found = this.events.slice(from).find(predicate);
      if (found) return found;
      const gone = this.child.exitCode !== null || this.child.signalCode !== null;
      if (gone || Date.now() > deadline) {
        throw new Error(`process ${this.pid}: ${gone ? 'exited' : 'timed out'}; events: ${JSON.stringify(this.events.slice(-30))}`);
      }
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.#waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, 250);
        this.#waiters.add(wake);
      });
    }
  }

  /** Sends a command and waits for the next event of kind `reply` (or an `error` event). */
  async command(cmd: Record<string, unknown>, reply: string): Promise<PeerEvent> {
    const from = this.events.length;
    this.child.stdin.write(JSON.stringify(cmd) + '\n');
    return this.waitFor((e) => e.event === reply || e.event === 'error', from);
  }

  /** Kills it by pid if it still runs, and waits for its exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await this.exited;
  }

  #wakeAll(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}
export { type PollOptions, eventually, holdsFor, pollUntil } from './poll.js';
