/**
 * The hotplug protocol over the mp channel (DPDK's lib/eal/common/hotplug_mp.c
 * and the primary's side of rte_dev_probe / rte_dev_remove):
 * - the secondaries' action, answering the primary's ATTACH, DETACH and
 *   rollback requests with a local probe or remove;
 * - the primary's action, running a secondary's ATTACH or DETACH as a whole
 *   operation and answering with its result;
 * - the primary's orchestration of an attach or a detach, with the broadcast
 *   to every secondary and the rollback when any process fails.
 */
import {
  type BusRegistry,
  type Devargs,
  type Device,
  DeviceError,
  EalError,
  localDevProbe,
  localDevRemove,
  parseDevargs,
} from '@eal-ts/bus';
import { type ErrnoName, errnoOf, nameOf } from '@eal-ts/errno';
import type { Logger } from '@eal-ts/log';
import type { MpChannel, MpMessage } from '@eal-ts/mp-channel';
import {
  EAL_DEV_MP_ACTION_REQUEST,
  EAL_DEV_MP_REQ_SIZE,
  EalDevReqType,
  decodeEalDevMpReq,
  ealDevReqTypeName,
  encodeEalDevMpReq,
  type EalDevMpReq,
} from './eal_dev_mp_req.js';
import { HotplugError, type HotplugOp, describeError, describeResult } from './errors.js';

/** DPDK's MP_TIMEOUT_S: every hotplug exchange waits at most 5 s. */
export const HOTPLUG_MP_TIMEOUT_MS = 5000;

/** What hotplug needs of an mp channel; an MpChannel fits, and tests may pass anything shaped like it. */
export type HotplugChannel = Pick<MpChannel, 'role' | 'path' | 'primaryPath' | 'register' | 'unregister' | 'request' | 'reply'>;

/** A device was probed (`attached`) or removed (`detached`) in this process. */
export interface HotplugDeviceEvent {
  /** The devargs of the operation, as they travelled. */
  devargs: string;
  bus: string;
  name: string;
  device: Device;
  /** True when this probe/remove undid part of a failed operation. */
  rollback: boolean;
}

/** An attach or a detach failed somewhere and was rolled back; fired in the primary and in every secondary asked to roll back. */
export interface HotplugRollbackEvent {
  op: HotplugOp;
  devargs: string;
  /** Bus and device name, when this process could parse the devargs. */
  bus: string | undefined;
  name: string | undefined;
  /** The failure that caused the rollback. */
  code: ErrnoName;
  errno: number;
  /** The socket of the process that refused or did not answer, when known (the primary knows; a secondary does not). */
  peer: string | undefined;
  reason: string;
}

/**
 * Observer mode (eal-ts): a request from the primary, answered 0 without
 * running a driver, and the mirror of the primary's devices after it.
 */
export interface HotplugObservedEvent {
  /** ATTACH, DETACH, ATTACH_ROLLBACK or DETACH_ROLLBACK. */
  type: string;
  /** What the request means for the primary's device list. */
  op: HotplugOp;
  rollback: boolean;
  devargs: string;
  /** The device name: the devargs without a known bus prefix and without arguments. */
  name: string;
  /** The mirror after this request: the primary's devices, by name, in the order they came. */
  devices: string[];
}

export interface HotplugEvents {
  attached: [HotplugDeviceEvent];
  detached: [HotplugDeviceEvent];
  'rolled-back': [HotplugRollbackEvent];
  observed: [HotplugObservedEvent];
}

/** Everything the protocol functions work with: one process's buses, channel, logger and event sink. */
export interface HotplugContext {
  readonly buses: BusRegistry;
  /** Absent: an EAL without IPC (--in-memory / --no-shconf); everything is local. */
  readonly channel: HotplugChannel | undefined;
  readonly log: Logger;
  readonly timeoutMs: number;
  emit<K extends keyof HotplugEvents>(event: K, ...args: HotplugEvents[K]): void;
  /**
   * Runs `step` in this process's device queue: every local probe and
   * remove, whatever asked for it, one after the other in the order they
   * were queued.
   */
  local<T>(step: () => Promise<T>): Promise<T>;
}

