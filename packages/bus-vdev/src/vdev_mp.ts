import { EalError, RTE_DEV_NAME_MAX_LEN } from '@eal-ts/bus';
import { errnoNameOf, messageOf as describe } from '@eal-ts/errno';
import type { Logger } from '@eal-ts/log';
import type { MpChannel, MpMessage, ProcessType } from '@eal-ts/mp-channel';

/** The action name of vdev discovery (VDEV_MP_KEY). */
export const VDEV_MP_KEY = 'bus_vdev_mp';
/** A secondary asks the primary for its vdevs (REQ). */
export const VDEV_SCAN_REQ = 1;
/** The primary announces one vdev (MSG, broadcast to every secondary). */
export const VDEV_SCAN_ONE = 2;
/** The primary's answer to SCAN_REQ: `num` = how many SCAN_ONE it sent (REP). */
export const VDEV_SCAN_REP = 3;
/** sizeof(struct vdev_param): int32 type; int32 num; char name[64]. */
export const VDEV_PARAM_SIZE = 8 + RTE_DEV_NAME_MAX_LEN;
/** DPDK's timeout for the start-up scan request. */
export const VDEV_SCAN_TIMEOUT_MS = 5_000;

export type VdevMsgType = typeof VDEV_SCAN_REQ | typeof VDEV_SCAN_ONE | typeof VDEV_SCAN_REP;

/** struct vdev_param, decoded. */
export interface VdevParam {
  readonly type: VdevMsgType;
  readonly num: number;
  /** The device name: the bytes of name[64] up to the first NUL. */
  readonly name: string;
}

/** Why a bus_vdev_mp param could not be decoded. */
export type VdevParamProblem = 'length' | 'type' | 'name';

