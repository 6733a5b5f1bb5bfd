// testpmd's stop request, as a DPDK testpmd primary sends it when it quits:
// an eal-ts secondary answers at once, so testpmd's exit never waits for it.
import { LogRegistry } from '@eal-ts/log';
import { MemoryNetwork, MpChannel } from '@eal-ts/mp-channel';
import { afterEach, describe, expect, it } from 'vitest';
import { registerTestpmdMp, TESTPMD_MP, TESTPMD_REQ_TYPE_EXIT } from '../src/testpmd_mp.js';

const DIR = '/run/testpmd-mp';
const channels: MpChannel[] = [];
afterEach(async () => {
  for (const channel of channels.splice(0)) await channel.close();
});

async function pair(): Promise<{ primary: MpChannel; lines: string[] }> {
  const network = new MemoryNetwork();
  const lines: string[] = [];
  const logger = new LogRegistry({ sink: (line) => void lines.push(line) }).register('lib.eal', { prefix: 'EAL' });
  const primary = await MpChannel.open({ transport: network.transport(), role: 'primary', runtimeDir: DIR });
  const secondary = await MpChannel.open({ transport: network.transport(), role: 'secondary', runtimeDir: DIR, logger });
  channels.push(secondary, primary);
  registerTestpmdMp(secondary, logger);
  // After init, as when testpmd quits: an unknown action would only be logged, never answered.
  secondary.initComplete();
  return { primary, lines };
}

function request(type: number): Uint8Array {
  const param = Buffer.alloc(4);
  param.writeInt32LE(type, 0);
  return param;
}

describe('mp_testpmd (app/test-pmd)', () => {
  it('EXIT is answered with result 0 and logged', async () => {
    const { primary, lines } = await pair();
    const response = await primary.request({ name: TESTPMD_MP, param: request(TESTPMD_REQ_TYPE_EXIT), fds: [] }, { timeoutMs: 5_000 });
    expect(response.nbSent).toBe(1);
    expect(response.nbReceived).toBe(1);
    expect(Buffer.from(response.replies[0]!.param).readInt32LE(0)).toBe(0);
    expect(lines).toContain('EAL: The primary (testpmd) is exiting: acknowledged, its hotplug messages end here');
  });

  it.each([
    ['another request type', request(7), 'type 7'],
    ['a param too short for the type', Uint8Array.from([1]), 'of 1 bytes'],
  ])('%s is answered -EINVAL, as testpmd does', async (_what, param, said) => {
    const { primary, lines } = await pair();
    const response = await primary.request({ name: TESTPMD_MP, param, fds: [] }, { timeoutMs: 5_000 });
    expect(Buffer.from(response.replies[0]!.param).readInt32LE(0)).toBe(-22);
    expect(lines.some((l) => l.includes(`Unknown mp_testpmd request ${said}: answered -EINVAL`))).toBe(true);
  });
});
