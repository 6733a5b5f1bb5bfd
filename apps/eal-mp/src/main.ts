import { VDEV_MP_KEY, describeVdevParam } from '@eal-ts/bus-vdev';
import { EAL_DEV_MP_ACTION_REQUEST, describeEalDevMpReq } from '@eal-ts/hotplug-mp';
import { MpParamDecoders } from '@eal-ts/mp-channel';
import { runEalMp } from './eal-mp.js';

const interrupted = new Promise<void>((resolve) => {
  process.once('SIGINT', () => resolve());
  process.once('SIGTERM', () => resolve());
});
// The structs of DPDK's own actions, decoded by the packages that define them.
const decoders = new MpParamDecoders()
  .register(EAL_DEV_MP_ACTION_REQUEST, describeEalDevMpReq)
  .register(VDEV_MP_KEY, describeVdevParam);
process.exitCode = await runEalMp(process.argv.slice(2), {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  interrupted: () => interrupted,
  decoders,
});
