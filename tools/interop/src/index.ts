export { Testpmd, TESTPMD_PATH, TESTPMD_PROMPT, interleaved, testpmdAvailable, testpmdLabel, testpmdVersion, thenPrompt, type TestpmdOptions } from './testpmd.js';
export { AppProcess, HOTPLUG_MP_BIN, PROMPT, started, tearDown } from './app_process.js';
export { DpdkPrimary } from './dpdk_primary.js';
export { MP_PEER_2511, MpPeer2511, python3Available, type MpPeerOptions } from './mp_peer.js';
