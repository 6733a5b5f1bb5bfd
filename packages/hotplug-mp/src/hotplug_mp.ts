/**
 * The hotplug protocol, written once as a list of steps (DPDK's
 * lib/eal/common/hotplug_mp.c and the primary's side of rte_dev_probe /
 * rte_dev_remove):
 * - the primary's orchestration of an attach or a detach, with the broadcast
 *   to every secondary and the rollback when any process fails;
 * - the primary's action, running a secondary's ATTACH or DETACH as a whole
 *   operation and answering with its result;
 * - the secondaries' action, answering the primary's ATTACH, DETACH and
 *   rollback requests with a local probe or remove.
 * The exchanges themselves are in hotplug_mp_request.ts, the context and the
 * local steps in hotplug_context.ts; the queues that order operations are the
 * caller's (eal_common_dev.ts, operation_queue.ts).
 */
import { type Devargs, type Device, DeviceError, EalError, parseDevargs } from '@eal-ts/bus';
import { errnoOf, nameOf } from '@eal-ts/errno';
import { LogLevel } from '@eal-ts/log';
import type { MpMessage } from '@eal-ts/mp-channel';
import { EAL_DEV_MP_ACTION_REQUEST, EalDevReqType, decodeEalDevMpReq, ealDevReqTypeName, type EalDevMpReq } from './eal_dev_mp_req.js';
import { HotplugError, type HotplugOp, describeError, describeResult } from './errors.js';
import { type HotplugChannel, type HotplugContext, type HotplugRollbackEvent, localProbe, localRemove, probeNow, removeNow, tryParse } from './hotplug_context.js';
import { echoReply, requestToSecondaries, sendReply } from './hotplug_mp_request.js';

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

/** Fires 'rolled-back' for `devargs` in this process, with why (the failure's code, errno, peer and text). */
function rolledBackEvent(
  ctx: HotplugContext,
  op: HotplugOp,
  devargs: string,
  why: Pick<HotplugRollbackEvent, 'code' | 'errno' | 'peer' | 'reason'>,
): void {
  const parsed = tryParse(ctx, devargs);
  ctx.emit('rolled-back', { op, devargs, bus: parsed?.bus, name: parsed?.name, ...why });
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
  await rollbackSecondaries(ctx, 'attach', devargs, failure);
  try {
    if (device.driver !== null) await localRemove(ctx, device, devargs, true);
  } catch (error) {
    ctx.log.warning(`Failed to rollback device attach on primary. Devices in secondary may not sync with primary: ${describeError(error)}`);
  }
  rolledBackEvent(ctx, 'attach', devargs, { code: failure.code, errno: failure.errno, peer: failure.peer, reason: failure.message });
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

/** ATTACH_ROLLBACK or DETACH_ROLLBACK to every secondary; a failure there is only logged, as DPDK. */
async function rollbackSecondaries(ctx: HotplugContext, op: HotplugOp, devargs: string, failure: HotplugError): Promise<void> {
  const t = op === 'attach' ? EalDevReqType.ATTACH_ROLLBACK : EalDevReqType.DETACH_ROLLBACK;
  const rollbackFailure = await requestToSecondaries(ctx, { t, devargs, result: failure.errno }, op);
  if (rollbackFailure) {
    ctx.log.warning(`Failed to rollback device ${op} on secondary. Devices in secondary may not sync with primary: ${rollbackFailure.message}`);
  }
}

async function rollbackDetach(ctx: HotplugContext, devargs: string, failure: HotplugError): Promise<never> {
  await rollbackSecondaries(ctx, 'detach', devargs, failure);
  rolledBackEvent(ctx, 'detach', devargs, { code: failure.code, errno: failure.errno, peer: failure.peer, reason: failure.message });
  throw rolledBack('detach', failure);
}

// ---------------------------------------------------------------------------
// The actions.

/** The request in `msg`; undefined, logged, when it is malformed (the caller answers -EINVAL). */
function decodeRequest(ctx: HotplugContext, msg: MpMessage, peer: string, from: string): EalDevMpReq | undefined {
  try {
    return decodeEalDevMpReq(msg.param);
  } catch (error) {
    ctx.log.err(`Malformed ${EAL_DEV_MP_ACTION_REQUEST} from ${from} ${peer || '(unbound socket)'}: ${describeError(error)}; answering ${describeResult(-22)}`);
    return undefined;
  }
}

/** Answers `msg` with -`code` without running anything. */
function refuse(ctx: HotplugContext, channel: HotplugChannel, msg: MpMessage, peer: string, code: 'EINVAL' | 'ENOTSUP'): Promise<void> {
  return sendReply(ctx, channel, echoReply(msg.param, errnoOf(code)), peer);
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
  const req = decodeRequest(ctx, msg, peer, 'secondary');
  if (!req) return refuse(ctx, channel, msg, peer, 'EINVAL');
  if (req.t !== EalDevReqType.ATTACH && req.t !== EalDevReqType.DETACH) {
    ctx.log.err(`unsupported secondary to primary request: ${ealDevReqTypeName(req.t)} from ${peer}`);
    return refuse(ctx, channel, msg, peer, 'ENOTSUP');
  }
  if (ctx.log.isEnabled(LogLevel.DEBUG)) ctx.log.debug(`hotplug request from secondary ${peer}: ${ealDevReqTypeName(req.t)} ${req.devargs}`);
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
  const req = decodeRequest(ctx, msg, peer, 'primary');
  if (!req) return refuse(ctx, channel, msg, peer, 'EINVAL');
  if (ctx.log.isEnabled(LogLevel.DEBUG)) ctx.log.debug(`hotplug request from primary: ${ealDevReqTypeName(req.t)} ${req.devargs}`);
  const result = await ctx.local(() => secondaryAction(ctx, req));
  if (req.t === EalDevReqType.ATTACH_ROLLBACK || req.t === EalDevReqType.DETACH_ROLLBACK) {
    const errno = req.result !== 0 ? req.result : errnoOf('ENOMSG');
    rolledBackEvent(ctx, req.t === EalDevReqType.ATTACH_ROLLBACK ? 'attach' : 'detach', req.devargs, {
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
