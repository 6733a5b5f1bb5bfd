export { SysError } from './errors.js';
export type { SysErrorOptions } from './errors.js';
export { UnixDgramSocket } from './unix_dgram.js';
export type { Credentials, Datagram, UnixDgramSocketEvents, UnixDgramSocketOptions } from './unix_dgram.js';
export { flock, setRecordLock, testRecordLock } from './locks.js';
export type { ByteRange, RecordLockHolder, RecordLockType } from './locks.js';
