import { describe, expect, it } from 'vitest';
import { DevargsError, type Devargs, formatDevargs, parseDevargs } from '../src/index.js';
import { setup } from './helpers.js';

function fail(fn: () => unknown): DevargsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DevargsError);
    return err as DevargsError;
  }
  throw new Error('expected a DevargsError');
}

const legacy = (bus: string, name: string, args = ''): Devargs => ({
  form: 'legacy',
  bus,
  name,
  args,
  busArgs: '',
  className: null,
  classArgs: '',
  driver: null,
});

describe('devargs, DPDK examples (rte_devargs_parse)', () => {
  const { registry } = setup();

  it.each([
    { title: 'net_null0: no bus named, the vdev bus claims it', text: 'net_null0', bus: 'vdev', name: 'net_null0', args: undefined },
    { title: 'net_null0,size=64,copy=1: arguments after the name', text: 'net_null0,size=64,copy=1', bus: 'vdev', name: 'net_null0', args: 'size=64,copy=1' },
    { title: 'vdev:net_null0, — bus prefix, trailing comma, empty args (what DPDK sends on detach)', text: 'vdev:net_null0,', bus: 'vdev', name: 'net_null0', args: undefined },
    { title: 'pci:0000:00:03.0: bus prefix before a PCI address', text: 'pci:0000:00:03.0', bus: 'pci', name: '0000:00:03.0', args: undefined },
    { title: '0000:00:03.0,arg=1: "0000" is no bus, so the whole address is the name', text: '0000:00:03.0,arg=1', bus: 'pci', name: '0000:00:03.0', args: 'arg=1' },
    { title: '03:00.1: the bus normalizes the short PCI form to 0000:03:00.1', text: '03:00.1', bus: 'pci', name: '0000:03:00.1', args: undefined },
  ])('$title', ({ text, bus, name, args }) => {
    expect(parseDevargs(registry, text)).toEqual(legacy(bus, name, args));
  });

  it('layered bus=pci,addr=…/class=eth,…/driver=…: each layer kept, name from addr', () => {
    const da = parseDevargs(registry, 'bus=pci,addr=03:00.0/class=eth,mac=00:11:22:33:44:55/driver=net_toy_pci,rxq=2');
    expect(da).toEqual({
      form: 'layered',
      bus: 'pci',
      name: '0000:03:00.0',
      args: 'rxq=2',
      busArgs: 'addr=03:00.0',
      className: 'eth',
      classArgs: 'mac=00:11:22:33:44:55',
      driver: 'net_toy_pci',
    });
  });

  it('layered without class: bus=pci,addr=0000:00:03.0/driver=net_toy_pci', () => {
    const da = parseDevargs(registry, 'bus=pci,addr=0000:00:03.0/driver=net_toy_pci');
    expect(da.name).toBe('0000:00:03.0');
    expect(da.className).toBeNull();
    expect(da.driver).toBe('net_toy_pci');
  });

  it('layered vdev uses the name key, as DPDK does by default', () => {
    expect(parseDevargs(registry, 'bus=vdev,name=net_null0').name).toBe('net_null0');
  });

  it.each([
    { title: 'unknown bus in the layered form: EFAULT naming the bus', text: 'bus=foo,name=x', errno: -14, reason: 'unknown-bus', says: "unknown bus 'foo'" },
    { title: 'unknown bus prefix in the legacy form: the text is a name no bus claims, EFAULT', text: 'foo:bar', errno: -14, reason: 'no-bus', says: undefined },
    { title: 'no bus claims the name (an unknown vdev driver): EFAULT, as a DPDK 22.11 primary answers -14', text: 'net_nosuchdriver0', errno: -14, reason: 'no-bus', says: "'net_nosuchdriver0'" },
    { title: 'a bus prefix whose bus refuses the name says so: vdev:net_bogus0,', text: 'vdev:net_bogus0,', errno: undefined, reason: 'no-bus', says: "bus 'vdev' does not recognise 'net_bogus0'" },
  ])('$title', ({ text, errno, reason, says }) => {
    const err = fail(() => parseDevargs(registry, text));
    expect(err).toMatchObject({ code: 'EFAULT', reason, ...(errno === undefined ? {} : { errno }) });
    if (says !== undefined) expect(err.message).toContain(says);
  });

  it('a 64-byte name is refused (EINVAL, as DPDK: it must be shorter than 64)', () => {
    const name = 'net_null' + 'x'.repeat(56);
    expect(name).toHaveLength(64);
    const err = fail(() => parseDevargs(registry, name));
    expect(err).toMatchObject({ code: 'EINVAL', errno: -22, reason: 'name-too-long' });
    expect(parseDevargs(registry, name.slice(0, 63)).name).toHaveLength(63);
  });

  it('a 64-byte name in the layered form is E2BIG, as DPDK', () => {
    const err = fail(() => parseDevargs(registry, `bus=vdev,name=net_null${'x'.repeat(56)}`));
    expect(err).toMatchObject({ code: 'E2BIG', reason: 'name-too-long' });
  });

  it('128-byte devargs are refused with E2BIG where DPDK would cut them; 127 bytes pass', () => {
    const head = 'net_null0,';
    const long = head + 'k=' + 'v'.repeat(128 - head.length - 2);
    expect(Buffer.byteLength(long)).toBe(128);
    const err = fail(() => parseDevargs(registry, long));
    expect(err).toMatchObject({ code: 'E2BIG', errno: -7, reason: 'too-long' });
    expect(parseDevargs(registry, long.slice(0, 127)).args).toHaveLength(127 - head.length);
  });

  it('two layers of the same kind are a syntax error', () => {
    expect(fail(() => parseDevargs(registry, 'bus=pci,addr=00:01.0/bus=vdev')).reason).toBe('syntax');
  });

  it('a layered string without bus= names no device', () => {
    expect(fail(() => parseDevargs(registry, 'class=eth,mac=00:11:22:33:44:55')).code).toBe('EINVAL');
  });
});

