#ifndef EAL_SYS_UNIX_SEQPACKET_H
#define EAL_SYS_UNIX_SEQPACKET_H

#include <node_api.h>

napi_value eal_unix_seqpacket_init(napi_env env, napi_value exports);

#endif
