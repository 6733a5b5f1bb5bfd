/**
 * The JSON DPDK's telemetry writes (lib/telemetry/telemetry_json.h and
 * output_json in telemetry.c): compact, one reply per message, and cut to
 * the output buffer the DPDK way — an element that does not fit is left out
 * while the JSON stays valid, rather than the reply being cut mid-token.
 */

/**
 * What a command handler returns (DPDK's struct rte_tel_data): null, a
 * string, an integer (number or bigint for u64), an array or a dict of
 * them. Nested containers are fine.
 */
export type TelemetryValue =
  | null
  | string
  | number
  | bigint
  | readonly TelemetryValue[]
  | { readonly [key: string]: TelemetryValue };

/** MAX_OUTPUT_LEN: one reply, NUL included, as the greeting announces. */
export const MAX_OUTPUT_LEN = 16 * 1024;
/** MAX_CMD_LEN: the longest command name is one less. */
export const MAX_CMD_LEN = 56;
/** RTE_TEL_MAX_STRING_LEN: a string inside an array or dict keeps one less than this. */
export const MAX_STRING_LEN = 128;
/** RTE_TEL_MAX_SINGLE_STRING_LEN: a reply that is one string keeps one less than this. */
export const MAX_SINGLE_STRING_LEN = 8192;
/** RTE_TEL_MAX_ARRAY_ENTRIES and RTE_TEL_MAX_DICT_ENTRIES. */
export const MAX_ARRAY_ENTRIES = 512;
export const MAX_DICT_ENTRIES = 256;

function bytes(text: string): number {
  return Buffer.byteLength(text);
}

function clip(text: string, max: number): string {
  // Code points, not UTF-16 units: never split a surrogate pair.
  let out = '';
  for (const ch of text) {
    if (bytes(out + ch) > max) break;
    out += ch;
  }
  return out;
}

function scalar(value: string | number | bigint, nested: boolean): string {
  if (typeof value === 'string') return JSON.stringify(clip(value, (nested ? MAX_STRING_LEN : MAX_SINGLE_STRING_LEN) - 1));
  if (typeof value === 'bigint') return value.toString();
  return Number.isFinite(value) ? String(value) : 'null';
}

/** The JSON of `value` in at most `budget` bytes, or undefined when not even its empty form fits. */
function render(value: TelemetryValue, budget: number, nested: boolean): string | undefined {
  if (value === null || typeof value !== 'object') {
    const text = value === null ? 'null' : scalar(value, nested);
    return bytes(text) <= budget ? text : undefined;
  }
  if (budget < 2) return undefined;
  const array = Array.isArray(value);
  const entries: [string | null, TelemetryValue][] = array
    ? (value as readonly TelemetryValue[]).slice(0, MAX_ARRAY_ENTRIES).map((v) => [null, v])
    : Object.entries(value as Record<string, TelemetryValue>).slice(0, MAX_DICT_ENTRIES);
  let out = array ? '[' : '{';
  let used = 1;
  for (const [key, item] of entries) {
    const head = (used > 1 ? ',' : '') + (key === null ? '' : `${JSON.stringify(clip(key, MAX_STRING_LEN - 1))}:`);
    const room = budget - used - bytes(head) - 1; // 1 for the closing bracket
    if (room <= 0) continue;
    const body = render(item, room, true);
    if (body === undefined) continue;
    out += head + body;
    used += bytes(head) + bytes(body);
  }
  return out + (array ? ']' : '}');
}

/** The command as DPDK echoes it: at most MAX_CMD_LEN bytes, 'none' when absent. */
export function replyKey(command: string | undefined): string {
  return JSON.stringify(command === undefined ? 'none' : clip(command, MAX_CMD_LEN));
}

/**
 * `{"<command>":<value>}` in less than `maxOutputLen` bytes. DPDK writes the
 * command name unescaped; here it is JSON-escaped so the reply always parses.
 */
export function formatReply(command: string | undefined, value: TelemetryValue, maxOutputLen = MAX_OUTPUT_LEN): string {
  const prefix = `{${replyKey(command)}:`;
  // One byte for the closing brace and one for the NUL DPDK's buffer keeps.
  const body = render(value, maxOutputLen - bytes(prefix) - 2, false) ?? 'null';
  return `${prefix}${body}}`;
}
