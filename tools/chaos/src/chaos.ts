/**
 * The chaos schedule: a seeded random sequence of steps over a real
 * hotplug-mp primary and its secondaries. Each step is one of
 * - plain: one attach or detach from a random process;
 * - concurrent: two operations written at the same moment to two processes;
 * - sigstop: a secondary stopped while another process attaches or
 *   detaches, resumed either mid-operation or after the primary has timed
 *   out and rolled back;
 * - sigkill: a secondary killed mid-operation (possibly the one that asked),
 *   then a new secondary joins.
 * After each step, with no process stopped and every command answered, every
 * live process must list the same ports (polled until they agree or a
 * deadline that outlasts a timeout plus its rollback passes). A successful
 * operation must be visible in the agreed list. The primary's fds and RSS
 * must stay within a bound of their values after start-up.
 */
import type { HotplugProcess, ProcessStats } from './app_process.js';
import { Cluster } from './cluster.js';
import { Prng } from '@eal-ts/test-kit';

export type StepKind = 'plain' | 'concurrent' | 'sigstop' | 'sigkill';

export interface ChaosOptions {
  steps: number;
  seed: number;
  /** Secondaries at start (a killed one is replaced). Default 3. */
  secondaries?: number;
  /** --hotplug-timeout-ms of every process. Default 600. */
  timeoutMs?: number;
  /** net_null0 … net_null<devices-1>. Default 3. */
  devices?: number;
  /** Relative weights of the step kinds. */
  weights?: Partial<Record<StepKind, number>>;
  /** Keep going after a divergence (the processes stay divergent; later agreements are then rare). */
  keepGoing?: boolean;
  /** Allowed growth of the primary's open fds over the run. Default 4. */
  fdSlack?: number;
  /** Allowed growth of the primary's RSS over the run, MiB. Default 32. */
  rssSlackMiB?: number;
  /** Receives each trace line as it happens. */
  onTrace?: (line: string) => void;
}

export interface Divergence {
  step: number;
  kind: StepKind;
  lists: Record<string, string[]>;
  /** The trace lines of that step. */
  trace: string[];
  /** The last EAL log lines of the primary and of each process that disagrees with it. */
  logs: Record<string, string>;
}

export interface ChaosResult {
  seed: number;
  steps: number;
  agreements: number;
  faults: { sigstop: number; sigkill: number; concurrent: number; joins: number };
  divergences: Divergence[];
  /** Broken invariants other than disagreement: a missing result, a lost success, fd or RSS growth. */
  failures: string[];
  primary: { start: ProcessStats; end: ProcessStats | undefined; maxFds: number; maxRssKiB: number };
  trace: string[];
  ms: number;
}

export const DEFAULT_WEIGHTS: Record<StepKind, number> = { plain: 3, concurrent: 2, sigstop: 2, sigkill: 2 };

interface Op {
  who: HotplugProcess;
  verb: 'attach' | 'detach';
  device: string;
  outcome: 'ok' | 'failed' | 'unknown';
  detail: string;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const names = (list: readonly string[]): string[] => list.map((line) => line.split('\t')[1] ?? line);
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const t0 = Date.now();
  const rng = new Prng(options.seed);
  const T = options.timeoutMs ?? 600;
  const devices = Array.from({ length: options.devices ?? 3 }, (_, i) => `net_null${i}`);
  const weights = { ...DEFAULT_WEIGHTS, ...options.weights };
  const cluster = await Cluster.start({ secondaries: options.secondaries ?? 3, timeoutMs: T, probe: true });
  const result: ChaosResult = {
    seed: options.seed,
    steps: 0,
    agreements: 0,
    faults: { sigstop: 0, sigkill: 0, concurrent: 0, joins: 0 },
    divergences: [],
    failures: [],
    primary: { start: await cluster.primary.stats(), end: undefined, maxFds: 0, maxRssKiB: 0 },
    trace: [],
    ms: 0,
  };
  let stepTrace: string[] = [];
  const trace = (line: string): void => {
    const stamped = `+${String(Date.now() - t0).padStart(6)}ms ${line}`;
    result.trace.push(stamped);
    stepTrace.push(stamped);
    options.onTrace?.(stamped);
  };
  // A command waits at most for an operation queued behind another, each a timeout plus its rollback.
  const commandDeadline = 4 * T + 10_000;
  let hung = false;

