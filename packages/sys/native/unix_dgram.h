#ifndef EAL_SYS_UNIX_DGRAM_H
#define EAL_SYS_UNIX_DGRAM_H

#include <node_api.h>

#include "unix_socket.h"

/* dgramClose and dgramRef are eal_sock_close_fn and eal_sock_ref_fn with
 * this kind as data. */
extern const eal_sock_kind eal_dgram_kind;

/* dgramBind(path, receiveBufferSize, maxReceiveFds, onEvent) -> handle */
napi_value eal_dgram_bind(napi_env env, napi_callback_info info);
/* dgramSend(handle, path, data, fds) */
napi_value eal_dgram_send(napi_env env, napi_callback_info info);

#endif
