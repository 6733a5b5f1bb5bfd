export { TelemetryError, TelemetryUnavailableError, type TelemetryErrorCode } from './errors.js';
export {
  MAX_ARRAY_ENTRIES,
  MAX_CMD_LEN,
  MAX_DICT_ENTRIES,
  MAX_OUTPUT_LEN,
  MAX_SINGLE_STRING_LEN,
  MAX_STRING_LEN,
  formatReply,
  type TelemetryValue,
} from './telemetry_json.js';
export { parsePortIdParam } from './telemetry_params.js';
export {
  DEFAULT_FILE_PREFIX,
  TELEMETRY_SOCKET_NAME,
  listTelemetrySockets,
  telemetryBaseDir,
  telemetryRuntimeDir,
  telemetrySocketName,
  telemetrySocketPath,
  type TelemetryEnvironment,
  type TelemetrySocketEntry,
} from './telemetry_path.js';
export { MAX_HELP_LEN, TelemetryRegistry, type TelemetryHandler, type TelemetryInfo } from './telemetry_registry.js';
export {
  MAX_CONNECTIONS,
  MAX_PENDING_REQUESTS,
  MAX_REQUEST_LEN,
  TelemetryServer,
  parseRequest,
  type TelemetryRequest,
  type TelemetryServerOptions,
} from './telemetry.js';
export {
  TelemetryClient,
  type EthdevInfo,
  type EthdevLinkStatus,
  type EthdevTelemetryStats,
  type RteEthStats,
  type TelemetryConnectOptions,
  type TelemetryRequestOptions,
} from './telemetry_client.js';
