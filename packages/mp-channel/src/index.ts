export { MpError, MpCodecError, type MpCodecField, type MpErrorCode } from './errors.js';
export {
  RTE_MP_MAX_NAME_LEN,
  RTE_MP_MAX_PARAM_LEN,
  RTE_MP_MAX_FD_NUM,
  RTE_MP_MAX_FD_NUM_24_11,
  MpMsgType,
  MP_MSG_LAYOUTS,
  MP_MSG_SIZES,
  mpMsgTypeName,
  isMpLayout,
  encodeMpName,
  encodeMpMsg,
  decodeMpMsg,
  type MpLayout,
  type MpMsgTypeName,
  type MpLayoutOffsets,
  type MpMsg,
  type DecodedMpMsg,
} from './rte_mp_msg.js';
export {
  DEFAULT_FILE_PREFIX,
  MP_SOCKET_FILTER,
  FBARRAY_FILTER,
  SUN_PATH_MAX,
  runtimeBaseDir,
  runtimeDir,
  createRuntimeDir,
  configPath,
  mpSocketPath,
  secondarySocketPath,
  matchMpSocketFilter,
  matchFbarrayFilter,
  type RuntimeEnvironment,
} from './eal_filesystem.js';
export type { ReceivedDatagram, MpEndpoint, MpLockOptions, MpTransport } from './transport.js';
export { UnixTransport, type UnixTransportOptions } from './transport_unix.js';
export {
  MemoryNetwork,
  type MemoryNetworkOptions,
  type DatagramHook,
  type Credentials,
} from './transport_memory.js';
export { systemClock, VirtualClock, type Clock } from './clock.js';
export { RwLock } from './rwlock.js';
export { MpChannel } from './eal_common_proc.js';
export type {
  MpMessage,
  MpReply,
  MpResponse,
  MpAction,
  MpChannelOptions,
  MpRequestOptions,
  MpTrace,
  MpUnhandledAction,
  MpReceivedMessage,
} from './mp_types.js';
export { openMpObserver, answerEveryRequest, MpParamDecoders, type MpObserverOptions, type MpParamDecoder } from './mp_observer.js';
export {
  MCFG_HEADER_SIZE,
  RTE_MAGIC,
  EAL_TS_MCFG_VERSION,
  EAL_TS_CONFIG_SIZE,
  rteVersionNum,
  parseRteVersion,
  formatDpdkVersion,
  mpLayoutForVersion,
  parseMemConfigHeader,
  readPrimaryConfig,
  describePrimaryConfig,
  primaryMpLayout,
  writeEalTsConfig,
  type DpdkVersion,
  type PrimaryConfig,
} from './eal_memcfg.js';
export {
  PrimaryLock,
  READY_FILE,
  primaryLockHolder,
  detectProcessType,
  decideProcessType,
  writeReadyFile,
  type DecideProcessTypeOptions,
  type ProcessType,
  type ProcessTypeDecision,
} from './eal_proc_type.js';
