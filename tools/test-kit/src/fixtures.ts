import { fileURLToPath } from 'node:url';

/**
 * A misbehaving telemetry client in Python (fixtures/bad_telemetry_client.py):
 * `python3 BAD_TELEMETRY_CLIENT <socket> flood|midreply|garbage [request…]`.
 */
export const BAD_TELEMETRY_CLIENT = fileURLToPath(new URL('../fixtures/bad_telemetry_client.py', import.meta.url));
