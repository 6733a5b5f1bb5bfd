export { SysError } from './errors.js';
export { diffChunks, fstatLiteSync, lockAndReadAtSync, readAtSync, writeAtAndUnlockSync, writeAtSync } from './file_io.js';
export type { FstatLite } from './file_io.js';
export type { SysErrorOptions } from './errors.js';
export { UnixDgramSocket } from './unix_dgram.js';
export type { Credentials, Datagram, UnixDgramSocketEvents, UnixDgramSocketOptions } from './unix_dgram.js';
export { LockTimeoutError, flock, flockHolder, setRecordLock, testRecordLock, tryFlockSync, trySetRecordLockSync } from './locks.js';
export type { ByteRange, LockHolderInfo, LockWaitOptions, RecordLockHolder, RecordLockType } from './locks.js';
export { UnixSeqpacketServer, UnixSeqpacketSocket } from './unix_seqpacket.js';
export type {
  SeqpacketMessage,
  SeqpacketSendOptions,
  UnixSeqpacketServerEvents,
  UnixSeqpacketServerOptions,
  UnixSeqpacketSocketEvents,
  UnixSeqpacketSocketOptions,
} from './unix_seqpacket.js';
export { closeFdsQuietly } from './unix_socket.js';
export { ReadableFd, isatty } from './readable_fd.js';
export type { ReadableFdEvents, ReadableFdOptions } from './readable_fd.js';
