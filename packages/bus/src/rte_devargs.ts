import { DevargsError, EalError } from './errors.js';
import type { Bus } from './rte_bus.js';
import { type Kvargs, parseKvargs, splitKvargsItems } from './rte_kvargs.js';

/** RTE_DEV_NAME_MAX_LEN: a device name is at most 63 bytes. */
export const RTE_DEV_NAME_MAX_LEN = 64;
/**
 * EAL_DEV_MP_DEV_ARGS_MAX_LEN: the hotplug message carries at most 127 bytes
 * of devargs. DPDK cuts longer text silently; we refuse it (E2BIG, the errno
 * DPDK uses for every other "does not fit in the message" case).
 */
export const DEVARGS_MAX_LEN = 128;

/**
 * A parsed device argument string (struct rte_devargs, minus the list links).
 *
 * - legacy form `[bus:]name[,args]`: `args` is everything after the name;
 * - layered form `bus=pci,addr=…/class=eth,…/driver=net_x,…`: `busArgs`,
 *   `classArgs` and `args` hold each layer after its leading `key=value`.
 */
export interface Devargs {
  readonly form: 'legacy' | 'layered';
  /** The bus that claims the device. */
  readonly bus: string;
  /** The device name as the bus normalizes it ('' when a layered bus layer names none). */
  readonly name: string;
  /** Arguments for the driver. */
  readonly args: string;
  readonly busArgs: string;
  readonly className: string | null;
  readonly classArgs: string;
  /** The driver a layered `driver=` layer names. */
  readonly driver: string | null;
}

/** What devargs parsing needs from the bus list (rte_bus_find and friends). */
export interface BusLookup {
  buses(): readonly Bus[];
  findByName(name: string): Bus | undefined;
  /**
   * Moves whenever the answer of parseDevargs may change (a bus or class
   * registered or unregistered; the buses' own driversGeneration covers
   * their drivers). A lookup that has it gets its parses remembered.
   */
  readonly generation?: number;
}

/** Remembered parses per bus list (issue 11: the same devargs are parsed several times per hotplug, in every process). */
interface ParseMemo {
  stamp: string;
  readonly parsed: Map<string, Devargs>;
}
const parseMemos = new WeakMap<BusLookup, ParseMemo>();
const PARSE_MEMO_SIZE = 64;

/** What parseDevargs' answer depends on, as one string; undefined when the lookup cannot tell. */
function parseStamp(registry: BusLookup): string | undefined {
  if (registry.generation === undefined) return undefined;
  let stamp = String(registry.generation);
  for (const bus of registry.buses()) stamp += `:${bus.driversGeneration}`;
  return stamp;
}

const LAYER_KEYS = ['bus', 'class', 'driver'] as const;
type LayerKey = (typeof LAYER_KEYS)[number];

/** One `/`-separated layer of the layered syntax. */
export interface DevargsLayer {
  readonly key: LayerKey | null;
  /** The value of the layer's first pair (`pci` in `bus=pci,addr=…`). */
  readonly value: string;
  /** The layer after its first pair. */
  readonly rest: string;
  readonly text: string;
}

/**
 * Splits at each '/' that starts a `bus=`, `class=` or `driver=` layer, the
 * way rte_devargs_layers_parse does, so a '/' inside a value stays put.
 */
