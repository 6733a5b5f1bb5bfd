/**
 * One seeded schedule: 2–6 processes, a few steps of attach/detach from
 * random processes with faults injected, and the invariants checked after
 * every step once the system is quiet. Everything runs on one virtual
 * clock, so a seed always replays the same run.
 */
import { MemoryPortTable } from '@eal-ts/ethdev';
import { EAL_DEV_MP_ACTION_REQUEST, HotplugError, decodeEalDevMpReq, ealDevReqTypeName } from '@eal-ts/hotplug-mp';
import { MemoryNetwork, MpMsgType, type MpTrace, type ProcessType, VirtualClock, decodeMpMsg } from '@eal-ts/mp-channel';
import type { Choices } from './choices.js';
import { Prng } from './prng.js';
import { SimProcess } from './sim_process.js';

/** The hotplug timeout of every simulated process, in virtual ms. */
export const SIM_TIMEOUT_MS = 1000;
/** The devices the schedules play with. */
export const SIM_DEVICES = ['net_null0', 'net_null1', 'net_null2'] as const;
export const MAX_PROCESSES = 6;

export type FaultKind = 'jitter' | 'pause' | 'kill' | 'join' | 'refuse-probe' | 'refuse-remove' | 'slow' | 'late-reply';
export const FAULT_KINDS: readonly FaultKind[] = ['jitter', 'pause', 'kill', 'join', 'refuse-probe', 'refuse-remove', 'slow', 'late-reply'];

export interface SimOptions {
  /** The PRNG seed of a random schedule (also its name in reports). */
  seed: number;
  /**
   * The small configuration of the exhaustive pass: 3 processes, an optional
   * device attached first, then one step of 2 operations on net_null0 with
   * exactly one fault, every choice among a few options (give `choices`).
   */
  small?: boolean;
  /** Where choices come from instead of a Prng of `seed` (an Enumerator for the exhaustive pass). */
  choices?: Choices;
  /** Keep a readable trace of every step, datagram, fault and result (slower). */
  trace?: boolean;
}

export interface SimResult {
  seed: number;
  ok: boolean;
  /** What broke, first one first; empty when ok. */
  violations: string[];
  /** With `trace`: the run, line by line, virtual ms first. */
  trace: string[];
  processes: number;
  steps: number;
  ops: number;
  /** Outcomes: `ok`, or the error code of each failed operation. */
  outcomes: Record<string, number>;
  faults: Record<string, number>;
  /**
   * Set when the schedule stopped early because an injected driver refusal
   * hit a rollback step: divergence is then expected (DPDK warns that the
   * processes "may not sync"), so it is not a violation.
   */
  excused?: string;
}

interface Op {
  label: string;
  startedAt: number;
  settledAt?: number;
  outcome?: string;
  bound: number;
  untyped?: unknown;
}