function tryParse(ctx: HotplugContext, devargs: string): Devargs | undefined {
  try {
    return parseDevargs(ctx.buses, devargs);
  } catch {
    return undefined;
  }
}

/**
 * The reply DPDK sends: the request's 136 bytes copied as they came
 * (whatever follows the devargs' NUL included), with `result` set and,
 * for a primary that rolled back, the rollback type in `t`.
 */
export function echoReply(param: Uint8Array, result: number, t?: EalDevReqType): Uint8Array {
  const out = new Uint8Array(EAL_DEV_MP_REQ_SIZE);
  out.set(param.subarray(0, EAL_DEV_MP_REQ_SIZE));
  const view = new DataView(out.buffer);
  if (t !== undefined) view.setInt32(0, t, true);
  view.setInt32(EAL_DEV_MP_REQ_SIZE - 4, result, true);
  return out;
}

function hotplugMessage(req: EalDevMpReq): MpMessage {
  return { name: EAL_DEV_MP_ACTION_REQUEST, param: encodeEalDevMpReq(req), fds: [] };
}

async function sendReply(ctx: HotplugContext, channel: HotplugChannel, param: Uint8Array, peer: string): Promise<void> {
  try {
    const delivered = await channel.reply({ name: EAL_DEV_MP_ACTION_REQUEST, param, fds: [] }, peer);
    if (!delivered) ctx.log.err(`failed to send hotplug reply to ${peer}: it is gone`);
  } catch (error) {
    ctx.log.err(`failed to send hotplug reply to ${peer}: ${describeError(error)}`);
  }
}

// ---------------------------------------------------------------------------
// Local probe and remove, with their events.

/** local_dev_probe plus the `attached` event, run now: the caller holds the device queue. */
async function probeNow(ctx: HotplugContext, devargs: string, rollback: boolean): Promise<Device> {
  const device = await localDevProbe(ctx.buses, devargs);
  ctx.emit('attached', { devargs, bus: device.bus.name, name: device.name, device, rollback });
  return device;
}

/** local_dev_remove plus the `detached` event, run now: the caller holds the device queue. */
async function removeNow(ctx: HotplugContext, device: Device, devargs: string, rollback: boolean): Promise<void> {
  await localDevRemove(device);
  ctx.emit('detached', { devargs, bus: device.bus.name, name: device.name, device, rollback });
}

/** local_dev_probe plus the `attached` event, in the device queue. Throws the bus's EalError (DeviceError EEXIST carries the device). */
export function localProbe(ctx: HotplugContext, devargs: string, rollback: boolean): Promise<Device> {
  return ctx.local(() => probeNow(ctx, devargs, rollback));
}

/** local_dev_remove plus the `detached` event, in the device queue. */
export function localRemove(ctx: HotplugContext, device: Device, devargs: string, rollback: boolean): Promise<void> {
  return ctx.local(() => removeNow(ctx, device, devargs, rollback));
}

// ---------------------------------------------------------------------------
// Requests.

/**
 * Whether a reply's param answers `req`: same devargs and the same type, or
 * (from the primary) the rollback type it sets when it rolled the request
 * back. A param that does not decode is not judged here (it fails as
 * malformed later).
 */
function echoes(param: Uint8Array, req: EalDevMpReq, fromPrimary: boolean): boolean {
  let reply: EalDevMpReq;
  try {
    reply = decodeEalDevMpReq(param);
  } catch {
    return true;
  }
  if (reply.devargs !== req.devargs) return false;
  if (reply.t === req.t) return true;
  return (
    fromPrimary &&
    ((req.t === EalDevReqType.ATTACH && reply.t === EalDevReqType.ATTACH_ROLLBACK) ||
      (req.t === EalDevReqType.DETACH && reply.t === EalDevReqType.DETACH_ROLLBACK))
  );
}

