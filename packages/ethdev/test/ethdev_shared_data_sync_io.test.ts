// Issue 11: an uncontended port-table operation makes no libuv threadpool
// round trip (its pread/pwrite are synchronous on the page-cached file, see
// the top of src/ethdev_shared_data.ts). async_hooks sees every request the
// threadpool would run (FSREQCALLBACK, FSREQPROMISE, ...), so a regression
// back to FileHandle I/O fails here.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { LogRegistry } from '@eal-ts/log';
import { resourcesDuring } from '@eal-ts/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { EthdevError, EthdevSharedData } from '../src/index.js';

const quiet = new LogRegistry({ sink: () => undefined }).register('lib.ethdev', { prefix: 'ETHDEV' });

describe('the port table without the threadpool', () => {
  let dir: string;
  let primary: EthdevSharedData;
  let secondary: EthdevSharedData;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eal-ts-ethdev-syncio-'));
    primary = await EthdevSharedData.create({ runtimeDir: dir, logger: quiet });
    secondary = await EthdevSharedData.open({ runtimeDir: dir, logger: quiet });
  });

  afterEach(async () => {
    await secondary.close();
    await primary.close({ unlink: true });
    await rm(dir, { recursive: true, force: true });
  });

  it('allocate, attach, read and release run with no fs request when nobody else holds the lock', async () => {
    const { types } = await resourcesDuring(async () => {
      const port = await primary.allocate('net_null7');
      expect(await secondary.attach('net_null7')).toEqual(port);
      expect((await secondary.read()).ports).toEqual([port]);
      await primary.release(port.portId, { generation: port.generation });
      expect((await primary.read()).ports).toEqual([]);
    });
    expect(types).toEqual([]);
  });

  it('the synchronous path keeps the table whole: ids, generations and errors as before', async () => {
    const a = await primary.allocate('net_null0');
    const b = await primary.allocate('net_null1');
    expect([a.portId, b.portId]).toEqual([0, 1]);
    expect(b.generation).toBeGreaterThan(a.generation);
    await expect(primary.allocate('net_null0')).rejects.toMatchObject({ code: 'EEXIST' });
    await primary.release(a.portId);
    await expect(secondary.release(a.portId)).rejects.toBeInstanceOf(EthdevError);
    const c = await secondary.allocate('net_null2');
    expect(c.portId).toBe(0);
    expect(c.generation).toBeGreaterThan(b.generation);
    // A third opener of the file reads what the others wrote through their own fds.
    const third = await EthdevSharedData.open({ runtimeDir: dir, logger: quiet });
    try {
      expect((await third.read()).ports.map((p) => p.name)).toEqual(['net_null2', 'net_null1']);
    } finally {
      await third.close();
    }
  });
});
