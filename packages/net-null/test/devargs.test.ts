import { EalError, KvargsError, parseKvargs } from '@eal-ts/bus';
import { describe, expect, it } from 'vitest';

import { NULL_DEFAULTS, NULL_VALID_KEYS, parseNullArgs } from '../src/index.js';
import { inMemoryWorld, rejection } from './helpers.js';

function parseError(args: string): KvargsError {
  try {
    parseNullArgs(args);
  } catch (error) {
    expect(error).toBeInstanceOf(KvargsError);
    return error as KvargsError;
  }
  throw new Error(`'${args}' was accepted`);
}

describe('net_null devargs (size, copy, no-rx)', () => {
  it('defaults to 64-byte packets, no copy, rx on (DPDK defaults)', () => {
    expect(parseNullArgs()).toEqual({ size: 64, copy: false, noRx: false });
    expect(parseNullArgs('')).toEqual(NULL_DEFAULTS);
    expect(NULL_VALID_KEYS).toEqual(['size', 'copy', 'no-rx']);
  });

  it('size takes a byte count 0..65535 in decimal, 0x hex or 0-prefixed octal (strtoul base 0)', () => {
    expect(parseNullArgs('size=128').size).toBe(128);
    expect(parseNullArgs('size=0').size).toBe(0);
    expect(parseNullArgs('size=65535').size).toBe(65535);
    expect(parseNullArgs('size=0x40').size).toBe(64);
    expect(parseNullArgs('size=010').size).toBe(8);
  });

  it('size refuses anything else, naming key, value and the accepted range', () => {
    for (const bad of ['65536', '-1', 'abc', '64abc', '', '1.5', '09', '4294967295']) {
      const error = parseError(`size=${bad}`);
      expect(error.code).toBe('EINVAL');
      expect(error.errno).toBe(-22);
      expect(error.key).toBe('size');
      expect(error.message).toContain(`invalid value '${bad}' for key 'size'`);
      expect(error.message).toContain('0..65535');
    }
  });

  it('copy takes 0 or 1', () => {
    expect(parseNullArgs('copy=1').copy).toBe(true);
    expect(parseNullArgs('copy=0').copy).toBe(false);
    for (const bad of ['2', 'yes', '', '-1']) {
      const error = parseError(`copy=${bad}`);
      expect([error.code, error.key]).toEqual(['EINVAL', 'copy']);
      expect(error.message).toContain(`invalid value '${bad}' for key 'copy': expected 0 or 1`);
    }
  });

  it('no-rx takes 0 or 1', () => {
    expect(parseNullArgs('no-rx=1').noRx).toBe(true);
    expect(parseNullArgs('no-rx=0').noRx).toBe(false);
    for (const bad of ['2', 'true', '']) {
      const error = parseError(`no-rx=${bad}`);
      expect([error.code, error.key]).toEqual(['EINVAL', 'no-rx']);
      expect(error.message).toContain(`invalid value '${bad}' for key 'no-rx': expected 0 or 1`);
    }
  });

  it('refuses copy=1 together with no-rx=1 (DPDK: "not supported")', () => {
    const error = parseError('copy=1,no-rx=1');
    expect(error.code).toBe('EINVAL');
    expect(error.message).toContain('copy=1 and no-rx=1 cannot be used together');
    expect(parseNullArgs('copy=1,no-rx=0')).toEqual({ size: 64, copy: true, noRx: false });
    expect(parseNullArgs('copy=0,no-rx=1')).toEqual({ size: 64, copy: false, noRx: true });
  });

  it('a repeated key: every occurrence must be valid and the last one wins (rte_kvargs_process)', () => {
    expect(parseNullArgs('size=32,size=256').size).toBe(256);
    expect(parseError('size=x,size=256').key).toBe('size');
  });

  it('refuses an unknown key with the kvargs error listing the valid keys', () => {
    const error = parseError('size=64,bogus=1');
    expect([error.code, error.key]).toEqual(['EINVAL', 'bogus']);
    expect(error.message).toContain("unknown key 'bogus' (accepted keys: size, copy, no-rx)");
  });

  it('takes parsed kvargs as well as text', () => {
    expect(parseNullArgs(parseKvargs('size=100,copy=1'))).toEqual({ size: 100, copy: true, noRx: false });
  });

  describe('through the vdev bus', () => {
    it('probes with the parsed options (--vdev net_null0,size=128,copy=1)', async () => {
      const w = inMemoryWorld();
      w.bus.addVdevArg('net_null0,size=128,copy=1');
      await w.bus.scan();
      expect(await w.bus.probe()).toMatchObject({ probed: 1, failed: 0 });
      expect(w.driver.deviceOptions('net_null0')).toEqual({ size: 128, copy: true, noRx: false });
      const port = await w.ports.find('net_null0');
      expect(port?.driverName).toBe('net_null');
    });

    it('the eth_null alias probes too', async () => {
      const w = inMemoryWorld();
      expect(w.driver.name).toBe('net_null');
      expect(w.driver.aliases).toEqual(['eth_null']);
      const dev = await w.bus.add('eth_null3', 'size=256');
      expect(dev.driver).toBe(w.driver);
      expect(w.driver.deviceOptions('eth_null3')?.size).toBe(256);
      expect((await w.ports.find('eth_null3'))?.portId).toBe(0);
    });

    it('an invalid value fails the probe with its message and allocates no port', async () => {
      const w = inMemoryWorld();
      const error = await rejection(w.bus.add('net_null0', 'size=big'));
      expect(error).toBeInstanceOf(EalError);
      expect([error.code, error.errno]).toEqual(['EINVAL', -22]);
      expect(error.message).toContain("invalid value 'big' for key 'size'");
      expect(await w.ports.count()).toBe(0);
      expect(w.bus.findDeviceByName('net_null0')).toBeUndefined();
    });

    it('copy with no-rx fails the probe (EINVAL) and allocates no port', async () => {
      const w = inMemoryWorld();
      const error = await rejection(w.bus.add('net_null0', 'copy=1,no-rx=1'));
      expect(error.code).toBe('EINVAL');
      expect(await w.ports.count()).toBe(0);
    });

    it('an unknown key is refused before the probe with the list of valid keys', async () => {
      const w = inMemoryWorld();
      const error = await rejection(w.bus.add('net_null0', 'mac=00:11:22:33:44:55'));
      expect(error.code).toBe('EINVAL');
      expect(error.message).toContain("unknown key 'mac' (accepted keys: size, copy, no-rx)");
      expect(await w.ports.count()).toBe(0);
    });
  });
});
