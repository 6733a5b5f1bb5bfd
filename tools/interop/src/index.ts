export { Testpmd, TESTPMD_PATH, testpmdAvailable, type TestpmdOptions } from './testpmd.js';