/** Runs one schedule to its end or to its first violation. */
export async function simulate(options: SimOptions): Promise<SimResult> {
  const rng: Choices = options.choices ?? new Prng(options.seed);
  const small = options.small === true;
  const T = SIM_TIMEOUT_MS;
  const clock = new VirtualClock();
  const trace: string[] = [];
  const tracing = options.trace === true;
  const log = tracing ? (line: string) => trace.push(`${String(clock.now()).padStart(7)} ${line}`) : undefined;
  const names = new Map<string, string>();
  const nameOf = (path: string): string => names.get(path) ?? (path || '(unbound)');

  // Delivery faults, consulted for every datagram in send order.
  let jitterMs = 0;
  let jitterBranches = 0;
  const lateFrom = new Set<string>();
  const network = new MemoryNetwork({
    clock,
    delay: (from, to, bytes) => {
      if (lateFrom.has(from)) {
        try {
          const msg = decodeMpMsg(bytes);
          if (msg.type === MpMsgType.REP && msg.name === EAL_DEV_MP_ACTION_REQUEST) {
            lateFrom.delete(from);
            const ms = T + (small ? 100 : rng.range(1, T / 2));
            log?.(`fault: the reply of ${nameOf(from)} to ${nameOf(to)} arrives ${ms} ms later (after the timeout)`);
            return ms;
          }
        } catch {
          // Not one of ours: no delay.
        }
      }
      if (jitterMs <= 0) return 0;
      // The small configuration delays each of the step's first 4 datagrams, or not: every pattern.
      if (small) return jitterBranches-- > 0 ? rng.int(2) * jitterMs : 0;
      return rng.int(jitterMs + 1);
    },
  });
  const table = new MemoryPortTable({ maxPorts: 32 });
  const procs: SimProcess[] = [];
  const result: SimResult = {
    seed: options.seed,
    ok: true,
    violations: [],
    trace,
    processes: 0,
    steps: 0,
    ops: 0,
    outcomes: {},
    faults: {},
  };
  const violate = (what: string): void => {
    result.ok = false;
    result.violations.push(what);
    log?.(`VIOLATION: ${what}`);
  };
  const count = (bag: Record<string, number>, key: string): void => {
    bag[key] = (bag[key] ?? 0) + 1;
  };

  let secondaries = 0;
  const startProcess = (role: ProcessType): Promise<SimProcess> => {
    const name = role === 'primary' ? 'P' : `S${++secondaries}`;
    const path = role === 'primary' ? '/run/sim/dpdk/rte/mp_socket' : `/run/sim/dpdk/rte/mp_socket_sim_${name}`;
    names.set(path, name);
    result.processes++;
    log?.(`${name} starts (${role})`);
    return SimProcess.start({ name, role, network, clock, table, timeoutMs: T, log, nameOf, describe: (t) => describeTrace(t, nameOf) }).then(
      (proc) => {
        procs.push(proc);
        log?.(`${name} ready, devices: ${proc.vdev.devices().filter((d) => d.driver).map((d) => d.name).join(' ') || 'none'}`);
        return proc;
      },
    );
  };
  const drive = async <T>(p: Promise<T>): Promise<T> => {
    p.catch(() => undefined);
    await clock.runAll();
    return p;
  };

  const nProcs = small ? 3 : rng.range(2, 5);
  await drive(startProcess('primary'));
  for (let i = 1; i < nProcs; i++) await drive(startProcess('secondary'));
  if (small && rng.chance(0.5)) {
    log?.('set-up: P attaches net_null0');
    await drive(procs[0]!.hotplug.probe('net_null0'));
  }

  const live = (): SimProcess[] => procs.filter((p) => !p.killed);
  const steps = small ? 1 : rng.range(3, 6);
  for (let step = 0; step < steps && result.ok; step++) {
    result.steps++;
    const stepStart = clock.now();
    const ops: Op[] = [];
    const nOps = small ? 2 : rng.chance(0.3) ? rng.range(2, 3) : 1;
    const nFaults = small ? 1 : rng.chance(0.4) ? 0 : rng.range(1, 2);
    let extraMs = 0;
    log?.(`--- step ${step + 1}: ${nOps} operation(s), ${nFaults} fault(s)`);

    for (let f = 0; f < nFaults; f++) {
      const kind = rng.pick(FAULT_KINDS);
      // The small configuration draws only what the fault uses, among a few moments.
      const timed = kind === 'pause' || kind === 'kill' || kind === 'join';
      const at = !small ? rng.int(T) : timed ? rng.pick([0, T / 2]) : 0;
      const secondaryTargets = live().filter((p) => p.role === 'secondary');
      const targeted = kind === 'refuse-probe' || kind === 'refuse-remove' || kind === 'slow';
      const target = !small || targeted ? rng.pick(live()) : live()[0]!;
      count(result.faults, kind);
      switch (kind) {
        case 'jitter': {
          const ms = small ? 100 : rng.range(1, T / 2);
          jitterMs = ms;
          jitterBranches = 4;
          log?.(`fault: every datagram of this step is delayed 0..${ms} ms (reordering between receivers)`);
          break;
        }
        case 'pause': {
          if (secondaryTargets.length === 0) break;
          const victim = rng.pick(secondaryTargets);
          const dur = small ? 1500 : rng.range(T / 2, 3 * T);
          extraMs += dur;
          const path = victim.channel.path;
          clock.setTimeout(() => {
            log?.(`fault: ${victim.name} stopped for ${dur} ms`);
            network.pause(path);
            clock.setTimeout(() => {
              log?.(`fault: ${victim.name} continues`);
              network.resume(path);
            }, dur);
          }, at);
          break;
        }
        case 'kill': {
          if (secondaryTargets.length === 0) break;
          const victim = rng.pick(secondaryTargets);
          clock.setTimeout(() => {
            if (victim.killed) return;
            log?.(`fault: ${victim.name} killed`);
            victim.killed = true;
            network.kill(victim.channel.path);
          }, at);
          break;
        }
        case 'join': {
          if (procs.length >= MAX_PROCESSES) break;
          extraMs += 3 * T;
          clock.setTimeout(() => {
            const op: Op = { label: 'join of a new secondary', startedAt: clock.now(), bound: 0 };
            ops.push(op);
            startProcess('secondary').then(
              () => settle(op, 'ok'),
              (error: unknown) => settle(op, error),
            );
          }, at);
          break;
        }
        case 'refuse-probe':
          target.driver.refuseProbes++;
          log?.(`fault: the driver of ${target.name} will refuse its next probe`);
          break;
        case 'refuse-remove':
          target.driver.refuseRemoves++;
          log?.(`fault: the driver of ${target.name} will refuse its next remove`);
          break;
        case 'slow': {
          const ms = small ? 1500 : rng.range(T / 2, 2 * T);
          extraMs += ms;
          target.driver.slowMs = ms;
          log?.(`fault: the next probe or remove in ${target.name} takes ${ms} ms`);
          break;
        }
        case 'late-reply':
          if (secondaryTargets.length === 0) break;
          lateFrom.add(rng.pick(secondaryTargets).channel.path);
          break;
      }
    }

    const settle = (op: Op, outcome: unknown): void => {
      op.settledAt = clock.now();
      if (outcome === 'ok') op.outcome = 'ok';
      else if (outcome instanceof HotplugError) op.outcome = outcome.code;
      else {
        op.outcome = 'untyped';
        op.untyped = outcome;
      }
      log?.(`${op.label}: ${op.outcome === 'ok' ? 'ok' : `failed ${op.outcome}: ${(outcome as Error).message}`}`);
    };

    const together = rng.chance(0.5);
    for (let o = 0; o < nOps; o++) {
      const at = together ? 0 : small ? rng.pick([0, T / 2]) : rng.int(T);
      const attach = rng.chance(0.55);
      const device = small ? 'net_null0' : rng.pick(SIM_DEVICES);
      const pickIndex = rng.int(small ? 3 : MAX_PROCESSES);
      clock.setTimeout(() => {
        const candidates = live().filter((p) => p.ready);
        const proc = candidates[pickIndex % candidates.length]!;
        const op: Op = { label: `${proc.name} ${attach ? 'attach' : 'detach'} ${device}`, startedAt: clock.now(), bound: 0 };
        ops.push(op);
        result.ops++;
        log?.(`${op.label}: starts`);
        const p: Promise<unknown> = attach ? proc.hotplug.probe(device) : proc.hotplug.remove(device);
        p.then(
          () => settle(op, 'ok'),
          (error: unknown) => settle(op, error),
        );
      }, at);
    }

    await clock.runAll();
    jitterMs = 0;
    lateFrom.clear();
    for (const p of live()) {
      p.driver.refuseProbes = 0;
      p.driver.refuseRemoves = 0;
      p.driver.slowMs = 0;
    }

    // Invariants, the system being quiet.
    const bound = (ops.length + 1) * 4 * T + extraMs;
    for (const op of ops) {
      if (op.settledAt === undefined) violate(`step ${step + 1}: ${op.label} never returned`);
      else if (op.outcome === 'untyped') violate(`step ${step + 1}: ${op.label} failed with an untyped error: ${String(op.untyped)}`);
      else if (op.settledAt - op.startedAt > bound) {
        violate(`step ${step + 1}: ${op.label} took ${op.settledAt - op.startedAt} ms, more than its bound of ${bound} ms`);
      }
      if (op.outcome && !op.label.startsWith('join')) count(result.outcomes, op.outcome);
    }
    if (network.inFlight !== 0) violate(`step ${step + 1}: ${network.inFlight} datagram(s) still in flight`);
    if (clock.pending !== 0) violate(`step ${step + 1}: ${clock.pending} timer(s) still pending`);
    const primary = procs[0]!;
    const expected = await primary.devices();
    const refused = live().flatMap((p) => p.refusedRollbacks.map((line) => `${p.name} ${line}`));
    if (refused.length > 0) {
      let same = true;
      for (const p of live()) if (p.ready && (await p.devices()).join(' ') !== expected.join(' ')) same = false;
      if (!same) {
        result.excused = `a driver refused a rollback step: ${refused[0]!}`;
        log?.(`stop: ${result.excused}; the processes are not expected to agree after that`);
        break;
      }
    }
    for (const p of live()) {
      if (p.hotplug.queued !== 0) violate(`step ${step + 1}: ${p.name} still has ${p.hotplug.queued} hotplug operation(s) queued`);
      if (p.driver.busy !== 0) violate(`step ${step + 1}: ${p.name} still has a probe or remove running`);
      if (p === primary || !p.ready) continue;
      const got = await p.devices();
      if (got.join(' ') !== expected.join(' ')) {
        violate(`step ${step + 1}: ${p.name} has [${got.join(' ')}] but the primary has [${expected.join(' ')}]`);
      }
    }
    const shared = (await table.read()).ports.map((port) => `${port.name}@${port.portId}`).sort();
    if (shared.join(' ') !== expected.join(' ')) {
      violate(`step ${step + 1}: the port table holds [${shared.join(' ')}] but the primary has [${expected.join(' ')}]`);
    }
    log?.(`quiet after step ${step + 1} (${clock.now() - stepStart} ms): every live process has [${expected.join(' ')}]`);
  }
  return result;
}

function describeTrace(trace: MpTrace, nameOf: (path: string) => string): string {
  let body = trace.name;
  if (trace.name === EAL_DEV_MP_ACTION_REQUEST) {
    try {
      const req = decodeEalDevMpReq(trace.param);
      body = `${ealDevReqTypeName(req.t)} ${req.devargs}${trace.type === 'REP' ? ` = ${req.result}` : ''}`;
    } catch {
      body = `(${trace.param.length} bytes)`;
    }
  }
  return `${trace.dir} ${trace.type} ${body} ${trace.dir === 'out' ? '->' : '<-'} ${nameOf(trace.peer)}`;
}
