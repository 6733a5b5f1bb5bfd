export { EthdevError, isEthdevError, type EthdevErrorCode } from './errors.js';
export {
  ETHDEV_DATA_FILE,
  EthdevSharedData,
  type SharedDataCreateOptions,
  type SharedDataOptions,
} from './ethdev_shared_data.js';
export { MemoryPortTable, type MemoryPortTableOptions } from './memory_port_table.js';
export {
  MAX_ETHPORTS_LIMIT,
  RTE_ETH_NAME_MAX_LEN,
  RTE_MAX_ETHPORTS,
  checkPortName,
  type PortTable,
  type PortTableSnapshot,
  type SharedPort,
  type TableAllocateOptions,
  type TableReleaseOptions,
} from './port_table.js';
export {
  EthdevPorts,
  type EthdevPortsEvents,
  type EthdevPortsOptions,
  type PortSetup,
} from './ethdev_driver.js';
export {
  EthDev,
  MAX_BURST,
  MAX_QUEUE_ID,
  type EthDevInit,
  type EthDevOps,
  type EthDevState,
  type EthStats,
  type EthQueueStats,
  type Packet,
} from './rte_ethdev.js';
export {
  ETHDEV_TELEMETRY_COMMANDS,
  RTE_ETHDEV_QUEUE_STAT_CNTRS,
  portMacAddress,
  registerEthdevTelemetry,
} from './rte_ethdev_telemetry.js';
