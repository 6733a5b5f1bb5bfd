export { EalArgsError, EalHelpRequested } from './errors.js';
export {
  CPU_SETSIZE,
  RTE_MAX_LCORE,
  LcoreSyntaxError,
  parseCoremask,
  parseCorelist,
  parseLcoresMap,
  type LcoreConfig,
  type LcoreOption,
} from './eal_lcores.js';
export {
  DEFAULT_FILE_PREFIX,
  DEFAULT_HOTPLUG_TIMEOUT_MS,
  RTE_MAX_NUMA_NODES,
  parseEalArgs,
  parseLogLevelOption,
  type DeviceOption,
  type EalOptions,
  type LogLevelOption,
  type NoEffectOption,
  type ParsedEalArgs,
  type ProcTypeOption,
} from './eal_common_options.js';
export { logLevelUsage, usage } from './eal_usage.js';
export {
  Eal,
  EalInitError,
  ealVersion,
  init,
  type EalInitOptions,
  type EalInitStage,
} from './eal.js';
export { type EalBus, type EalDriver, type EalDriverContext } from './eal_buses.js';
export type { EalLoggers } from './eal_log.js';
// Declared once, beside the config lock that decides it; re-exported for EAL's users.
export { READY_FILE, type ProcessType } from '@eal-ts/mp-channel';
export { TESTPMD_MP, TESTPMD_REQ_TYPE_EXIT, registerTestpmdMp } from './testpmd_mp.js';
export {
  EAL_TELEMETRY_HELP,
  HOTPLUG_HISTORY_LENGTH,
  HotplugHistory,
  splitSavedArgs,
  startEalTelemetry,
  type EalTelemetry,
  type EalTelemetryOptions,
} from './eal_common_telemetry.js';
