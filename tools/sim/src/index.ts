export { Prng } from '@eal-ts/test-kit';
export { type Choices, Enumerator } from './choices.js';
export { FaultDriver } from './fault_driver.js';
export { SIM_DIR, SimProcess, type SimProcessOptions } from './sim_process.js';
export {
  FAULT_KINDS,
  MAX_PROCESSES,
  SIM_DEVICES,
  SIM_TIMEOUT_MS,
  type FaultKind,
  type SimOptions,
  type SimResult,
  simulate,
} from './simulate.js';
export { type BatchResult, type ExhaustiveResult, replayPath, report, runExhaustive, runSchedules, summary } from './run.js';
