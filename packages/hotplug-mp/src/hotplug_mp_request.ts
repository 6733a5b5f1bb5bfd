/**
 * The hotplug exchanges over the mp channel (DPDK's hotplug_mp.c:
 * eal_dev_hotplug_request_to_secondary, eal_dev_hotplug_request_to_primary,
 * and the replies of its handlers): what is sent, how an answer is matched
 * to its request, and what each outcome means.
 */
import { errnoOf } from '@eal-ts/errno';
import type { MpMessage } from '@eal-ts/mp-channel';
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
import type { HotplugChannel, HotplugContext } from './hotplug_context.js';

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

export async function sendReply(ctx: HotplugContext, channel: HotplugChannel, param: Uint8Array, peer: string): Promise<void> {
  try {
    const delivered = await channel.reply({ name: EAL_DEV_MP_ACTION_REQUEST, param, fds: [] }, peer);
    if (!delivered) ctx.log.err(`failed to send hotplug reply to ${peer}: it is gone`);
  } catch (error) {
    ctx.log.err(`failed to send hotplug reply to ${peer}: ${describeError(error)}`);
  }
}

/** A reply's param, decoded once: the request it echoes, or why it does not decode. */
type DecodedReply = { readonly req: EalDevMpReq } | { readonly error: unknown };

function decodeReply(param: Uint8Array): DecodedReply {
  try {
    return { req: decodeEalDevMpReq(param) };
  } catch (error) {
    return { error };
  }
}

/**
 * Whether a reply answers `req`: same devargs and the same type, or (from
 * the primary) the rollback type it sets when it rolled the request back. A
 * param that does not decode is not judged here (it fails as malformed
 * later).
 */
function echoes(reply: DecodedReply, req: EalDevMpReq, fromPrimary: boolean): boolean {
  if ('error' in reply) return true;
  const { t, devargs } = reply.req;
  if (devargs !== req.devargs) return false;
  if (t === req.t) return true;
  return (
    fromPrimary &&
    ((req.t === EalDevReqType.ATTACH && t === EalDevReqType.ATTACH_ROLLBACK) ||
      (req.t === EalDevReqType.DETACH && t === EalDevReqType.DETACH_ROLLBACK))
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
  // No secondary to ask (issue 11: a primary alone neither encodes the
  // request nor goes through the channel's layers for it; the answer is the
  // one an empty request gets, nbSent 0).
  if (!channel || channel.surelyAlone()) return undefined;
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
  const replies = response.replies.map((reply) => ({ peer: reply.peer, decoded: decodeReply(reply.param) }));
  const stale = replies.filter((reply) => !echoes(reply.decoded, req, false));
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
  for (const reply of replies) {
    const { decoded } = reply;
    const result = 'req' in decoded ? decoded.req.result : errnoOf('EPROTO');
    if (result === 0) continue;
    if (req.t === EalDevReqType.ATTACH && result === errnoOf('EEXIST')) continue;
    if (req.t === EalDevReqType.DETACH && result === errnoOf('ENOENT')) continue;
    const why = 'req' in decoded ? describeResult(result) : `a malformed reply (${describeError(decoded.error)})`;
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
  const decoded = decodeReply(reply.param);
  if (!echoes(decoded, req, true)) {
    ctx.log.err(`stale hotplug reply from the primary: it answers an earlier request, not ${ealDevReqTypeName(req.t)} ${req.devargs}`);
    throw new HotplugError('ENOMSG', `${op} of ${req.devargs}: the primary ${peer} answered an earlier request instead (its outcome for this one is unknown)`, {
      ...details,
      stage: 'ipc',
    });
  }
  if ('error' in decoded) {
    throw new HotplugError('EPROTO', `${op} of ${req.devargs}: malformed answer from the primary ${peer}: ${describeError(decoded.error)}`, {
      ...details,
      stage: 'ipc',
      cause: decoded.error,
    });
  }
  return { result: decoded.req.result, peer };
}
