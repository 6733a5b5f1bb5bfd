// testpmd's prompt as the harness receives it: written one character at a
// time by its cmdline, it can have another thread's log line inside it.
import { describe, expect, it } from 'vitest';
import { TESTPMD_PROMPT, thenPrompt } from '../src/index.js';

describe("testpmd's prompt", () => {
  it('is found whole, and with whole log lines inside it, as seen on a 2-core machine', () => {
    expect(TESTPMD_PROMPT.test('Done\ntestpmd> ')).toBe(true);
    const seen = 'Port 1 is closed\ntestestpmd: Failed to attach port net_ring0\ntpmd> ';
    expect(TESTPMD_PROMPT.exec(seen)?.index).toBe('Port 1 is closed\n'.length);
    expect(TESTPMD_PROMPT.test('t\ne\ns\nt\np\nm\nd\n>\n ')).toBe(true);
  });

  it('is not found in a log line that only starts like it, nor before it is complete', () => {
    expect(TESTPMD_PROMPT.test('testpmd: Failed to attach port net_ring0\n')).toBe(false);
    expect(TESTPMD_PROMPT.test('Port 1 is closed\ntes')).toBe(false);
    expect(TESTPMD_PROMPT.test('testpmd>')).toBe(false);
  });

  it('closes what a command waits for', () => {
    const until = thenPrompt('Device net_null1 is detached', 'Failed');
    expect(until.test('Removing a device...\nDevice net_null1 is detached\nNow total ports is 1\ntesDone\ntpmd> ')).toBe(true);
    expect(until.test('Removing a device...\nDevice net_null1 is detached\n')).toBe(false);
    expect(until.test('Failed to detach')).toBe(true);
  });
});
