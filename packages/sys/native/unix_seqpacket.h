#ifndef EAL_SYS_UNIX_SEQPACKET_H
#define EAL_SYS_UNIX_SEQPACKET_H

#include <node_api.h>

#include "unix_socket.h"

/* seqClose and seqRef are eal_sock_close_fn and eal_sock_ref_fn with this
 * kind as data. */
extern const eal_sock_kind eal_seq_kind;

/* seqListen(path, backlog, onEvent) -> handle */
napi_value eal_seq_listen(napi_env env, napi_callback_info info);
/* seqConnect(path) -> fd */
napi_value eal_seq_connect(napi_env env, napi_callback_info info);
/* seqOpen(fd, receiveBufferSize, onEvent) -> handle */
napi_value eal_seq_open(napi_env env, napi_callback_info info);
/* seqSend(handle, data) */
napi_value eal_seq_send(napi_env env, napi_callback_info info);

#endif
