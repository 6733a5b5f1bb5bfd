#ifndef EAL_SYS_LOCKS_H
#define EAL_SYS_LOCKS_H

#include <node_api.h>

napi_value eal_locks_init(napi_env env, napi_value exports);

#endif