describe('formatDevargs', () => {
  const { registry } = setup();

  it.each([
    ['net_null0,size=64,copy=1', 'vdev:net_null0,size=64,copy=1'],
    ['vdev:net_null0,', 'vdev:net_null0'],
    ['03:00.1', 'pci:0000:03:00.1'],
    ['bus=pci,addr=0000:00:03.0/class=eth/driver=net_toy_pci', 'bus=pci,addr=0000:00:03.0/class=eth/driver=net_toy_pci'],
  ])('%s is written as %s, which parses back to the same devargs', (text, formatted) => {
    const da = parseDevargs(registry, text);
    expect(formatDevargs(da)).toBe(formatted);
    expect(parseDevargs(registry, formatDevargs(da))).toEqual(da);
  });
});

describe('parseDevargs remembers its answers only while they hold', () => {
  it('answers again from scratch once a driver or a bus comes or goes', () => {
    const { registry, vdev, ring, pci } = setup();
    const first = parseDevargs(registry, 'net_ring0,size=1');
    expect(first).toEqual(legacy('vdev', 'net_ring0', 'size=1'));
    expect(parseDevargs(registry, 'net_ring0,size=1')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    // Without its driver the vdev bus no longer claims the name.
    vdev.unregisterDriver(ring);
    expect(fail(() => parseDevargs(registry, 'net_ring0,size=1')).code).toBe('EFAULT');
    vdev.registerDriver(ring);
    expect(parseDevargs(registry, 'net_ring0,size=1')).toEqual(first);
    // A bus gone: names only it claimed are refused.
    expect(parseDevargs(registry, '0000:00:01.0').bus).toBe('pci');
    registry.unregister(pci);
    expect(() => parseDevargs(registry, '0000:00:01.0')).toThrow(DevargsError);
  });

  it('never remembers a failure', () => {
    const { registry, vdev } = setup();
    expect(() => parseDevargs(registry, 'net_tap0')).toThrow(DevargsError);
    vdev.registerDriver({ name: 'net_tap', probe: () => Promise.resolve(), remove: () => Promise.resolve() });
    expect(parseDevargs(registry, 'net_tap0').name).toBe('net_tap0');
  });
});
