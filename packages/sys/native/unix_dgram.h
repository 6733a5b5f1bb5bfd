#ifndef EAL_SYS_UNIX_DGRAM_H
#define EAL_SYS_UNIX_DGRAM_H

#include <node_api.h>

napi_value eal_unix_dgram_init(napi_env env, napi_value exports);

#endif
