import { describe, expect, it } from 'vitest';
import { RecordingDriver } from '../src/recording_driver.js';
import { VirtualWorld } from '../src/virtual_world.js';

/** A clock that only runs when told, enough for these tests. */
class ManualClock {
  now = 0;
  readonly #timers: { at: number; fn: () => void }[] = [];
  setTimeout(fn: () => void, ms: number): void {
    this.#timers.push({ at: this.now + ms, fn });
  }
  async runAll(): Promise<void> {
    for (;;) {
      await Promise.resolve();
      this.#timers.sort((a, b) => a.at - b.at);
      const next = this.#timers.shift();
      if (!next) return;
      this.now = next.at;
      next.fn();
    }
  }
}

describe('RecordingDriver', () => {
  it('records probes and removes with vdev arguments, and fails when told', async () => {
    const driver = new RecordingDriver('net_null', ['eth_null'], ['size']);
    await driver.probe({ name: 'net_null0', args: 'size=64' });
    driver.failRemove = new Error('busy');
    await expect(driver.remove({ name: 'net_null0' })).rejects.toThrow('busy');
    expect(driver.calls).toEqual(['probe net_null0', 'remove net_null0']);
    expect(driver.probedArgs.get('net_null0')).toBe('size=64');
    expect([driver.aliases, driver.validKeys]).toEqual([['eth_null'], ['size']]);
  });

  it('a slow driver settles on its clock, and reads the failure when it settles', async () => {
    const clock = new ManualClock();
    const driver = new RecordingDriver('net_null');
    driver.slow = { clock, ms: 500 };
    const probe = driver.probe({ name: 'net_null0' });
    driver.failProbe = new Error('refused');
    const world = new VirtualWorld(clock, '/run/x');
    expect(await world.rejection(probe)).toMatchObject({ message: 'refused' });
    expect(clock.now).toBe(500);
  });
});

describe('VirtualWorld', () => {
  it('names secondaries uniquely, keeps channels for closeAll and runs until idle', async () => {
    const clock = new ManualClock();
    const world = new VirtualWorld(clock, '/run/x', { first: 7, tag: 'q' });
    expect(world.channelOptions('primary')).toEqual({ role: 'primary', runtimeDir: '/run/x', clock, socketPath: undefined });
    expect(world.channelOptions('secondary').socketPath).toBe('/run/x/mp_socket_7_q');
    expect(world.channelOptions('secondary').socketPath).toBe('/run/x/mp_socket_8_q');
    let closed = 0;
    await world.track(Promise.resolve({ close: () => Promise.resolve(closed++) }));
    await world.closeAll();
    expect(closed).toBe(1);
    const late = new Promise<string>((resolve) => clock.setTimeout(() => resolve('done'), 1000));
    expect(await world.run(late)).toBe('done');
    await expect(world.rejection(Promise.resolve(1))).rejects.toThrow('expected a rejection');
  });
});
