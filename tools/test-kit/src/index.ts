// @eal-ts/test-kit: what every suite (and the chaos, interop and simulator
// tools) shares to start processes, wait and build worlds. Private.
export { Child, type ChildOptions, DEADLINE_MS, type ExitStatus, type RunResult, running, runToExit, stopAll } from './child.js';
export { BAD_TELEMETRY_CLIENT } from './fixtures.js';
export { HotplugMpApp, HOTPLUG_MP_PROMPT, type HotplugMpStart } from './hotplug_mp_app.js';
export { JsonPeer, type PeerEvent } from './json_peer.js';
export { quietLogger } from './logger.js';
export { type PollOptions, eventually, holdsFor, later, pollUntil } from './poll.js';
export { Prng } from './prng.js';
export { resourcesDuring } from './async_resources.js';
export { PromptSession } from './prompt_session.js';
export { type RecordedDevice, RecordingDriver, type TimerClock } from './recording_driver.js';
export { type TempBaseOptions, useTempBase } from './suite.js';
export { type TempDir, tempDir, uniquePrefix } from './temp_dir.js';
export { type Closable, type Role, type RunnableClock, VirtualWorld, type WorldChannelOptions } from './virtual_world.js';
