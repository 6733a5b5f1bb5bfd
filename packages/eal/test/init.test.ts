import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Bus, Device, type Driver } from '@eal-ts/bus';
import { LogRegistry } from '@eal-ts/log';
import { netNull } from '@eal-ts/net-null';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Eal, EalArgsError, EalHelpRequested, EalInitError, type EalInitOptions, READY_FILE } from '../src/index.js';
import { killChildren, lockHolder, makeBase, removeBase, startFixture } from './helpers.js';

let base: string;
let sysfs: string;
let lines: string[];
const opened: Eal[] = [];

function options(extra: EalInitOptions = {}): EalInitOptions {
  return {
    env: { RUNTIME_DIRECTORY: base },
    sysfsDir: sysfs,
    logs: new LogRegistry({ sink: (line) => void lines.push(line) }),
    drivers: [netNull],
    ...extra,
  };
}

async function init(argv: string[], extra?: EalInitOptions): Promise<Eal> {
  const eal = await Eal.init(argv, options(extra));
  opened.push(eal);
  return eal;
}

async function initError(argv: string[]): Promise<unknown> {
  try {
    opened.push(await Eal.init(argv, options()));
  } catch (error) {
    return error;
  }
  throw new Error(`init ${argv.join(' ')} did not fail`);
}

beforeEach(async () => {
  base = await makeBase();
  sysfs = join(base, 'sysfs-pci');
  await mkdir(sysfs);
  lines = [];
});

afterEach(async () => {
  for (const eal of opened.splice(0)) await eal.cleanup();
  await killChildren();
  await removeBase(base);
});

describe('init with --no-shconf / --in-memory: local only', () => {
  it('a primary with --vdev net_null0 has port 0, no runtime directory and no mp channel', async () => {
    const eal = await init(['--no-shconf', '--vdev', 'net_null0', '--no-pci']);
    expect(eal.processType).toBe('primary');
    expect(eal.runtimeDir).toBeNull();
    expect(eal.channel).toBeNull();
    expect(eal.portsShared).toBe(false);
    expect((await eal.ports.list()).map((p) => [p.portId, p.name])).toEqual([[0, 'net_null0']]);
    expect(existsSync(join(base, 'dpdk'))).toBe(false);
  });

  it('--proc-type=auto without shared config is a primary', async () => {
    const eal = await init(['--in-memory', '--proc-type=auto']);
    expect(eal.processType).toBe('primary');
    expect(lines).toContain('EAL: Auto-detected process type: PRIMARY');
  });

  it('--proc-type=secondary without shared config is refused', async () => {
    const error = await initError(['--no-shconf', '--proc-type=secondary']);
    expect(error).toBeInstanceOf(EalInitError);
    expect(error).toMatchObject({ code: 'EINVAL', stage: 'proc-type' });
  });

  it('hotplug acts locally: probe and remove a vdev without any channel', async () => {
    const eal = await init(['--in-memory']);
    const attached = await eal.hotplug.probe('net_null1,size=128');
    expect(attached.name).toBe('net_null1');
    expect((await eal.ports.find('net_null1'))?.portId).toBe(0);
    await eal.hotplug.remove('vdev:net_null1,');
    expect(await eal.ports.count()).toBe(0);
  });
});

