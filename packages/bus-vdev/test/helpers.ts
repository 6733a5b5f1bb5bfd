import { LogLevel, LogRegistry, type Logger } from '@eal-ts/log';
import type { VdevDevice, VdevDriver } from '../src/index.js';

/** A logger that keeps its lines (debug included), so tests stay quiet and can look at them. */
export function quietLogger(type = 'bus.vdev', prefix = 'VDEV'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = new LogRegistry({ sink: (line) => lines.push(line) }).register(type, { prefix, level: LogLevel.DEBUG });
  return { logger, lines };
}

/** A vdev driver recording its calls and the arguments it was probed with. */
export class RecordingDriver implements VdevDriver {
  readonly calls: string[] = [];
  readonly probedArgs = new Map<string, string>();
  failProbe: Error | null = null;
  failRemove: Error | null = null;

  constructor(
    readonly name: string,
    readonly aliases?: readonly string[],
    readonly validKeys?: readonly string[],
  ) {}

  probe(dev: VdevDevice): Promise<void> {
    this.calls.push(`probe ${dev.name}`);
    this.probedArgs.set(dev.name, dev.args);
    return this.failProbe ? Promise.reject(this.failProbe) : Promise.resolve();
  }

  remove(dev: VdevDevice): Promise<void> {
    this.calls.push(`remove ${dev.name}`);
    return this.failRemove ? Promise.reject(this.failRemove) : Promise.resolve();
  }
}
