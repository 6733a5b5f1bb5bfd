// Argument checks run before anything reaches C: a wrong type is a TypeError,
// a value out of range a RangeError, and neither may ever crash the process.

/** SCM_MAX_FD: the most fds one SCM_RIGHTS message can carry. */
export const MAX_FDS_PER_DATAGRAM = 253;

function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
    case 'number':
    case 'bigint':
    case 'boolean':
      return `${typeof value} ${value}`;
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      return value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object';
  }
}

export function assertFd(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a file descriptor (a number), got ${describe(value)}`);
  if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
    throw new RangeError(`${name} must be a non-negative integer file descriptor, got ${String(value)}`);
  }
}

export function assertPath(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  if (value.length === 0) throw new TypeError(`${name} must not be empty`);
  if (value.includes('\0')) throw new TypeError(`${name} must not contain NUL characters`);
}

export function assertBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array or Buffer, got ${describe(value)}`);
}

export function assertFds(value: unknown, name: string): asserts value is readonly number[] {
  if (!Array.isArray(value)) throw new TypeError(`${name} must be an array of file descriptors, got ${describe(value)}`);
  if (value.length > MAX_FDS_PER_DATAGRAM) {
    throw new RangeError(`${name} has ${value.length} entries; at most ${MAX_FDS_PER_DATAGRAM} fit in one datagram`);
  }
  value.forEach((fd: unknown, i) => assertFd(fd, `${name}[${i}]`));
}

export function assertOneOf<T extends string>(value: unknown, choices: readonly T[], name: string): asserts value is T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new TypeError(`${name} must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describe(value)}`);
  }
}

export function optionalInteger(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${String(value)}`);
  }
  return value;
}

export function optionalBoolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
  return value;
}

export function optionalObject(value: unknown, name: string): Readonly<Record<string, unknown>> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object, got ${describe(value)}`);
  }
  return value as Readonly<Record<string, unknown>>;
}
