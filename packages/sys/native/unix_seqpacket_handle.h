#ifndef EAL_SYS_UNIX_SEQPACKET_HANDLE_H
#define EAL_SYS_UNIX_SEQPACKET_HANDLE_H

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <uv.h>

/*
 * AF_UNIX SOCK_SEQPACKET sockets (DPDK's telemetry socket type, which Node
 * lacks), driven by a uv_poll handle like the datagram socket. One handle
 * type serves both roles: a listening socket reports accepted connection fds,
 * a connected socket reports whole messages and end of stream.
 */

#define EAL_SEQ_DRAIN_BATCH 64
#define EAL_SEQ_MAX_RECEIVE_BUFFER (64u * 1024u * 1024u)

typedef struct {
  napi_env env;
  uv_poll_t poll;
  int fd;
  bool listening;
  bool poll_initialized;
  bool closing;
  bool handle_closed;
  bool finalized;
  bool env_teardown;
  bool hook_added;
  napi_ref on_event;
  napi_async_context async_context;
  unsigned char *data;
  size_t data_cap;
} eal_seq;

/* Closes the fd and the poll handle; idempotent, free of JS calls. */
void eal_seq_shutdown(eal_seq *s);
/* The socket behind a handle object, or NULL after throwing a TypeError. */
eal_seq *eal_seq_unwrap(napi_env env, napi_value value);
/* Takes ownership of `fd` whatever happens (closed on failure, with an
 * exception pending); returns the JS handle object. */
napi_value eal_seq_wrap_fd(napi_env env, int fd, bool listening,
                           uint32_t buffer_size, napi_value on_event);
/* A sockaddr_un for a path ('@name': abstract); 0 or an errno. */
int eal_seq_build_addr(const char *path, size_t len,
                       struct sockaddr_un *addr, socklen_t *addrlen);

#endif
