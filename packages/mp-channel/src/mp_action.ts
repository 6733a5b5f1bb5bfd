// The receiving side's actions (rte_mp_t): running one on a message and the
// ownership of the fds that came with it (DPDK's cleanup_msg_fds for every
// message nobody keeps the descriptors of).
import { messageOf as describe } from '@eal-ts/errno';
import type { Logger } from '@eal-ts/log';
import type { MpAction, MpReceivedMessage } from './mp_types.js';

export { describe };

/** A received message whose fds are the channel's until the action takes them. */
class ReceivedMessage implements MpReceivedMessage {
  #owned: boolean;

  constructor(
    readonly name: string,
    readonly param: Uint8Array,
    readonly fds: number[],
    private readonly closeFds: (fds: readonly number[]) => void,
  ) {
    this.#owned = fds.length > 0;
  }

  takeFds(): number[] {
    if (!this.#owned) return [];
    this.#owned = false;
    return this.fds;
  }

  /** The action is done: close the fds it did not take. */
  release(): void {
    if (!this.#owned) return;
    this.#owned = false;
    this.closeFds(this.fds);
  }
}

/**
 * Runs an action; its fds are closed once it is done (returned, or its
 * promise settled) unless it took them. A throw or rejection is logged, never fatal.
 */
export function runAction(
  action: MpAction,
  received: { name: string; param: Uint8Array; fds: number[]; peer: string },
  logger: Logger,
  closeFds: (fds: readonly number[]) => void,
): void {
  const msg = new ReceivedMessage(received.name, received.param, received.fds, closeFds);
  let result: unknown;
  try {
    result = action(msg, received.peer);
  } catch (error) {
    logger.err(`Fail to handle message: ${msg.name}: ${describe(error)}`);
    msg.release();
    return;
  }
  if (result instanceof Promise) {
    result.then(
      () => msg.release(),
      (error: unknown) => {
        logger.err(`Fail to handle message: ${msg.name}: ${describe(error)}`);
        msg.release();
      },
    );
  } else msg.release();
}