/**
 * eal_dev_hotplug_request_to_secondary: one REQ to every secondary, in
 * parallel. Resolves undefined when every secondary answered 0 (or the
 * tolerated EEXIST for ATTACH / ENOENT for DETACH), else the failure:
 * ENOMSG for a send error or a missing answer (as DPDK), or the first
 * failing secondary's own result, naming it.
 */
export async function requestToSecondaries(ctx: HotplugContext, req: EalDevMpReq, op: HotplugOp): Promise<HotplugError | undefined> {
  const channel = ctx.channel;
  if (!channel) return undefined;
  const type = ealDevReqTypeName(req.t);
  let response;
  try {
    response = await channel.request(hotplugMessage(req), { timeoutMs: ctx.timeoutMs });
  } catch (error) {
    ctx.log.err(`rte_mp_request_sync failed: ${type} ${req.devargs}: ${describeError(error)}`);
    return new HotplugError('ENOMSG', `cannot send ${type} ${req.devargs} to the secondaries: ${describeError(error)}`, {
      op,
      devargs: req.devargs,
      stage: 'ipc',
      cause: error,
    });
  }
  // The channel matches a reply to a request by peer and action name only
  // (as DPDK): a secondary's late answer to an earlier request (an ATTACH
  // answered after its timeout, while its ATTACH_ROLLBACK is pending) would
  // pass for the answer to this one. DPDK's answers echo the request, so one
  // that does not is counted as no answer at all.
  const stale = response.replies.filter((reply) => !echoes(reply.param, req, false));
  if (stale.length > 0) {
    const peers = stale.map((r) => r.peer).join(', ');
    ctx.log.err(`stale hotplug reply from ${peers}: it answers an earlier request, not ${type} ${req.devargs}`);
    return new HotplugError('ENOMSG', `${stale.length} of ${response.nbSent} secondaries answered an earlier request instead of ${type} ${req.devargs} (${peers})`, {
      op,
      devargs: req.devargs,
      stage: 'ipc',
    });
  }
  if (response.nbReceived !== response.nbSent) {
    const answered = new Set(response.replies.map((r) => r.peer));
    ctx.log.err(`not all secondary reply: ${response.nbReceived} of ${response.nbSent} answered ${type} ${req.devargs}`);
    return new HotplugError(
      'ENOMSG',
      `${response.nbSent - response.nbReceived} of ${response.nbSent} secondaries did not answer ${type} ${req.devargs} within ${ctx.timeoutMs} ms` +
        (answered.size > 0 ? ` (answered: ${[...answered].join(', ')})` : ''),
      { op, devargs: req.devargs, stage: 'ipc' },
    );
  }
  const failures: { peer: string; result: number; why: string }[] = [];
  for (const reply of response.replies) {
    let result: number;
    let why: string;
    try {
      result = decodeEalDevMpReq(reply.param).result;
      why = describeResult(result);
    } catch (error) {
      result = errnoOf('EPROTO');
      why = `a malformed reply (${describeError(error)})`;
    }
    if (result === 0) continue;
    if (req.t === EalDevReqType.ATTACH && result === errnoOf('EEXIST')) continue;
    if (req.t === EalDevReqType.DETACH && result === errnoOf('ENOENT')) continue;
    failures.push({ peer: reply.peer, result, why });
  }
  const first = failures[0];
  if (!first) return undefined;
  const others = failures.slice(1).map((f) => `; secondary ${f.peer} answered ${f.why}`).join('');
  return HotplugError.fromResult(first.result, `secondary ${first.peer} answered ${type} ${req.devargs} with ${first.why}${others}`, {
    op,
    devargs: req.devargs,
    stage: 'secondary',
    peer: first.peer,
  });
}

/**
 * eal_dev_hotplug_request_to_primary: a secondary's REQ, waiting for the
 * primary to run the whole operation. Resolves with the primary's result
 * (0 or a negative errno); throws HotplugError for a send failure (ENOMSG),
 * no answer in time (ETIMEDOUT) or an abort (ECANCELED).
 */
