#ifndef EAL_SYS_UNIX_SOCKET_H
#define EAL_SYS_UNIX_SOCKET_H

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <uv.h>

/*
 * What the datagram (unix_dgram.c) and the seqpacket (unix_seqpacket.c)
 * sockets share: a non-blocking AF_UNIX fd watched by a uv_poll handle,
 * wrapped in a JS object whose one listener hears every event, with the
 * life cycle, the listener calls and the close/ref functions that go with it.
 */

/* A flood of messages must not starve timers and other I/O: after this many
 * the callback returns and the level-triggered poll fires again. */
#define EAL_SOCK_DRAIN_BATCH 64
/* Anything bigger is certainly a caller bug, not a DPDK message. */
#define EAL_SOCK_MAX_RECEIVE_BUFFER (64u * 1024u * 1024u)

/* One family of handles, and what its N-API functions say about misuse. */
typedef struct {
  const char *resource_name; /* the async resource, as async_hooks show it */
  const char *bad_handle;    /* TypeError for anything else given as handle */
  const char *prefix;        /* of its functions' names: "dgram", "seq" */
} eal_sock_kind;

typedef struct eal_sock eal_sock;

/* Reads one event off the socket and hands it to the listener, inside a
 * handle scope of its own; true when another may be waiting. */
typedef bool (*eal_sock_reader)(eal_sock *s);

/*
 * One socket. Two owners must both let go before it is freed: the JS wrapper
 * object (its finalizer sets `finalized`) and the libuv poll handle (its
 * close callback sets `handle_closed`). Either may go first: the wrapper can
 * be collected once close() dropped the callback reference, before libuv got
 * round to the close callback.
 */
struct eal_sock {
  const eal_sock_kind *kind;
  eal_sock_reader read_one;
  napi_env env;
  uv_poll_t poll;
  int fd;
  char *path;     /* named by errors reported while receiving; may be NULL */
  bool listening; /* a SOCK_SEQPACKET listener: events are accepted fds */
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
  unsigned char *control;
  size_t control_cap;
};

/* A socket owning `fd` and `path` (malloc'd, or NULL), with buffers of
 * data_cap and control_cap bytes (0: none). NULL after throwing; fd and path
 * are released then too. */
eal_sock *eal_sock_new(napi_env env, const eal_sock_kind *kind,
                       eal_sock_reader read_one, int fd, char *path,
                       size_t data_cap, size_t control_cap);
/* Wraps `s` in a JS object carrying `fd` and starts polling; events go to
 * on_event. The object, or NULL after throwing (`s` is released then). */
napi_value eal_sock_start(napi_env env, eal_sock *s, napi_value on_event);
/* Closes the fd and the poll handle; idempotent, free of JS calls. */
void eal_sock_shutdown(eal_sock *s);
/* The socket behind a handle object of `kind`, or NULL after a TypeError. */
eal_sock *eal_sock_unwrap(napi_env env, napi_value value,
                          const eal_sock_kind *kind);

/* Calls the listener; an exception it throws goes to Node's
 * uncaught-exception machinery. */
void eal_sock_call(eal_sock *s, size_t argc, napi_value *argv);
/* Calls the listener with an errno error for `syscall` on s->path. */
void eal_sock_report(eal_sock *s, int err, const char *syscall);
/* Stops polling for good (a level-triggered poll would spin on a persistent
 * error), then reports. */
void eal_sock_fail(eal_sock *s, int err, const char *syscall);

/* What a reader does with a read(2)/recv(2) that returned `n` (`err` its
 * errno when n < 0): true when n > 0 and the caller delivers the bytes;
 * otherwise false, after reporting a failure (EAGAIN is none) or, for 0, the
 * end of the stream: polling stops (level-triggered, it would fire forever)
 * and the listener hears (null, null). */
bool eal_sock_read_result(eal_sock *s, ssize_t n, int err, const char *syscall);

/* A sockaddr_un for a path ('@name': abstract); 0 or an errno. */
int eal_sock_build_addr(const char *path, size_t len, struct sockaddr_un *addr,
                        socklen_t *addrlen);
/* The common part of bind, listen and connect: checks that on_event (unless
 * NULL) is a function, reads the path argument into *path (malloc'd, the
 * caller frees it), builds its address (an error there is thrown as `syscall`
 * on the path) and opens a non-blocking, close-on-exec AF_UNIX socket of
 * `type`. The fd, or -1 after throwing (*path is NULL then). */
int eal_sock_open(napi_env env, int type, const char *syscall,
                  napi_value path_value, napi_value on_event, char **path,
                  struct sockaddr_un *addr, socklen_t *addrlen);
/* After `syscall` failed on fd: closes it and throws errno; returns -1. */
int eal_sock_drop(napi_env env, int fd, const char *syscall, const char *path);

/* The close(handle) and ref(handle, keepAlive) functions of every kind; each
 * is registered with its eal_sock_kind as data (eal_sys.c). */
napi_value eal_sock_close_fn(napi_env env, napi_callback_info info);
napi_value eal_sock_ref_fn(napi_env env, napi_callback_info info);

#endif
