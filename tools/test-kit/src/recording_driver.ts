// A driver of a test bus that records what it was asked and can be told to
// fail its probe or remove, or to take time on a (virtual) clock. Typed by
// shape only, so it serves the generic bus, the vdev bus and hotplug alike.

export interface RecordedDevice {
  readonly name: string;
  /** A vdev's arguments, kept in `probedArgs`. */
  readonly args?: string;
}

export interface TimerClock {
  setTimeout(callback: () => void, ms: number): unknown;
}

export class RecordingDriver {
  /** `probe <name>` and `remove <name>`, in order. */
  readonly calls: string[] = [];
  /** The arguments each device was last probed with (vdevs). */
  readonly probedArgs = new Map<string, string>();
  failProbe: Error | null = null;
  failRemove: Error | null = null;
  /** Makes every probe and remove take this long on `clock` (a slow driver, or a stopped process). */
  slow: { clock: TimerClock; ms: number } | null = null;

  constructor(
    readonly name: string,
    readonly aliases?: readonly string[],
    readonly validKeys?: readonly string[],
  ) {}

  probe(dev: RecordedDevice): Promise<void> {
    this.calls.push(`probe ${dev.name}`);
    if (dev.args !== undefined) this.probedArgs.set(dev.name, dev.args);
    return this.#outcome(() => this.failProbe);
  }

  remove(dev: RecordedDevice): Promise<void> {
    this.calls.push(`remove ${dev.name}`);
    return this.#outcome(() => this.failRemove);
  }

  /** Settles now, or after `slow.ms` on its clock; the failure is read when it settles. */
  #outcome(failure: () => Error | null): Promise<void> {
    const settle = (resolve: () => void, reject: (e: Error) => void): void => {
      const error = failure();
      if (error) reject(error);
      else resolve();
    };
    const slow = this.slow;
    if (!slow) return new Promise(settle);
    return new Promise((resolve, reject) => slow.clock.setTimeout(() => settle(resolve, reject), slow.ms));
  }
}
