import { quietLogger as keepLines } from '@eal-ts/test-kit';
import type { Logger } from '@eal-ts/log';

/** A vdev driver recording its calls and the arguments it was probed with (the test kit's). */
export { RecordingDriver } from '@eal-ts/test-kit';

/** A logger that keeps its lines (debug included), so tests stay quiet and can look at them. */
export function quietLogger(type = 'bus.vdev', prefix = 'VDEV'): { logger: Logger; lines: string[] } {
  return keepLines(type, { prefix });
}
