export { ERRNO, ERRNO_ALIASES, type ErrnoName, canonicalName, errnoOf, isErrnoName, nameOf, strerror } from './errno.js';
export { EalTsError, type EalTsErrorClass, type EalTsErrorOptions, errnoNameOf, messageOf } from './error.js';
export { runThenRelease } from './release.js';
