export { HotplugProcess, HOTPLUG_MP_BIN, PROMPT, running, stopAll, type ProcessStats, type StartOptions } from './app_process.js';
export { Cluster, activeClusters, type Agreement, type ClusterOptions } from './cluster.js';
export { runChaos, summaryLine, DEFAULT_WEIGHTS, type ChaosOptions, type ChaosResult, type Divergence, type StepKind } from './chaos.js';
export { runSoak, soakLines, type SoakOptions, type SoakResult, type Snapshot } from './soak.js';
