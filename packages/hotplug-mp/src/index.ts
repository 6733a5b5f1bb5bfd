export {
  EAL_DEV_MP_ACTION_REQUEST,
  EAL_DEV_MP_DEV_ARGS_MAX_LEN,
  EAL_DEV_MP_REQ_SIZE,
  EalDevReqType,
  EalDevMpReqError,
  checkDevargsLength,
  decodeEalDevMpReq,
  describeEalDevMpReq,
  ealDevReqTypeName,
  encodeEalDevMpReq,
  isEalDevReqType,
  type EalDevMpReq,
  type EalDevMpReqFault,
} from './eal_dev_mp_req.js';
export { HotplugError, describeResult, type HotplugErrorDetails, type HotplugOp, type HotplugStage } from './errors.js';
export { echoReply } from './hotplug_mp_request.js';
export {
  HOTPLUG_MP_TIMEOUT_MS,
  type HotplugChannel,
  type HotplugDeviceEvent,
  type HotplugEvents,
  type HotplugObservedEvent,
  type HotplugRollbackEvent,
} from './hotplug_context.js';
export {
  Hotplug,
  type HotplugAttachResult,
  type HotplugCallOptions,
  type HotplugOptions,
} from './eal_common_dev.js';
