#ifndef EAL_SYS_FILE_IO_H
#define EAL_SYS_FILE_IO_H

#include <node_api.h>

napi_value eal_read_at(napi_env env, napi_callback_info info);
napi_value eal_write_at(napi_env env, napi_callback_info info);
napi_value eal_diff_chunks(napi_env env, napi_callback_info info);
napi_value eal_locked_read_at(napi_env env, napi_callback_info info);
napi_value eal_write_at_unlock(napi_env env, napi_callback_info info);

/* The doubles fstatInto writes. */
#define FSTAT_INTO_FIELDS 8
napi_value eal_fstat_into(napi_env env, napi_callback_info info);

#endif