export async function requestToPrimary(
  ctx: HotplugContext,
  req: EalDevMpReq,
  op: HotplugOp,
  signal?: AbortSignal,
): Promise<{ result: number; peer: string }> {
  const channel = ctx.channel!;
  const peer = channel.primaryPath;
  const details = { op, devargs: req.devargs, peer } as const;
  let response;
  try {
    response = await channel.request(hotplugMessage(req), { timeoutMs: ctx.timeoutMs, signal });
  } catch (error) {
    if (signal?.aborted) {
      throw new HotplugError('ECANCELED', `${op} of ${req.devargs}: no longer waiting for the primary (aborted); it may still complete`, {
        ...details,
        stage: 'ipc',
        cause: error,
      });
    }
    ctx.log.err(`Cannot send request to primary: ${describeError(error)}`);
    throw new HotplugError('ENOMSG', `${op} of ${req.devargs}: cannot send the request to the primary ${peer}: ${describeError(error)}`, {
      ...details,
      stage: 'ipc',
      cause: error,
    });
  }
  const reply = response.replies[0];
  if (response.nbReceived !== 1 || !reply) {
    ctx.log.err('Cannot send request to primary');
    if (response.nbSent === 1) {
      throw new HotplugError('ETIMEDOUT', `${op} of ${req.devargs}: the primary ${peer} did not answer within ${ctx.timeoutMs} ms`, {
        ...details,
        stage: 'ipc',
      });
    }
    throw new HotplugError('ENOMSG', `${op} of ${req.devargs}: the primary ${peer} ignored the request (not initialised yet)`, {
      ...details,
      stage: 'ipc',
    });
  }
  if (!echoes(reply.param, req, true)) {
    ctx.log.err(`stale hotplug reply from the primary: it answers an earlier request, not ${ealDevReqTypeName(req.t)} ${req.devargs}`);
    throw new HotplugError('ENOMSG', `${op} of ${req.devargs}: the primary ${peer} answered an earlier request instead (its outcome for this one is unknown)`, {
      ...details,
      stage: 'ipc',
    });
  }
  try {
    return { result: decodeEalDevMpReq(reply.param).result, peer };
  } catch (error) {
    throw new HotplugError('EPROTO', `${op} of ${req.devargs}: malformed answer from the primary ${peer}: ${describeError(error)}`, {
      ...details,
      stage: 'ipc',
      cause: error,
    });
  }
}

// ---------------------------------------------------------------------------
// The primary's operations.

function localFailure(op: HotplugOp, devargs: string, error: unknown): HotplugError {
  if (error instanceof HotplugError) return error;
  const eal = EalError.from(error);
  return new HotplugError(eal.code, `${op} of ${devargs} failed in the primary: ${eal.message}`, {
    op,
    devargs,
    stage: 'local',
    cause: error,
  });
}

function rolledBackEvent(ctx: HotplugContext, op: HotplugOp, devargs: string, failure: HotplugError): void {
  const parsed = tryParse(ctx, devargs);
  ctx.emit('rolled-back', {
    op,
    devargs,
    bus: parsed?.bus,
    name: parsed?.name,
    code: failure.code,
    errno: failure.errno,
    peer: failure.peer,
    reason: failure.message,
  });
}

function rolledBack(op: HotplugOp, failure: HotplugError): HotplugError {
  const error = HotplugError.fromResult(failure.errno, `${op} of ${failure.devargs} rolled back in every process: ${failure.message}`, {
    op,
    devargs: failure.devargs,
    stage: failure.stage,
    peer: failure.peer,
    rolledBack: true,
    cause: failure.cause ?? failure,
  });
  return error;
}

