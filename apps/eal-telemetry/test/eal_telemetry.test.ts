import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { EthdevPorts, registerEthdevTelemetry } from '@eal-ts/ethdev';
import { TelemetryRegistry, TelemetryServer } from '@eal-ts/telemetry';
import { type RunResult, runToExit, uniquePrefix, useTempBase } from '@eal-ts/test-kit';
import { beforeEach, describe, expect, it } from 'vitest';

import { pyJson } from '../src/py_json.js';

const BIN = fileURLToPath(new URL('../bin/eal-telemetry.js', import.meta.url));
const PTY_SESSION = fileURLToPath(new URL('./fixtures/pty_session.py', import.meta.url));
let prefix: string;
let server: TelemetryServer;
let ports: EthdevPorts;
const base = useTempBase('eal-tel-cli', {
  cleanup: async () => {
    await server.close();
    await ports.close();
  },
});

beforeEach(async () => {
  prefix = uniquePrefix('cli');
  const dir = join(base.path, 'dpdk', prefix);
  await mkdir(dir, { recursive: true });
  const registry = new TelemetryRegistry({ version: 'eal-ts test' });
  ports = new EthdevPorts({ processType: 'primary', inMemory: true });
  await ports.allocate('net_null0', { ops: { rxBurst: (_q, n) => Array.from({ length: n }, () => new Uint8Array(64)), txBurst: (_q, p) => p.length } });
  registerEthdevTelemetry(registry, ports);
  server = await TelemetryServer.start({ runtimeDir: dir, registry });
});

function run(command: string, args: string[], input = ''): Promise<RunResult> {
  return runToExit(command, args, { env: { ...process.env, RUNTIME_DIRECTORY: base.path }, input });
}

const cli = (args: string[], input?: string) => run(process.execPath, [BIN, ...args], input);

describe('eal-telemetry', () => {
  it("prints byte for byte what dpdk-telemetry.py prints for commands from a pipe", async () => {
    const input = '/ethdev/list\n/info\nnot a command\n/ethdev/info,0\n/nope\n/help,/ethdev/stats\nquit\n/ethdev/list\n';
    const ours = await cli(['-f', prefix], input);
    const theirs = await run('dpdk-telemetry.py', ['-f', prefix], input);
    expect(ours.code, ours.stderr).toBe(0);
    expect(theirs.code, theirs.stderr).toBe(0);
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.stdout.trim().split('\n')).toHaveLength(5);
  });

  it('runs one-shot commands given as arguments, one JSON object per line', async () => {
    const { code, stdout } = await cli(['-f', prefix, '/ethdev/list', '/ethdev/stats,0', '/ethdev/link_status,0']);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ '/ethdev/list': [0] });
    expect(lines[1]!['/ethdev/stats']).toMatchObject({ ipackets: 0, q_ipackets: new Array(16).fill(0) });
    expect(lines[2]).toEqual({ '/ethdev/link_status': { status: 'UP', speed: 10000, duplex: 'full-duplex' } });
  });

  it('lists prefixes and instances with -l, and connects to -i 1', async () => {
    const second = await TelemetryServer.start({ runtimeDir: join(base.path, 'dpdk', prefix), registry: new TelemetryRegistry({ version: 'second' }) });
    try {
      const listed = await cli(['-l']);
      expect(listed.stdout).toBe(
        `Valid file-prefixes:\n\n${prefix}\n- dpdk_telemetry.v2  # Connect with 'eal-telemetry -f ${prefix}'\n` +
          `- dpdk_telemetry.v2:1  # Connect with 'eal-telemetry -f ${prefix} -i 1'\n`,
      );
      const { stdout } = await cli(['-f', prefix, '-i', '1', '/info']);
      expect(JSON.parse(stdout)).toMatchObject({ '/info': { version: 'second' } });
    } finally {
      await second.close();
    }
  });

  it('prints the rates of the stats counters as a table with --watch', async () => {
    const port = (await ports.get(0))!;
    const traffic = setInterval(() => void port.rxBurst(0, 100), 10);
    try {
      const { code, stdout, stderr } = await cli(['-f', prefix, '--watch', '0.3', '--count', '2']);
      expect(code, stderr).toBe(0);
      const tables = stdout.split(/^\d{4}-\d\d-\d\dT.*$/m).slice(1);
      expect(tables).toHaveLength(2);
      for (const table of tables) {
        const [header, row] = table.trim().split('\n');
        expect(header!.split(/\s{2,}/)).toEqual(['port', 'name', 'rx pkt/s', 'tx pkt/s', 'rx B/s', 'tx B/s', 'imissed/s', 'ierrors/s', 'oerrors/s', 'nombuf/s']);
        const cells = row!.trim().split(/\s+/);
        expect(cells.slice(0, 2)).toEqual(['0', 'net_null0']);
        expect(cells[2]).not.toBe('0');
        expect(cells[3]).toBe('0');
      }
    } finally {
      clearInterval(traffic);
    }
  });

  it('says clearly when the application has telemetry off, and refuses bad arguments', async () => {
    await server.close();
    const off = await cli(['-f', prefix, '/info']);
    expect(off.code).toBe(1);
    expect(off.stderr).toMatch(/runs without telemetry \(--no-telemetry\)/);
    const bad = await cli(['ethdev/list']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/does not start with '\/'/);
    expect((await cli(['--watch', 'x'])).code).toBe(2);
  });

  it('gives a prompt, pretty JSON and the application name on a terminal, and completes with TAB', async () => {
    const steps = [
      ['expect', '--> '],
      ['send', '/ethdev/list\r'],
      ['expect', '"/ethdev/list": ['],
      ['expect', '--> '],
      ['send', '/ethdev/lis\t'],
      ['expect', '/ethdev/list'],
      ['send', '\r'],
      ['expect', '"/ethdev/list": ['],
      ['expect', '--> '],
      ['send', 'quit\r'],
    ];
    const { code, stdout } = await run('python3', [PTY_SESSION, JSON.stringify(steps), process.execPath, BIN, '-f', prefix]);
    expect(code, stdout).toBe(0);
    const text = stdout.replace(/\r/g, '');
    expect(text).toContain(`Connecting to ${join(base.path, 'dpdk', prefix, 'dpdk_telemetry.v2')}`);
    expect(text).toContain('Connected to application: "node"');
    expect(text.split('{\n  "/ethdev/list": [\n    0\n  ]\n}')).toHaveLength(3);
  });
});

describe('pyJson', () => {
  it("formats as Python's json.dumps", () => {
    expect(pyJson({ a: [1, 2], b: 'é', c: {} })).toBe('{"a": [1, 2], "b": "\\u00e9", "c": {}}');
    expect(pyJson({ a: [1] }, 2)).toBe('{\n  "a": [\n    1\n  ]\n}');
  });
});
