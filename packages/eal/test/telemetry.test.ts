import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LogRegistry } from '@eal-ts/log';
import { netNull } from '@eal-ts/net-null';
import { TelemetryClient, TelemetryUnavailableError } from '@eal-ts/telemetry';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Eal, type EalInitOptions, splitSavedArgs } from '../src/index.js';
import { makeBase, removeBase } from './helpers.js';

let base: string;
let sysfs: string;
const opened: Eal[] = [];
const clients: TelemetryClient[] = [];

function options(extra: EalInitOptions = {}): EalInitOptions {
  return {
    env: { RUNTIME_DIRECTORY: base },
    sysfsDir: sysfs,
    logs: new LogRegistry({ sink: () => undefined }),
    drivers: [netNull],
    argv0: 'my-app',
    ...extra,
  };
}

async function init(argv: string[]): Promise<Eal> {
  const eal = await Eal.init(argv, options());
  opened.push(eal);
  return eal;
}

async function connect(prefix: string, instance = 0): Promise<TelemetryClient> {
  const client = await TelemetryClient.connect({ filePrefix: prefix, instance, env: { RUNTIME_DIRECTORY: base } });
  clients.push(client);
  return client;
}

beforeEach(async () => {
  base = await makeBase();
  sysfs = join(base, 'sysfs-pci');
  await mkdir(sysfs);
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const eal of opened.splice(0)) await eal.cleanup();
  await removeBase(base);
});

describe('telemetry started by init', () => {
  it('answers /eal/params, /eal/app_params and the ethdev commands with real net_null counters', async () => {
    const prefix = `tel${process.pid}`;
    const eal = await init([`--file-prefix=${prefix}`, '--no-pci', '--vdev=net_null0', '--vdev=net_null1', '--', '-i', '--x']);
    expect(eal.telemetryServer?.path).toBe(join(base, 'dpdk', prefix, 'dpdk_telemetry.v2'));
    const client = await connect(prefix);
    expect(client.info.version).toMatch(/^eal-ts /);
    expect(await client.request('/eal/params')).toEqual(['my-app', `--file-prefix=${prefix}`, '--no-pci', '--vdev=net_null0', '--vdev=net_null1']);
    expect(await client.request('/eal/app_params')).toEqual(['-i', '--x']);
    expect(await client.ethdevList()).toEqual([0, 1]);

    const port1 = (await eal.ports.get(1))!;
    await port1.rxBurst(0, 32);
    await port1.txBurst(2, [new Uint8Array(60), new Uint8Array(100)]);
    const stats = await client.ethdevStats(1);
    expect(stats).toMatchObject({ ipackets: 32, ibytes: 32 * 64, opackets: 2, obytes: 160, rx_nombuf: 0 });
    expect(stats.q_ipackets).toEqual([32, ...new Array<number>(15).fill(0)]);
    expect(stats.q_opackets.slice(0, 3)).toEqual([0, 0, 2]);
    const xstats = await client.ethdevXstats(1);
    expect(xstats).toMatchObject({ rx_good_packets: 32, tx_good_bytes: 160, rx_q0_packets: 32, tx_q2_packets: 2 });

    const info = await client.ethdevInfo(1);
    expect(info).toMatchObject({ name: 'net_null1', port_id: 1, state: 1, nb_rx_queues: 3, nb_tx_queues: 3, dev_started: 1 });
    // The key set testpmd 22.11.11 answers for a net_null port.
    expect(Object.keys(info).sort()).toEqual(
      [
        'name', 'state', 'nb_rx_queues', 'nb_tx_queues', 'port_id', 'mtu', 'rx_mbuf_size_min', 'mac_addr', 'promiscuous',
        'scattered_rx', 'all_multicast', 'dev_started', 'lro', 'dev_configured', 'rxq_state', 'txq_state', 'numa_node',
        'dev_flags', 'rx_offloads', 'tx_offloads', 'ethdev_rss_hf',
      ].sort(),
    );
    expect(await client.ethdevLinkStatus(0)).toEqual({ status: 'UP', speed: 10000, duplex: 'full-duplex' });
    for (const bad of ['/ethdev/info', '/ethdev/info,x', '/ethdev/info,99', '/ethdev/stats,-1', '/ethdev/xstats,+0']) {
      expect(await client.request(bad)).toBeNull();
    }
    expect(await client.request('/ethdev/stats,0x1')).toMatchObject({ ipackets: 32 });
    await expect(client.ethdevInfo(7)).rejects.toMatchObject({ code: 'ENODEV' });
  });

  it('records hotplug operations for /eal_ts/hotplug and follows the port list', async () => {
    const prefix = `telhp${process.pid}`;
    const eal = await init([`--file-prefix=${prefix}`, '--no-pci']);
    const client = await connect(prefix);
    expect(await client.ethdevList()).toEqual([]);
    await eal.hotplug.probe('net_null5');
    expect(await client.ethdevList()).toEqual([0]);
    await eal.hotplug.remove('net_null5');
    expect(await client.ethdevList()).toEqual([]);
    const history = (await client.request('/eal_ts/hotplug')) as Record<string, unknown>[];
    expect(history.map((e) => [e.event, e.name, e.rollback])).toEqual([
      ['attached', 'net_null5', 0],
      ['detached', 'net_null5', 0],
    ]);
  });

  it('a second process of the prefix serves dpdk_telemetry.v2:1; --no-telemetry serves none and cleanup removes the socket', async () => {
    const prefix = `tel2${process.pid}`;
    const primary = await init([`--file-prefix=${prefix}`, '--no-pci']);
    const path = primary.telemetryServer!.path;
    await expect(connect(prefix, 1)).rejects.toBeInstanceOf(TelemetryUnavailableError);
    const off = await init([`--file-prefix=${prefix}x`, '--no-pci', '--no-telemetry']);
    expect(off.telemetry).toBeNull();
    const error = await connect(`${prefix}x`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TelemetryUnavailableError);
    expect((error as TelemetryUnavailableError).appRunning).toBe(true);
    await primary.cleanup();
    await expect(connect(prefix)).rejects.toBeInstanceOf(TelemetryUnavailableError);
    expect(path).toMatch(/dpdk_telemetry\.v2$/);
  });

  it("saves the arguments as eal_save_args: all of them are EAL's without '--'", () => {
    expect(splitSavedArgs('a', ['-l', '0'])).toEqual({ eal: ['a', '-l', '0'], app: [] });
    expect(splitSavedArgs('a', ['-l', '0', '--', 'x', '--'])).toEqual({ eal: ['a', '-l', '0'], app: ['x', '--'] });
  });
});