/**
 * The primary's attach (rte_dev_probe in the primary; the ATTACH branch of
 * __handle_secondary_request): probe here, then ATTACH to every secondary;
 * any failure there rolls back everywhere, this process included.
 *
 * As DPDK: a device already probed here (EEXIST) is still announced to the
 * secondaries (one may have missed it), and success is then 0; if that
 * announcement fails, the rollback removes the device here too, although it
 * existed before, so that every process ends without it.
 */
export async function primaryAttach(ctx: HotplugContext, devargs: string): Promise<Device> {
  let device: Device;
  try {
    device = await localProbe(ctx, devargs, false);
  } catch (error) {
    if (error instanceof DeviceError && error.code === 'EEXIST') {
      ctx.log.debug(`Device ${error.device.name} is already attached on the primary; syncing the secondaries`);
      device = error.device;
    } else {
      ctx.log.err(`Failed to attach device on primary process: ${describeError(error)}`);
      throw localFailure('attach', devargs, error);
    }
  }
  const failure = await requestToSecondaries(ctx, { t: EalDevReqType.ATTACH, devargs, result: 0 }, 'attach');
  if (!failure) return device;

  ctx.log.err(`Failed to attach device on secondary process: ${failure.message}`);
  const rollbackFailure = await requestToSecondaries(
    ctx,
    { t: EalDevReqType.ATTACH_ROLLBACK, devargs, result: failure.errno },
    'attach',
  );
  if (rollbackFailure) {
    ctx.log.warning(`Failed to rollback device attach on secondary. Devices in secondary may not sync with primary: ${rollbackFailure.message}`);
  }
  try {
    if (device.driver !== null) await localRemove(ctx, device, devargs, true);
  } catch (error) {
    ctx.log.warning(`Failed to rollback device attach on primary. Devices in secondary may not sync with primary: ${describeError(error)}`);
  }
  rolledBackEvent(ctx, 'attach', devargs, failure);
  throw rolledBack('attach', failure);
}

/**
 * The primary's detach (rte_dev_remove in the primary; the DETACH branch of
 * __handle_secondary_request): DETACH to every secondary first, then remove
 * here. A secondary's failure (other than ENOENT), a missing answer, or a
 * failing remove here (other than ENOENT) sends DETACH_ROLLBACK to every
 * secondary, which probe the device again.
 *
 * `device` is given by a local call, which has checked it is probed; a
 * secondary's request is looked up after the broadcast, as DPDK does (so a
 * device the primary does not have answers ENOENT after the broadcast).
 */
export async function primaryDetach(ctx: HotplugContext, devargs: string, device?: Device): Promise<void> {
  let parsed: Devargs | undefined;
  if (!device) {
    try {
      parsed = parseDevargs(ctx.buses, devargs);
    } catch (error) {
      throw localFailure('detach', devargs, error);
    }
  }
  const failure = await requestToSecondaries(ctx, { t: EalDevReqType.DETACH, devargs, result: 0 }, 'detach');
  if (failure?.stage === 'ipc') return rollbackDetach(ctx, devargs, failure);

  if (!device && parsed) {
    const bus = ctx.buses.findByName(parsed.bus);
    if (!bus) {
      ctx.log.err(`Cannot find bus (${parsed.bus})`);
      throw new HotplugError('ENOENT', `detach of ${devargs}: no bus '${parsed.bus}' in the primary`, {
        op: 'detach',
        devargs,
        stage: 'local',
      });
    }
    device = bus.findDeviceByName(parsed.name);
    if (!device) {
      ctx.log.err(`Cannot find plugged device (${parsed.name})`);
      throw new HotplugError('ENOENT', `detach of ${devargs}: no device ${parsed.name} on bus '${parsed.bus}' in the primary`, {
        op: 'detach',
        devargs,
        stage: 'local',
      });
    }
  }
  if (failure) {
    ctx.log.err(`Failed to detach device on secondary process: ${failure.message}`);
    return rollbackDetach(ctx, devargs, failure);
  }
  try {
    await localRemove(ctx, device!, devargs, false);
  } catch (error) {
    ctx.log.err(`Failed to detach device on primary process: ${describeError(error)}`);
    const local = localFailure('detach', devargs, error);
    if (local.code === 'ENOENT') throw local;
    return rollbackDetach(ctx, devargs, local);
  }
}

