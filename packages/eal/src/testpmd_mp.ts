/**
 * testpmd's own mp action (app/test-pmd/testpmd.c, `mp_testpmd`), answered by
 * an eal-ts secondary so that a DPDK testpmd primary never waits for us.
 *
 * From DPDK 25.11 (and its stable backports 22.11.11, 23.11.6, 24.11.4) a testpmd
 * primary, in pmd_test_exit, sends REQ `mp_testpmd` { int32 t = EXIT } to
 * every secondary with rte_mp_request_sync and a 5 s timeout; a testpmd
 * secondary stops forwarding and replies { int32 result = 0 }. Any other
 * secondary, DPDK's own ones included, has no such action: after its init it
 * only logs "Cannot find action" and the quitting testpmd sits out the 5 s.
 * eal-ts answers at once instead: 0 for EXIT (nothing of ours keeps the
 * primary's memory alive; our hotplug simply stops hearing from it), and
 * -EINVAL for any other type, as testpmd's handler does.
 */
import type { Logger } from '@eal-ts/log';
import { errnoOf } from '@eal-ts/errno';
import type { MpChannel } from '@eal-ts/mp-channel';

/** TESTPMD_MP. */
export const TESTPMD_MP = 'mp_testpmd';
/** enum testpmd_req_type. */
export const TESTPMD_REQ_TYPE_EXIT = 0;

function resultParam(result: number): Uint8Array {
  const out = Buffer.alloc(4);
  out.writeInt32LE(result, 0);
  return out;
}

/** Registers the `mp_testpmd` action on a secondary's channel. */
export function registerTestpmdMp(channel: MpChannel, logger: Logger): void {
  channel.register(TESTPMD_MP, async (msg, peer) => {
    const type = msg.param.length >= 4 ? Buffer.from(msg.param.buffer, msg.param.byteOffset, 4).readInt32LE(0) : undefined;
    if (type === TESTPMD_REQ_TYPE_EXIT) {
      logger.info('The primary (testpmd) is exiting: acknowledged, its hotplug messages end here');
      await channel.reply({ name: TESTPMD_MP, param: resultParam(0), fds: [] }, peer);
      return;
    }
    logger.warning(`Unknown ${TESTPMD_MP} request ${type === undefined ? `of ${msg.param.length} bytes` : `type ${type}`}: answered -EINVAL`);
    await channel.reply({ name: TESTPMD_MP, param: resultParam(errnoOf('EINVAL')), fds: [] }, peer);
  });
}
