/**
 * Parameter parsing as DPDK's handlers do it, so eal-ts answers the same
 * requests with data and the same ones with null.
 */

/**
 * An ethdev port id parameter: it must start with a digit; then C's
 * strtoul(params, &end, 0) (so "010" is octal 8 and "0x1f" hex), and
 * anything after the number is ignored, as DPDK 22.11 does (it logs "Extra
 * parameters passed to ethdev telemetry command, ignoring"). Undefined for
 * what DPDK answers with null.
 */
export function parsePortIdParam(params: string | undefined): { portId: number; extra: boolean } | undefined {
  if (params === undefined || params.length === 0 || !/^[0-9]/.test(params)) return undefined;
  const match = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(params);
  if (match === null) return undefined;
  const text = match[1]!;
  const value = text.length > 1 && /^0[xX]/.test(text) ? Number.parseInt(text.slice(2), 16) : text.length > 1 && text.startsWith('0') ? Number.parseInt(text, 8) : Number.parseInt(text, 10);
  if (!Number.isSafeInteger(value)) return undefined;
  return { portId: value, extra: match[0].length !== params.length };
}