async function rollbackDetach(ctx: HotplugContext, devargs: string, failure: HotplugError): Promise<never> {
  const rollbackFailure = await requestToSecondaries(
    ctx,
    { t: EalDevReqType.DETACH_ROLLBACK, devargs, result: failure.errno },
    'detach',
  );
  if (rollbackFailure) {
    ctx.log.warning(`Failed to rollback device detach on secondary. Devices in secondary may not sync with primary: ${rollbackFailure.message}`);
  }
  rolledBackEvent(ctx, 'detach', devargs, failure);
  throw rolledBack('detach', failure);
}

// ---------------------------------------------------------------------------
// The actions.

function malformed(ctx: HotplugContext, error: unknown, peer: string, from: string): void {
  ctx.log.err(`Malformed ${EAL_DEV_MP_ACTION_REQUEST} from ${from} ${peer || '(unbound socket)'}: ${describeError(error)}; answering ${describeResult(-22)}`);
}

/**
 * The primary's action (handle_secondary_request): a secondary's ATTACH or
 * DETACH runs as one whole operation, queued behind any other through
 * `enqueue`, and the secondary is answered with its result. Other types are
 * answered -ENOTSUP, a malformed param -EINVAL.
 */
export function handleSecondaryRequest(
  ctx: HotplugContext,
  channel: HotplugChannel,
  enqueue: (operation: () => Promise<void>) => Promise<void>,
  msg: MpMessage,
  peer: string,
): Promise<void> {
  let req: EalDevMpReq;
  try {
    req = decodeEalDevMpReq(msg.param);
  } catch (error) {
    malformed(ctx, error, peer, 'secondary');
    return sendReply(ctx, channel, echoReply(msg.param, errnoOf('EINVAL')), peer);
  }
  if (req.t !== EalDevReqType.ATTACH && req.t !== EalDevReqType.DETACH) {
    ctx.log.err(`unsupported secondary to primary request: ${ealDevReqTypeName(req.t)} from ${peer}`);
    return sendReply(ctx, channel, echoReply(msg.param, errnoOf('ENOTSUP')), peer);
  }
  ctx.log.debug(`hotplug request from secondary ${peer}: ${ealDevReqTypeName(req.t)} ${req.devargs}`);
  return enqueue(async () => {
    let result = 0;
    let t: EalDevReqType | undefined;
    try {
      if (req.t === EalDevReqType.ATTACH) await primaryAttach(ctx, req.devargs);
      else await primaryDetach(ctx, req.devargs);
    } catch (error) {
      result = EalError.from(error).errno;
      if (error instanceof HotplugError && error.rolledBack) {
        t = req.t === EalDevReqType.ATTACH ? EalDevReqType.ATTACH_ROLLBACK : EalDevReqType.DETACH_ROLLBACK;
      }
      ctx.log.err(`hotplug ${ealDevReqTypeName(req.t)} ${req.devargs} asked by ${peer} failed: ${describeError(error)}`);
    }
    await sendReply(ctx, channel, echoReply(msg.param, result, t), peer);
  });
}

/**
 * A secondary's action (handle_primary_request): ATTACH and DETACH_ROLLBACK
 * probe the devargs here; DETACH and ATTACH_ROLLBACK remove the device they
 * name. A rollback with nothing to undo succeeds; a DETACH of a device not
 * here answers -ENOENT (-ENODEV when it is listed but not probed, as DPDK).
 *
 * Each request joins the device queue as it arrives, before anything is
 * awaited, so requests are applied one after the other in arrival order
 * (DPDK hands each to the interrupt thread with rte_eal_alarm_set): an
 * ATTACH_ROLLBACK that follows an ATTACH still being probed undoes it.
 */