/** A bus_vdev_mp param that does not decode (EBADMSG); `problem` names the part at fault. */
export class VdevParamError extends EalError {
  constructor(readonly problem: VdevParamProblem, message: string) {
    super('EBADMSG', message);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The 72-byte param (little endian, as x86-64 DPDK writes it). `nameTail`
 * fills name[] after the NUL: DPDK sends whatever its stack held there, and
 * tests use it to reproduce that.
 */
export function encodeVdevParam(param: VdevParam, nameTail?: Uint8Array): Uint8Array {
  if (!Number.isInteger(param.num) || param.num < -0x8000_0000 || param.num > 0x7fff_ffff) {
    throw new EalError('EINVAL', `bus_vdev_mp: num ${param.num} does not fit an int32`);
  }
  const name = Buffer.from(param.name, 'utf8');
  if (name.length >= RTE_DEV_NAME_MAX_LEN) {
    throw new EalError('EINVAL', `bus_vdev_mp: device name '${param.name}' is ${name.length} bytes; at most ${RTE_DEV_NAME_MAX_LEN - 1} fit`);
  }
  if (name.includes(0)) throw new EalError('EINVAL', 'bus_vdev_mp: device name contains a NUL byte');
  const out = Buffer.alloc(VDEV_PARAM_SIZE);
  out.writeInt32LE(param.type, 0);
  out.writeInt32LE(param.num, 4);
  name.copy(out, 8);
  if (nameTail) Buffer.from(nameTail.subarray(0, RTE_DEV_NAME_MAX_LEN - name.length - 1)).copy(out, 8 + name.length + 1);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/**
 * Reads struct vdev_param. DPDK reads any param blindly; we refuse (with
 * VdevParamError, EBADMSG) a param that is not 72 bytes, an unknown type,
 * a name without a NUL in its 64 bytes, or a name that is not UTF-8.
 * Bytes after the NUL are ignored: DPDK leaves stack garbage there.
 */
export function decodeVdevParam(param: Uint8Array): VdevParam {
  if (param.length !== VDEV_PARAM_SIZE) {
    throw new VdevParamError('length', `param is ${param.length} bytes, expected ${VDEV_PARAM_SIZE} (int32 type, int32 num, char name[64])`);
  }
  const view = new DataView(param.buffer, param.byteOffset, param.length);
  const type = view.getInt32(0, true);
  const num = view.getInt32(4, true);
  if (type !== VDEV_SCAN_REQ && type !== VDEV_SCAN_ONE && type !== VDEV_SCAN_REP) {
    throw new VdevParamError('type', `unknown type ${type} (expected 1 SCAN_REQ, 2 SCAN_ONE or 3 SCAN_REP)`);
  }
  const field = param.subarray(8, VDEV_PARAM_SIZE);
  const nul = field.indexOf(0);
  if (nul < 0) throw new VdevParamError('name', `name[${RTE_DEV_NAME_MAX_LEN}] has no terminating NUL`);
  let name: string;
  try {
    name = utf8.decode(field.subarray(0, nul));
  } catch {
    throw new VdevParamError('name', `name is not valid UTF-8 (${Buffer.from(field.subarray(0, nul)).toString('hex')})`);
  }
  return { type, num, name };
}

/**
 * One line for people (eal-mp listen, traces): `SCAN_REQ`, `SCAN_ONE net_null0`,
 * `SCAN_REP num 2`. Throws VdevParamError for a param that does not decode.
 */
export function describeVdevParam(param: Uint8Array): string {
  const p = decodeVdevParam(param);
  if (p.type === VDEV_SCAN_REQ) return 'SCAN_REQ';
  if (p.type === VDEV_SCAN_ONE) return `SCAN_ONE ${p.name}`;
  return `SCAN_REP num ${p.num}`;
}

/** The part of an MpChannel the vdev bus uses (so a test double or a wrapper fits too). */
export type VdevMpChannel = Pick<MpChannel, 'role' | 'register' | 'unregister' | 'send' | 'reply' | 'request'>;

/** What the mp action needs from the bus. */
export interface VdevMpHost {
  /** The names of the vdevs this process has, in list order. */
  deviceNames(): string[];
  /** insert_vdev(name, NULL, NULL, false): true if added, false if a device of that name exists. */
  insertAnnounced(name: string): boolean;
  /** Runs the primary's answer to a SCAN_REQ when no hotplug operation is half done. */
  exclusive<T>(answer: () => Promise<T>): Promise<T>;
}


/**
 * The bus_vdev_mp action (vdev_action in DPDK's vdev.c) and the secondary's
 * start-up request, over one process's mp channel.
 */
export class VdevMp {
  #registered = false;

  constructor(
    private readonly channel: VdevMpChannel,
    private readonly role: ProcessType,
    private readonly host: VdevMpHost,
    private readonly log: Logger,
    private readonly timeoutMs: number = VDEV_SCAN_TIMEOUT_MS,
  ) {}

  /** Whether this bus's handler is the channel's bus_vdev_mp action. */
  get registered(): boolean {
    return this.#registered;
  }

  /**
   * rte_mp_action_register(VDEV_MP_KEY) as vdev_scan does it on every scan:
   * EEXIST (already registered, by us or by another vdev bus on the same
   * channel) is fine. Other failures are thrown.
   */
  register(): void {
    if (this.#registered) return;
    try {
      this.channel.register(VDEV_MP_KEY, (msg, peer) => this.handle(msg, peer));
      this.#registered = true;
    } catch (error) {
      if (errnoNameOf(error) === 'EEXIST') {
        this.log.debug(`mp action ${VDEV_MP_KEY} is already registered on this channel`);
        return;
      }
      throw new EalError('EIO', `Failed to add vdev mp action: ${describe(error)}`, { cause: error });
    }
  }

  /** Removes our action from the channel (only if we registered it). */
  unregister(): void {
    if (!this.#registered) return;
    this.#registered = false;
    this.channel.unregister(VDEV_MP_KEY);
  }

  /**
   * The secondary's part of vdev_scan: REQ SCAN_REQ to the primary, waiting
   * up to 5 s. The SCAN_ONE messages the primary broadcasts first are
   * handled by the action as they arrive. Never throws: a failure is logged
   * and the scan goes on with this process's own devices, as in DPDK.
   * Resolves with the primary's count, or undefined when it failed.
   */
  async requestScan(): Promise<number | undefined> {
    const request: MpMessage = {
      name: VDEV_MP_KEY,
      param: encodeVdevParam({ type: VDEV_SCAN_REQ, num: 0, name: '' }),
      fds: [],
    };
    try {
      const response = await this.channel.request(request, { timeoutMs: this.timeoutMs });
      const reply = response.replies[0];
      if (response.nbReceived === 1 && reply) {
        const rep = decodeVdevParam(reply.param);
        this.log.info(`Received ${rep.num} vdevs`);
        return rep.num;
      }
      this.log.err(
        `Failed to request vdev from primary: ${response.nbSent === 0 ? 'the primary did not take the request' : `no reply within ${this.timeoutMs} ms`}`,
      );
    } catch (error) {
      this.log.err(`Failed to request vdev from primary: ${describe(error)}`);
    }
    return undefined;
  }

  /** vdev_action: both roles. Malformed params are logged and ignored. */
  async handle(msg: MpMessage, peer: string): Promise<void> {
    const from = peer === '' ? 'an unbound socket' : peer;
    let param: VdevParam;
    try {
      param = decodeVdevParam(msg.param);
    } catch (error) {
      this.log.err(`vdev cannot recognize this message from ${from}: ${describe(error)}; ignored`);
      return;
    }
    switch (param.type) {
      case VDEV_SCAN_REQ:
        if (this.role !== 'primary') {
          this.log.err(`vdev cannot recognize this message from ${from}: SCAN_REQ is for the primary; ignored`);
          return;
        }
        await this.host.exclusive(() => this.#answerScan(peer));
        return;
      case VDEV_SCAN_ONE:
        if (this.role !== 'secondary') {
          this.log.err(`vdev cannot recognize this message from ${from}: SCAN_ONE is for secondaries; ignored`);
          return;
        }
        this.#receiveOne(param.name, from);
        return;
      default:
        // A SCAN_REP reaches the action only when nobody was waiting for it.
        this.log.err(`vdev cannot recognize this message from ${from}: unexpected SCAN_REP (num ${param.num}); ignored`);
    }
  }

  /** The primary's SCAN_REQ: one SCAN_ONE broadcast per named vdev, then SCAN_REP with the count. */
  async #answerScan(peer: string): Promise<void> {
    let num = 0;
    // DPDK reuses one buffer for every message, so the reply's name[] still
    // holds the last name sent; we send the same bytes.
    let last = '';
    for (const name of this.host.deviceNames()) {
      if (name.length === 0) {
        this.log.info('vdev with no name is not sent');
        continue;
      }
      this.log.info(`send vdev, ${name}`);
      try {
        await this.channel.send({ name: VDEV_MP_KEY, param: encodeVdevParam({ type: VDEV_SCAN_ONE, num: 1, name }), fds: [] });
      } catch (error) {
        this.log.err(`send vdev, ${name}, failed, ${describe(error)}`);
      }
      last = name;
      num++;
    }
    try {
      const rep = encodeVdevParam({ type: VDEV_SCAN_REP, num, name: last });
      const delivered = await this.channel.reply({ name: VDEV_MP_KEY, param: rep, fds: [] }, peer);
      if (delivered === false) this.log.err(`Failed to reply a scan request: ${peer} is gone`);
    } catch (error) {
      this.log.err(`Failed to reply a scan request: ${describe(error)}`);
    }
  }

  #receiveOne(name: string, from: string): void {
    if (name.length === 0) {
      this.log.err(`vdev cannot recognize this message from ${from}: SCAN_ONE with an empty name; ignored`);
      return;
    }
    this.log.info(`receive vdev, ${name}`);
    if (!this.host.insertAnnounced(name)) this.log.debug(`device already exist, ${name}`);
  }
}
