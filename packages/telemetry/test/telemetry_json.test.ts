import { describe, expect, it } from 'vitest';

import { MAX_OUTPUT_LEN, formatReply, parsePortIdParam, parseRequest } from '../src/index.js';

describe('formatReply', () => {
  it('writes compact JSON with the command as the only key', () => {
    expect(formatReply('/ethdev/list', [0, 1])).toBe('{"/ethdev/list":[0,1]}');
    expect(formatReply('/x', { a: 'b', n: 18446744073709551615n, l: [1, 2] })).toBe(
      '{"/x":{"a":"b","n":18446744073709551615,"l":[1,2]}}',
    );
    expect(formatReply('/nope', null)).toBe('{"/nope":null}');
    expect(formatReply(undefined, null)).toBe('{"none":null}');
  });

  it('cuts a long command name to 56 bytes as DPDK echoes it', () => {
    const cmd = '/' + 'a'.repeat(100);
    expect(formatReply(cmd, null)).toBe(`{"${cmd.slice(0, 56)}":null}`);
  });

  it('leaves out what does not fit in max_output_len, keeping valid JSON below 16384 bytes', () => {
    const big = Array.from({ length: 500 }, (_, i) => 'x'.repeat(100) + String(i));
    const text = formatReply('/big', big);
    expect(Buffer.byteLength(text)).toBeLessThan(MAX_OUTPUT_LEN);
    const parsed = JSON.parse(text) as { '/big': string[] };
    expect(parsed['/big'].length).toBeGreaterThan(100);
    expect(parsed['/big'].length).toBeLessThan(500);
    expect(parsed['/big'][0]).toBe(big[0]);
    // Strings inside containers keep 127 bytes, arrays 512 entries.
    expect((JSON.parse(formatReply('/s', ['y'.repeat(300)])) as Record<string, string[]>)['/s']![0]).toHaveLength(127);
    expect((JSON.parse(formatReply('/n', Array.from({ length: 600 }, () => 1))) as Record<string, number[]>)['/n']).toHaveLength(512);
  });
});

describe('parseRequest', () => {
  it('splits like strtok: leading commas skipped, params after the first comma, NUL ends the request', () => {
    expect(parseRequest(Buffer.from('/ethdev/info,0'))).toEqual({ command: '/ethdev/info', params: '0' });
    expect(parseRequest(Buffer.from(',,/info'))).toEqual({ command: '/info', params: undefined });
    expect(parseRequest(Buffer.from('/info,'))).toEqual({ command: '/info', params: undefined });
    expect(parseRequest(Buffer.from('/a,b,c'))).toEqual({ command: '/a', params: 'b,c' });
    expect(parseRequest(Buffer.from('/info\0zz'))).toEqual({ command: '/info', params: undefined });
    expect(parseRequest(Buffer.from(',,,'))).toEqual({ command: undefined, params: undefined });
  });
});

describe('parsePortIdParam', () => {
  it("accepts what DPDK 22.11's strtoul(…, 0) accepts and refuses what it answers null to", () => {
    expect(parsePortIdParam('0')?.portId).toBe(0);
    expect(parsePortIdParam('00')?.portId).toBe(0);
    expect(parsePortIdParam('010')?.portId).toBe(8);
    expect(parsePortIdParam('0x1f')?.portId).toBe(31);
    expect(parsePortIdParam('0x')).toEqual({ portId: 0, extra: true });
    expect(parsePortIdParam('1 ')).toEqual({ portId: 1, extra: true });
    for (const bad of [undefined, '', ' 0', '+0', '-1', 'x']) expect(parsePortIdParam(bad)).toBeUndefined();
  });
});