export async function handlePrimaryRequest(ctx: HotplugContext, channel: HotplugChannel, msg: MpMessage, peer: string): Promise<void> {
  let req: EalDevMpReq;
  try {
    req = decodeEalDevMpReq(msg.param);
  } catch (error) {
    malformed(ctx, error, peer, 'primary');
    return sendReply(ctx, channel, echoReply(msg.param, errnoOf('EINVAL')), peer);
  }
  ctx.log.debug(`hotplug request from primary: ${ealDevReqTypeName(req.t)} ${req.devargs}`);
  const result = await ctx.local(() => secondaryAction(ctx, req));
  if (req.t === EalDevReqType.ATTACH_ROLLBACK || req.t === EalDevReqType.DETACH_ROLLBACK) {
    const parsed = tryParse(ctx, req.devargs);
    const errno = req.result !== 0 ? req.result : errnoOf('ENOMSG');
    ctx.emit('rolled-back', {
      op: req.t === EalDevReqType.ATTACH_ROLLBACK ? 'attach' : 'detach',
      devargs: req.devargs,
      bus: parsed?.bus,
      name: parsed?.name,
      code: nameOf(errno) ?? 'EIO',
      errno,
      peer: undefined,
      reason: `the primary ${peer} rolled back ${req.devargs} after a failure (${describeResult(errno)})`,
    });
  }
  await sendReply(ctx, channel, echoReply(msg.param, result), peer);
}

async function secondaryAction(ctx: HotplugContext, req: EalDevMpReq): Promise<number> {
  const rollback = req.t === EalDevReqType.ATTACH_ROLLBACK || req.t === EalDevReqType.DETACH_ROLLBACK;
  if (req.t === EalDevReqType.ATTACH || req.t === EalDevReqType.DETACH_ROLLBACK) {
    try {
      await probeNow(ctx, req.devargs, rollback);
      return 0;
    } catch (error) {
      const result = EalError.from(error).errno;
      if (!(error instanceof DeviceError && error.code === 'EEXIST')) {
        ctx.log.err(`Failed to probe ${req.devargs} (${ealDevReqTypeName(req.t)}): ${describeError(error)}`);
      }
      return result;
    }
  }
  let parsed: Devargs;
  try {
    parsed = parseDevargs(ctx.buses, req.devargs);
  } catch (error) {
    // No bus here recognises the name (a device of a DPDK driver eal-ts does
    // not have, say net_ring): nothing by that name can be probed in this
    // process. Answering the parse error would make a DPDK primary fail and
    // roll back its detach of a device only it has; -ENOENT is the answer it
    // tolerates, and a rollback with nothing to undo succeeds.
    // An ATTACH (or a DETACH_ROLLBACK, which probes) keeps the real reason.
    if (req.t === EalDevReqType.ATTACH_ROLLBACK) return 0;
    if (req.t === EalDevReqType.DETACH) {
      ctx.log.info(`DETACH ${req.devargs}: not a device of this process (${describeError(error)})`);
      return errnoOf('ENOENT');
    }
    ctx.log.err(`Cannot parse devargs ${req.devargs}: ${describeError(error)}`);
    return EalError.from(error).errno;
  }
  const bus = ctx.buses.findByName(parsed.bus);
  const device = bus?.findDeviceByName(parsed.name);
  if (!device || device.driver === null) {
    // Don't fail the rollback just because there's nothing to do.
    if (req.t === EalDevReqType.ATTACH_ROLLBACK) return 0;
    ctx.log.err(device ? `Device ${parsed.name} is not probed` : `Cannot find plugged device (${parsed.name})`);
    return errnoOf(device ? 'ENODEV' : 'ENOENT');
  }
  try {
    await removeNow(ctx, device, req.devargs, rollback);
    return 0;
  } catch (error) {
    ctx.log.err(`Failed to remove ${parsed.name} (${ealDevReqTypeName(req.t)}): ${describeError(error)}`);
    return EalError.from(error).errno;
  }
}