export function splitDevargsLayers(text: string): DevargsLayer[] {
  const texts: string[] = [];
  let start = 0;
  for (let i = text.indexOf('/'); i >= 0; i = text.indexOf('/', i + 1)) {
    if (LAYER_KEYS.some((k) => text.startsWith(`${k}=`, i + 1))) {
      texts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  texts.push(text.slice(start));
  return texts.map((t) => {
    const items = splitKvargsItems(t);
    const first = items[0] ?? '';
    const eq = first.indexOf('=');
    const key = eq < 0 ? first : first.slice(0, eq);
    const comma = t.indexOf(first) + first.length;
    return {
      key: (LAYER_KEYS as readonly string[]).includes(key) && eq >= 0 ? (key as LayerKey) : null,
      value: eq < 0 ? '' : first.slice(eq + 1),
      rest: t.slice(comma + 1),
      text: t,
    };
  });
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function busNames(registry: BusLookup): string {
  const names = registry.buses().map((b) => b.name);
  return names.length > 0 ? names.join(', ') : '(none registered)';
}

/**
 * rte_bus_find_by_device_name: the first registered bus whose `parse`
 * claims the name (text after a ',' is ignored), with the name it normalizes to.
 */
export function findBusByDeviceName(registry: BusLookup, text: string): { bus: Bus; name: string } | undefined {
  const comma = text.indexOf(',');
  const name = comma < 0 ? text : text.slice(0, comma);
  for (const bus of registry.buses()) {
    const normalized = bus.parse(name);
    if (normalized !== undefined) return { bus, name: normalized };
  }
  return undefined;
}

function checkName(text: string, name: string, code: 'EINVAL' | 'E2BIG'): void {
  if (byteLength(name) >= RTE_DEV_NAME_MAX_LEN) {
    throw new DevargsError(
      code,
      'name-too-long',
      text,
      `device name '${name}' is ${byteLength(name)} bytes; it must be shorter than ${RTE_DEV_NAME_MAX_LEN}`,
    );
  }
}

/**
 * rte_devargs_parse. The layered form is tried first and used when it names
 * a bus or a class; otherwise the legacy form `[bus:]name[,args]`. A `bus:`
 * prefix counts only if that bus claims the name after it (so `0000:00:03.0`
 * stays a name, `0000` being no bus); without one, every registered bus is
 * asked in turn. Errors carry DPDK's errno: no bus claims the name → EFAULT
 * (what a DPDK 22.11 primary answers for an unknown vdev driver), unknown
 * `bus=` → EFAULT, name of 64 bytes or more → EINVAL (legacy) / E2BIG
 * (layered), more than 127 bytes of text → E2BIG (DPDK would truncate).
 */
export function parseDevargs(registry: BusLookup, text: string): Devargs {
  const stamp = parseStamp(registry);
  if (stamp === undefined) return parseDevargsNow(registry, text);
  let memo = parseMemos.get(registry);
  if (!memo || memo.stamp !== stamp) parseMemos.set(registry, (memo = { stamp, parsed: new Map() }));
  const known = memo.parsed.get(text);
  if (known) return known;
  // Only successes are kept: a failure is thrown again, from scratch, every time.
  const devargs = Object.freeze(parseDevargsNow(registry, text));
  if (memo.parsed.size >= PARSE_MEMO_SIZE) memo.parsed.clear();
  memo.parsed.set(text, devargs);
  return devargs;
}

function parseDevargsNow(registry: BusLookup, text: string): Devargs {
  if (byteLength(text) >= DEVARGS_MAX_LEN) {
    throw new DevargsError(
      'E2BIG',
      'too-long',
      text,
      `devargs '${text.slice(0, 40)}…' are ${byteLength(text)} bytes; at most ${DEVARGS_MAX_LEN - 1} fit in a hotplug message`,
    );
  }
  const layers = tryLayers(text);
  if (layers) return parseLayered(registry, text, layers);
  return parseLegacy(registry, text);
}

function tryLayers(text: string): DevargsLayer[] | undefined {
  const layers = splitDevargsLayers(text);
  if (!layers.some((l) => l.key === 'bus' || l.key === 'class')) return undefined;
  // DPDK falls back to the legacy form when a layer is not a valid kvargs list.
  try {
    for (const l of layers) parseKvargs(l.text);
  } catch {
    return undefined;
  }
  return layers;
}

function parseLegacy(registry: BusLookup, text: string): Devargs {
  let bus: Bus | undefined;
  let rest = text;
  let refusedBy: Bus | undefined;
  for (const candidate of registry.buses()) {
    const prefix = `${candidate.name}:`;
    if (!text.startsWith(prefix)) continue;
    const after = text.slice(prefix.length);
    const comma = after.indexOf(',');
    if (candidate.parse(comma < 0 ? after : after.slice(0, comma)) !== undefined) {
      bus = candidate;
      rest = after;
      break;
    }
    refusedBy = candidate;
  }
  const comma = rest.indexOf(',');
  const rawName = comma < 0 ? rest : rest.slice(0, comma);
  checkName(text, rawName, 'EINVAL');
  let name: string;
  if (bus) {
    name = bus.parse(rawName) ?? rawName;
  } else {
    const found = findBusByDeviceName(registry, rawName);
    if (!found) {
      const why = refusedBy
        ? `bus '${refusedBy.name}' does not recognise '${text.slice(refusedBy.name.length + 1).split(',')[0]}', and no bus claims '${rawName}'`
        : `no bus recognises device name '${rawName}' (buses: ${busNames(registry)})`;
      throw new DevargsError('EFAULT', 'no-bus', text, `cannot parse devargs '${text}': ${why}`);
    }
    bus = found.bus;
    name = found.name;
  }
  checkName(text, name, 'EINVAL');
  return {
    form: 'legacy',
    bus: bus.name,
    name,
    args: comma < 0 ? '' : rest.slice(comma + 1),
    busArgs: '',
    className: null,
    classArgs: '',
    driver: null,
  };
}

function parseLayered(registry: BusLookup, text: string, layers: DevargsLayer[]): Devargs {
  const seen = new Map<LayerKey, DevargsLayer>();
  for (const layer of layers) {
    if (layer.key === null) {
      throw new DevargsError('EINVAL', 'syntax', text, `devargs layer '${layer.text}' in '${text}' does not start with bus=, class= or driver=`);
    }
    if (seen.has(layer.key)) {
      throw new DevargsError('EINVAL', 'syntax', text, `devargs '${text}' have two '${layer.key}=' layers`);
    }
    seen.set(layer.key, layer);
  }
  const busLayer = seen.get('bus');
  if (!busLayer) {
    throw new DevargsError('EINVAL', 'syntax', text, `devargs '${text}' have no bus= layer, so they name no device`);
  }
  const bus = registry.findByName(busLayer.value);
  if (!bus) {
    throw new DevargsError('EFAULT', 'unknown-bus', text, `unknown bus '${busLayer.value}' in devargs '${text}' (buses: ${busNames(registry)})`);
  }
  let name: string;
  try {
    name = bus.layeredName(parseKvargs(busLayer.rest)) ?? '';
  } catch (err) {
    if (err instanceof DevargsError) throw err;
    const code = err instanceof EalError ? err.code : 'EINVAL';
    throw new DevargsError(code, 'syntax', text, `bus layer '${busLayer.text}': ${(err as Error).message}`, { cause: err });
  }
  checkName(text, name, 'E2BIG');
  const classLayer = seen.get('class');
  const driverLayer = seen.get('driver');
  return {
    form: 'layered',
    bus: bus.name,
    name,
    args: driverLayer?.rest ?? '',
    busArgs: busLayer.rest,
    className: classLayer?.value ?? null,
    classArgs: classLayer?.rest ?? '',
    driver: driverLayer?.value ?? null,
  };
}

/**
 * The text for devargs, such that parseDevargs(registry, formatDevargs(d))
 * equals d. The legacy form always carries its bus prefix, as DPDK's own
 * build_devargs does (`bus:name,args`).
 */
export function formatDevargs(devargs: Devargs): string {
  if (devargs.form === 'legacy') {
    const head = `${devargs.bus}:${devargs.name}`;
    return devargs.args === '' ? head : `${head},${devargs.args}`;
  }
  const layer = (key: string, value: string, rest: string): string => (rest === '' ? `${key}=${value}` : `${key}=${value},${rest}`);
  const parts = [layer('bus', devargs.bus, devargs.busArgs)];
  if (devargs.className !== null) parts.push(layer('class', devargs.className, devargs.classArgs));
  if (devargs.driver !== null) parts.push(layer('driver', devargs.driver, devargs.args));
  return parts.join('/');
}

/** The kvargs of a devargs' driver arguments, checked against `validKeys` when given. */
export function devargsKvargs(devargs: Devargs, validKeys?: readonly string[]): Kvargs {
  return parseKvargs(devargs.args, validKeys);
}
