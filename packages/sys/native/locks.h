#ifndef EAL_SYS_LOCKS_H
#define EAL_SYS_LOCKS_H

#include <node_api.h>

/* recordLock(fd, type, start, length), recordLockTest(fdOrPath, type, start,
 * length), flockLock(fd, operation): see locks.c. */
napi_value eal_record_lock(napi_env env, napi_callback_info info);
napi_value eal_record_lock_test(napi_env env, napi_callback_info info);
napi_value eal_flock_lock(napi_env env, napi_callback_info info);

#endif
