#ifndef EAL_SYS_READABLE_FD_H
#define EAL_SYS_READABLE_FD_H

#include <node_api.h>

#include "unix_socket.h"

/* rfdOpen(fd, bufferSize, onEvent): see readable_fd.c. rfdClose and rfdRef
 * are the shared close and ref functions with this kind as their data. */
extern const eal_sock_kind eal_rfd_kind;
napi_value eal_rfd_open(napi_env env, napi_callback_info info);
napi_value eal_isatty(napi_env env, napi_callback_info info);

#endif
