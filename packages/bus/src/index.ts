// The errno vocabulary of this package's API, from its one home.
export { ERRNO, type ErrnoName, isErrnoName } from '@eal-ts/errno';
export { DevargsError, type DevargsErrorReason, DeviceError, EalError, KvargsError } from './errors.js';
export { type IntRange, Kvargs, type KvPair, RTE_KVARGS_MAX, formatKvargs, parseKvargs, splitKvargsItems } from './rte_kvargs.js';
export {
  type BusLookup,
  DEVARGS_MAX_LEN,
  type Devargs,
  type DevargsLayer,
  RTE_DEV_NAME_MAX_LEN,
  devargsKvargs,
  findBusByDeviceName,
  formatDevargs,
  parseDevargs,
  splitDevargsLayers,
} from './rte_devargs.js';
export { type DevargsEntry, DevargsList, type DevargsPolicy, type ScanMode } from './devargs_list.js';
export { Device, type DeviceClass, type DeviceInit, type Driver, SOCKET_ID_ANY } from './rte_dev.js';
export { Bus, type BusOptions, type BusProbeSummary } from './rte_bus.js';
export { BusRegistry, type BusRegistryOptions } from './eal_common_bus.js';
export { devIterate, findDeviceByDevargs, localDevProbe, localDevRemove } from './local_dev.js';
