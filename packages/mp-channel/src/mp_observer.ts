import type { Logger } from '@eal-ts/log';
import { MpChannel } from './eal_common_proc.js';
import type { MpTrace, MpUnhandledAction } from './mp_types.js';
import type { MpLayout } from './rte_mp_msg.js';
import type { MpTransport } from './transport.js';
import { messageOf } from '@eal-ts/errno';

/** Turns one action's param into words for people; may throw for a param it cannot read. */
export type MpParamDecoder = (param: Uint8Array) => string;

/**
 * Param decoders by action name. The structs belong to the layers that
 * define them (eal_dev_mp_request to @eal-ts/hotplug-mp, bus_vdev_mp to
 * @eal-ts/bus-vdev), so this package only keeps the registry and tools
 * register what they know.
 */
export class MpParamDecoders {
  readonly #decoders = new Map<string, MpParamDecoder>();

  register(name: string, decoder: MpParamDecoder): this {
    if (typeof decoder !== 'function') throw new TypeError(`param decoder for ${name} is not a function`);
    this.#decoders.set(name, decoder);
    return this;
  }

  has(name: string): boolean {
    return this.#decoders.has(name);
  }

  /** describe() for a traced datagram; undefined for IGN, which never carries a param. */
  describeTrace(trace: Pick<MpTrace, 'type' | 'name' | 'param'>): string | undefined {
    return trace.type === 'IGN' ? undefined : this.describe(trace.name, trace.param);
  }

  /** The decoded param, `undecodable: <why>` if the decoder refused it, undefined when no decoder knows the action. */
  describe(name: string, param: Uint8Array): string | undefined {
    const decoder = this.#decoders.get(name);
    if (!decoder) return undefined;
    try {
      return decoder(param);
    } catch (error) {
      return `undecodable: ${messageOf(error)}`;
    }
  }
}

export interface MpObserverOptions {
  transport: MpTransport;
  /** `<base>/dpdk/<prefix>` of the application to watch. */
  runtimeDir: string;
  /** Sees every datagram received and sent, the IGN answers included. */
  onTrace: (trace: MpTrace) => void;
  /** 'auto' (default): the primary's layout, read from its config file; or force one. */
  layout?: MpLayout | 'auto';
  logger?: Logger;
  socketPath?: string;
  /**
   * Answer every REQ with a REP of the same name and param instead of IGN.
   * This DOES take part: a primary's broadcast then counts the observer and
   * gets its echo as one of the answers (DPDK's hotplug reads it as success).
   */
  echoRequests?: boolean;
}

/**
 * Joins a runtime directory as a secondary that only watches: it registers
 * no action and answers every REQ it receives with IGN at once, so a
 * requester (DPDK's rte_mp_request_sync, or ours) counts it as not sent to
 * and its counts, results and timing are as if the observer did not exist.
 * MSGs are only traced. Close the returned channel to leave.
 *
 * What it cannot hide: while binding it takes the directory's exclusive
 * flock for a moment (as every DPDK secondary does), and a broadcast that
 * starts while it is stopped (SIGSTOP) waits for its IGN until the
 * requester's timeout like for any silent secondary.
 */
export async function openMpObserver(options: MpObserverOptions): Promise<MpChannel> {
  const { onTrace, echoRequests = false } = options;
  if (typeof onTrace !== 'function') throw new TypeError('onTrace must be a function');
  const channel: MpChannel = await MpChannel.open({
    transport: options.transport,
    role: 'secondary',
    runtimeDir: options.runtimeDir,
    layout: options.layout,
    logger: options.logger,
    socketPath: options.socketPath,
    tap: onTrace,
    unhandled: answerEveryRequest(() => channel, echoRequests),
  });
  return channel;
}

/**
 * An `unhandled` hook that answers every REQ at once, so a requester never
 * waits for a timeout: with a REP of the same name and param when `echo`,
 * else with IGN (not counted). MSGs, and requests from unbound sockets, get
 * no answer. `channel` is read when a request arrives (the hook is made
 * before the channel it answers on).
 */
export function answerEveryRequest(channel: () => MpChannel, echo: boolean): MpUnhandledAction {
  return async (msg, peer, type) => {
    if (type !== 'REQ' || peer === '') return;
    if (echo) await channel().reply({ name: msg.name, param: msg.param, fds: [] }, peer);
    else await channel().ignore(msg.name, peer);
  };
}
