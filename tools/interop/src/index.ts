export { Testpmd, TESTPMD_PATH, testpmdAvailable, type TestpmdOptions } from './testpmd.js';
export { AppProcess, HOTPLUG_MP_BIN, PROMPT, started } from './app_process.js';
export { MP_PEER_2511, MpPeer2511, python3Available } from './mp_peer.js';