  /** Starts one operation now; the promise settles with its outcome, never rejects. */
  const start = (who: HotplugProcess, verb: Op['verb'], device: string): Promise<Op> => {
    trace(`${who.label} ${verb} ${device}`);
    return who.command(`${verb} ${device}`, commandDeadline).then(
      (out) => {
        const ok = verb === 'attach' ? out[0] === `attached device ${device}` : out.includes(`detached device ${device}`);
        const failed = out.some((l) => l.startsWith('failed to'));
        const error = out.find((l) => l.startsWith('error: '))?.slice(7) ?? '';
        const op: Op = { who, verb, device, outcome: ok ? 'ok' : failed ? 'failed' : 'unknown', detail: ok ? 'ok' : error || out.join(' | ') };
        trace(`${who.label} ${verb} ${device} -> ${op.outcome}${ok ? '' : `: ${op.detail.slice(0, 160)}`}`);
        return op;
      },
      (error: unknown) => {
        const why = error instanceof Error ? error.message.split('\n')[0]! : String(error);
        if (who.alive) {
          // It still runs but did not answer: its output no longer lines up with our commands.
          result.failures.push(`${who.label} ${verb} ${device}: no result: ${why}`);
          hung = true;
        }
        trace(`${who.label} ${verb} ${device} -> no result: ${why}`);
        return { who, verb, device, outcome: 'unknown', detail: why };
      },
    );
  };

  let agreed: string[] = [];
  /** Mostly toggles a device of the agreed state; sometimes the redundant operation. */
  const choose = (): { verb: Op['verb']; device: string } => {
    const device = rng.pick(devices);
    const present = names(agreed).includes(device);
    const verb = present === rng.chance(0.8) ? 'detach' : 'attach';
    return { verb, device };
  };
  const others = (not: HotplugProcess): HotplugProcess[] => cluster.live.filter((p) => p !== not);

  async function plain(): Promise<Op[]> {
    const { verb, device } = choose();
    return [await start(rng.pick(cluster.live), verb, device)];
  }

  async function concurrent(): Promise<Op[]> {
    result.faults.concurrent++;
    const a = rng.pick(cluster.live);
    const b = rng.pick(others(a));
    const first = choose();
    const second = choose();
    trace(`two operations at the same moment`);
    return Promise.all([start(a, first.verb, first.device), start(b, second.verb, second.device)]);
  }

  async function sigstop(): Promise<Op[]> {
    result.faults.sigstop++;
    const target = rng.pick(cluster.secondaries);
    const who = rng.pick(others(target));
    const { verb, device } = rng.chance(0.7) ? { verb: 'attach' as const, device: rng.pick(devices) } : choose();
    const late = rng.chance(0.5);
    const resumeAfterMs = rng.range(0, Math.round(1.5 * T));
    const mark = cluster.primary.stderr.length;
    target.signal('SIGSTOP');
    trace(`SIGSTOP ${target.label} (pid ${target.pid}); resume ${late ? 'after the operation' : `after ${resumeAfterMs} ms`}`);
    const op = start(who, verb, device);
    if (late) {
      const done = await op;
      if (who !== cluster.primary && done.detail.startsWith('ETIMEDOUT')) {
        // The asking secondary gave up after one timeout; the primary is still rolling back.
        // (Any other answer came from the primary once it had finished.)
        // Its log line, e.g. "hotplug ATTACH vdev:net_null1, asked by <socket> failed: …" (devargs as they travelled).
        const end = new RegExp(`hotplug \\w+ \\S*\\b${escape(device)}\\b\\S* asked by `);
        const seen = await cluster.primary.stderrShows(end, mark, 3 * T + 2000);
        trace(seen ? `the primary has finished ${verb} ${device}` : `the primary's end of ${verb} ${device} not seen in its log`);
      }
      target.signal('SIGCONT');
      trace(`SIGCONT ${target.label}`);
      return [done];
    }
    await delay(resumeAfterMs);
    target.signal('SIGCONT');
    trace(`SIGCONT ${target.label}`);
    return [await op];
  }

  async function sigkill(): Promise<Op[]> {
    result.faults.sigkill++;
    const target = rng.pick(cluster.secondaries);
    const who = rng.chance(0.3) ? target : rng.pick(others(target));
    const { verb, device } = choose();
    // An uncontended operation takes a few ms: kill within that window, sometimes at once.
    const killAfterMs = rng.chance(0.25) ? 0 : rng.range(1, 12);
    const op = start(who, verb, device);
    await delay(killAfterMs);
    await target.kill();
    trace(`SIGKILL ${target.label} (pid ${target.pid}) ${killAfterMs} ms into the operation`);
    result.faults.joins++;
    const joining = cluster.addSecondary().then((s) => trace(`${s.label} (pid ${s.pid}) joined`));
    const [done] = await Promise.all([op, joining]);
    return [done];
  }