describe('init and cleanup with a runtime directory', () => {
  it('a primary with --vdev net_null0 has port 0, its socket and the config lock', async () => {
    const eal = await init(['--file-prefix=p1', '--vdev=net_null0', '--no-pci']);
    const dir = join(base, 'dpdk', 'p1');
    expect(eal.processType).toBe('primary');
    expect(eal.runtimeDir).toBe(dir);
    expect(eal.channel?.path).toBe(join(dir, 'mp_socket'));
    expect(eal.portsShared).toBe(true);
    expect((await eal.ports.list()).map((p) => [p.portId, p.name])).toEqual([[0, 'net_null0']]);
    expect(existsSync(join(dir, 'mp_socket'))).toBe(true);
    expect(await readFile(join(dir, READY_FILE), 'utf8')).toBe(`${process.pid}\n`);
    expect(await lockHolder(dir)).toEqual({ pid: process.pid });
  });

  it('creates <base>/dpdk/<prefix> with mode 0700', async () => {
    const { stat } = await import('node:fs/promises');
    await init(['--file-prefix=modes', '--no-pci']);
    expect((await stat(join(base, 'dpdk'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(base, 'dpdk', 'modes'))).mode & 0o777).toBe(0o700);
  });

  it('cleanup leaves no socket, releases the lock, unregisters the actions and frees the port', async () => {
    const eal = await init(['--file-prefix=p2', '--vdev=net_null0', '--no-pci']);
    const dir = join(base, 'dpdk', 'p2');
    const channel = eal.channel!;
    await eal.cleanup();
    expect(channel.closed).toBe(true);
    expect(eal.hotplug.started).toBe(false);
    expect(eal.vdev.mpRegistered).toBe(false);
    expect((await readdir(dir)).filter((f) => f.startsWith('mp_socket') || f === READY_FILE)).toEqual([]);
    expect(await lockHolder(dir)).toBeNull();
    await eal.cleanup(); // idempotent
    // The same process can be the primary of that directory again.
    const again = await init(['--file-prefix=p2', '--vdev=net_null0', '--no-pci']);
    expect((await again.ports.list()).map((p) => p.portId)).toEqual([0]);
  });

  it("bus.vdev starts at DPDK's NOTICE: a vdev probe prints no VDEV line unless --log-level asks for it", async () => {
    const quiet = await init(['--file-prefix=vdevlog', '--no-pci', '--vdev=net_null0']);
    expect(quiet.logs.list()).toEqual(expect.arrayContaining([{ type: 'bus.vdev', level: 6 }, { type: 'lib.eal', level: 7 }]));
    expect(lines.filter((l) => l.startsWith('VDEV: '))).toEqual([]);
    await quiet.cleanup();
    const told = await init(['--file-prefix=vdevlog2', '--no-pci', '--vdev=net_null1', '--log-level=bus.vdev:info']);
    expect(lines.filter((l) => l.startsWith('VDEV: '))).toEqual(['VDEV: Probe driver: net_null device: net_null1 (socket -1)']);
    await told.cleanup();
  });

  it('the log registry gets --log-level at start-up and can be changed at run time', async () => {
    const eal = await init(['--file-prefix=logs', '--no-pci', '--log-level=lib.eal:debug', '--log-level', 'bus.*:warning']);
    expect(eal.logs.list()).toEqual(
      expect.arrayContaining([
        { type: 'lib.eal', level: 8 },
        { type: 'bus.vdev', level: 5 },
        { type: 'bus.pci', level: 5 },
        { type: 'lib.ethdev', level: 7 },
        { type: 'pmd.net.null', level: 6 },
      ]),
    );
    expect(lines.some((l) => l.startsWith('EAL: EAL initialised: PRIMARY process'))).toBe(true);
    eal.logs.applyLogLevelOption('lib.eal:error');
    const before = lines.length;
    eal.log.info('not shown');
    expect(lines.length).toBe(before);
  });

  it('notes the options without effect once, in the debug log', async () => {
    await init(['--file-prefix=noted', '--no-pci', '-m', '256', '--no-huge', '-l', '0-1', '--log-level=lib.eal:debug']);
    const notes = lines.filter((l) => l.includes('accepted without effect'));
    expect(notes).toEqual(['EAL: accepted without effect in eal-ts (DPDK\'s memory, lcore and other subsystems): -m 256, --no-huge, -l 0-1']);
  });

  it('-v logs the version at critical level', async () => {
    await init(['--in-memory', '-v']);
    expect(lines.some((l) => /^EAL: RTE Version: 'eal-ts /.test(l))).toBe(true);
  });

  it('a second EAL of this process on the same runtime directory is refused (EBUSY)', async () => {
    await init(['--file-prefix=twice', '--no-pci']);
    const error = await initError(['--file-prefix=twice', '--no-pci', '--proc-type=auto']);
    expect(error).toMatchObject({ name: 'EalInitError', code: 'EBUSY', stage: 'runtime-dir' });
  });

  it('-a 0000:… with --no-pci still parses, as the PCI bus exists but is not scanned', async () => {
    const eal = await init(['--file-prefix=nopci', '--no-pci', '-a', '0000:03:00.0']);
    expect(eal.pci.devargs.entries().map((e) => e.devargs.name)).toEqual(['0000:03:00.0']);
    expect(eal.pci.devices()).toEqual([]);
  });
});

describe('init failures clean up what was set up', () => {
  it('an invalid --vdev devargs fails with the devargs error, leaving no socket, no lock, nothing held', async () => {
    const error = await initError(['--file-prefix=bad', '--no-pci', '--vdev=net_null0', '--vdev=net_bogus0']);
    expect(error).toBeInstanceOf(EalInitError);
    expect(error).toMatchObject({ stage: 'devargs', code: 'EFAULT' });
    expect((error as Error).message).toMatch(/invalid --vdev net_bogus0/);
    const dir = join(base, 'dpdk', 'bad');
    expect((await readdir(dir)).filter((f) => f.startsWith('mp_socket'))).toEqual([]);
    expect(await lockHolder(dir)).toBeNull();
    const eal = await init(['--file-prefix=bad', '--no-pci', '--vdev=net_null0']);
    expect((await eal.ports.list()).map((p) => p.name)).toEqual(['net_null0']);
  });

  it('-a and -b on the command line fail before anything is created', async () => {
    const error = await initError(['--file-prefix=ab', '-a', '0000:03:00.0', '-b', '0000:04:00.0']);
    expect(error).toBeInstanceOf(EalArgsError);
    expect(existsSync(join(base, 'dpdk'))).toBe(false);
  });

  it('a vdev whose driver refuses its arguments is logged, and init goes on without its port', async () => {
    const eal = await init(['--file-prefix=args', '--no-pci', '--vdev=net_null0,size=big', '--vdev=net_null1']);
    expect((await eal.ports.list()).map((p) => [p.portId, p.name])).toEqual([[0, 'net_null1']]);
    expect(lines.some((l) => l.includes('net_null0') && l.includes('size'))).toBe(true);
  });

  it('a file prefix too long for the socket paths fails in the runtime-dir stage', async () => {
    const error = await initError([`--file-prefix=${'x'.repeat(120)}`]);
    expect(error).toMatchObject({ name: 'EalInitError', stage: 'runtime-dir', code: 'ENAMETOOLONG' });
  });
});

describe('composition: the drivers come from the application', () => {
  it('a --vdev whose driver was not composed fails in the devargs stage, naming what was composed', async () => {
    const error = await Eal.init(['--in-memory', '--no-pci', '--vdev=net_null0'], options({ drivers: [] })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EalInitError);
    expect(error).toMatchObject({ stage: 'devargs', code: 'EFAULT' });
    expect((error as Error).message).toMatch(/invalid --vdev net_null0: .*drivers composed into this EAL: pci: none; vdev: none .*Eal\.init's drivers option/);
  });

  it('a composed driver is built for this EAL, its log type registered, and found by name', async () => {
    const eal = await init(['--in-memory', '--no-pci', '--vdev=net_null0']);
    expect(eal.driver('net_null').name).toBe('net_null');
    expect(eal.vdev.findDeviceByName('net_null0')?.driver).toBe(eal.driver('net_null'));
    expect(() => eal.driver('net_ring')).toThrow(expect.objectContaining({ code: 'ENODEV', message: expect.stringMatching(/drivers: net_null/) as string }) as Error);
  });

  it('an application bus and its driver are composed: -a names its device, the scan finds it, the probe reaches the driver', async () => {
    /** A bus with one possible device, toy0, present once a devargs names it. */
    class ToyBus extends Bus {
      scan(): Promise<void> {
        const listed = this.devargs.entries().some((e) => e.devargs.name === 'toy0');
        if (listed && !this.findDeviceByName('toy0')) this.addDevice(new Device({ name: 'toy0', bus: this }));
        return Promise.resolve();
      }
      parse(name: string): string | undefined {
        return name === 'toy0' ? name : undefined;
      }
      protected match(driver: Driver): boolean {
        return driver.name === 'toy_net';
      }
    }
    const probed: string[] = [];
    const toyDriver = {
      bus: 'toy',
      name: 'toy_net',
      create: (): Driver => ({
        name: 'toy_net',
        probe: (dev: Device) => Promise.resolve(void probed.push(dev.name)),
        remove: () => Promise.resolve(),
      }),
    };
    const eal = await init(['--in-memory', '--no-pci', '-a', 'toy0'], {
      buses: [{ name: 'toy', create: ({ logs }) => new ToyBus('toy', { logger: logs.register('bus.toy') }) }],
      drivers: [netNull, toyDriver],
    });
    expect(eal.buses.buses().map((b) => b.name)).toEqual(['pci', 'vdev', 'toy']);
    expect(probed).toEqual(['toy0']);
    expect(eal.driver('toy_net').name).toBe('toy_net');
  });

  it('a driver for a bus the EAL does not have fails init in the buses stage', async () => {
    const lonely = { bus: 'nowhere', name: 'lost', create: (): Driver => ({ name: 'lost', probe: () => Promise.resolve(), remove: () => Promise.resolve() }) };
    const error = await Eal.init(['--in-memory', '--no-pci'], options({ drivers: [lonely] })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'EalInitError', stage: 'buses', code: 'EINVAL' });
    expect((error as Error).message).toMatch(/driver 'lost' goes on bus 'nowhere', which this EAL does not have \(buses: pci, vdev\)/);
  });

  it('the library never exits: -h rejects with EalHelpRequested carrying the usage text', async () => {
    const error = await Eal.init(['-h'], { logs: new LogRegistry({ sink: () => undefined }) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EalHelpRequested);
    expect((error as EalHelpRequested).text).toContain('Usage: eal-app [options]');
  });
});

describe('help', () => {
  it('-h prints the usage and, told not to exit, throws EalHelpRequested', async () => {
    let out = '';
    const error = await Eal.init(['-h'], options({ stdout: (t) => (out += t), prgname: 'app' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EalHelpRequested);
    expect(out).toContain('Usage: app [options]');
  });

  it('--log-level=help lists the log types and the syntax', async () => {
    let out = '';
    await Eal.init(['--log-level=help'], options({ stdout: (t) => (out += t) })).catch(() => undefined);
    expect(out).toContain('\tlib.eal, info');
    expect(out).toContain('\tpmd.net.null, notice');
    expect(out).toContain('Syntax using globbing pattern:     --log-level pattern:level');
  });
});

describe('init with an AbortSignal', () => {
  it('an aborted signal stops init before it takes anything: rejects with its reason', async () => {
    const reason = new Error('not now');
    const error = await Eal.init(['--file-prefix=ab1', '--no-pci'], options({ signal: AbortSignal.abort(reason) })).catch((e: unknown) => e);
    expect(error).toBe(reason);
    expect(existsSync(join(base, 'dpdk', 'ab1', 'mp_socket'))).toBe(false);
    expect(await lockHolder(join(base, 'dpdk', 'ab1'))).toBeNull();
  });

  it('a secondary waiting for a primary that never completes its init stops at the abort, leaving nothing behind', async () => {
    const dir = join(base, 'dpdk', 'ab2');
    const primary = startFixture('config_lock_only.mjs', [dir]);
    expect(await primary.next()).toEqual({ locked: true });
    const controller = new AbortController();
    const reason = new Error('user gave up');
    const started = Date.now();
    const initing = Eal.init(['--file-prefix=ab2', '--no-pci', '--proc-type=secondary', '--hotplug-timeout-ms=60000'], options({ signal: controller.signal }));
    // It waits (up to its 60 s hotplug timeout) before binding anything; the abort comes while it does.
    setTimeout(() => controller.abort(reason), 300);
    await expect(initing).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await readdir(dir)).filter((n) => n.startsWith('mp_socket_'))).toEqual([]);
  });
});