  const steps = { plain, concurrent, sigstop, sigkill };
  try {
    const first = await cluster.agree(2 * T + 3000);
    agreed = first.lists.P ?? [];
    await cluster.primary.heap(); // a full GC, so that the start figures are not inflated by start-up garbage
    result.primary.start = await cluster.primary.stats();
    result.primary.maxFds = result.primary.start.fds;
    result.primary.maxRssKiB = result.primary.start.rssKiB;
    trace(`start: ${cluster.live.map((p) => `${p.label}=${p.pid}`).join(' ')} timeout ${T} ms, seed ${options.seed}`);

    for (let step = 1; step <= options.steps; step++) {
      stepTrace = [];
      const kind = cluster.secondaries.length === 0 ? 'plain' : rng.weighted(weights);
      trace(`step ${step} ${kind}; agreed: [${names(agreed).join(' ')}]`);
      const ops = await steps[kind]();
      result.steps = step;
      if (hung) break;
      if (!cluster.primary.alive) {
        result.failures.push(`step ${step}: the primary exited (${await cluster.primary.exit}); stderr:\n${cluster.primary.tail()}`);
        break;
      }
      // Every command answered, nothing stopped: the system settles within a timeout plus rollback per operation.
      // After a SIGCONT, an agreement must still hold half a timeout later (see Cluster.agree).
      const agreement = await cluster.agree(2 * T * (ops.length + 1) + 3000, kind === 'sigstop' ? Math.max(100, T / 2) : 0);
      const summary = Object.entries(agreement.lists)
        .map(([label, list]) => `${label}[${names(list).join(' ')}]`)
        .join(' ');
      if (!agreement.agreed) {
        trace(`step ${step}: DISAGREE after ${agreement.ms} ms (${agreement.polls} polls): ${Object.entries(agreement.lists).map(([l, list]) => `${l}=${JSON.stringify(list)}`).join(' ')}`);
        const primaryList = JSON.stringify(agreement.lists.P);
        const logs = Object.fromEntries(
          cluster.live
            .filter((p) => p === cluster.primary || JSON.stringify(agreement.lists[p.label]) !== primaryList)
            .map((p) => [p.label, p.tail(12)]),
        );
        result.divergences.push({ step, kind, lists: agreement.lists, trace: stepTrace, logs });
        if (!options.keepGoing) break;
      } else {
        result.agreements++;
        trace(`step ${step}: agree after ${agreement.ms} ms: ${summary}`);
      }
      const after = agreement.lists.P ?? [];
      for (const op of ops) {
        if (op.outcome !== 'ok' || ops.some((o) => o !== op && o.device === op.device)) continue;
        const present = names(after).includes(op.device);
        if (present !== (op.verb === 'attach')) {
          result.failures.push(`step ${step}: ${op.who.label} ${op.verb} ${op.device} succeeded but the primary ${present ? 'still has' : 'lacks'} it: ${summary}`);
        }
      }
      agreed = after;
      const stats = await cluster.primary.stats();
      result.primary.maxFds = Math.max(result.primary.maxFds, stats.fds);
      result.primary.maxRssKiB = Math.max(result.primary.maxRssKiB, stats.rssKiB);
      if (stats.fds > result.primary.start.fds + (options.fdSlack ?? 4)) {
        result.failures.push(`step ${step}: the primary has ${stats.fds} fds, ${result.primary.start.fds} after start-up`);
        break;
      }
    }
    if (cluster.primary.alive) {
      await cluster.primary.heap();
      const end = await cluster.primary.stats();
      result.primary.end = end;
      const growthMiB = (end.rssKiB - result.primary.start.rssKiB) / 1024;
      if (growthMiB > (options.rssSlackMiB ?? 32)) {
        result.failures.push(`the primary's RSS grew by ${growthMiB.toFixed(1)} MiB over ${result.steps} steps (bound ${options.rssSlackMiB ?? 32} MiB)`);
      }
    }
  } catch (error) {
    result.failures.push(`aborted: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await cluster.stop();
    result.ms = Date.now() - t0;
  }
  return result;
}

/** The one summary line. */
export function summaryLine(r: ChaosResult): string {
  const mib = (kib: number): string => (kib / 1024).toFixed(1);
  const end = r.primary.end;
  return (
    `chaos seed=${r.seed} steps=${r.steps} agreements=${r.agreements}/${r.steps} divergences=${r.divergences.length} failures=${r.failures.length}` +
    ` faults: sigstop=${r.faults.sigstop} sigkill=${r.faults.sigkill} concurrent=${r.faults.concurrent} joins=${r.faults.joins}` +
    ` primary fds ${r.primary.start.fds}->${end?.fds ?? '?'} (max ${r.primary.maxFds})` +
    ` rss ${mib(r.primary.start.rssKiB)}->${end ? mib(end.rssKiB) : '?'} MiB (max ${mib(r.primary.maxRssKiB)}) in ${(r.ms / 1000).toFixed(1)} s`
  );
}
