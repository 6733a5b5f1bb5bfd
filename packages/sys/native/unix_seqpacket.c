#include "unix_seqpacket.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "errors.h"
#include "unix_socket.h"

/*
 * AF_UNIX SOCK_SEQPACKET sockets (DPDK's telemetry socket type, which Node
 * lacks). One handle kind serves both roles: a listening socket reports
 * accepted connection fds, a connected socket reports whole messages and end
 * of stream.
 */

const eal_sock_kind eal_seq_kind = {
    "eal_sys.UnixSeqpacketSocket",
    "handle must be a seqpacket socket handle",
    "seq",
};

/* Listener: onEvent(null, fd) per accepted connection. False when drained. */
static bool accept_one(eal_sock *s) {
  napi_value argv[2];
  int fd;
  do {
    fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int err = errno;
    /* The peer may have gone between poll and accept: not our failure. */
    if (err == EAGAIN || err == EWOULDBLOCK || err == ECONNABORTED)
      return err == ECONNABORTED;
    /* Out of fds is transient for a server; report without stopping. */
    if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)
      eal_sock_report(s, err, "accept4");
    else
      eal_sock_fail(s, err, "accept4");
    return false;
  }
  if (napi_get_null(s->env, &argv[0]) != napi_ok ||
      napi_create_int32(s->env, fd, &argv[1]) != napi_ok) {
    close(fd);
    return false;
  }
  /* From here the fd belongs to JS. */
  eal_sock_call(s, 2, argv);
  return true;
}

/* Connection: onEvent(null, Buffer, size, truncated) per message and
 * onEvent(null, null) at end of stream. False when nothing more to read. */
static bool receive_one(eal_sock *s) {
  napi_value argv[4];
  void *unused;
  ssize_t n;
  size_t copied;
  do {
    n = recv(s->fd, s->data, s->data_cap, MSG_DONTWAIT | MSG_TRUNC);
  } while (n < 0 && errno == EINTR);
  /* A zero-length read is the end of the stream (as DPDK reads it too). */
  if (!eal_sock_read_result(s, n, errno, "recv") ||
      napi_get_null(s->env, &argv[0]) != napi_ok)
    return false;
  copied = (size_t)n < s->data_cap ? (size_t)n : s->data_cap;
  if (napi_create_buffer_copy(s->env, copied, s->data, &unused, &argv[1]) !=
          napi_ok ||
      napi_create_double(s->env, (double)n, &argv[2]) != napi_ok ||
      napi_get_boolean(s->env, (size_t)n > s->data_cap, &argv[3]) != napi_ok)
    return false;
  eal_sock_call(s, 4, argv);
  return true;
}

/* Takes ownership of `fd` whatever happens: on failure it is closed and an
 * exception is pending. Returns the JS handle object. */
static napi_value wrap_fd(napi_env env, int fd, bool listening,
                          uint32_t buffer_size, napi_value on_event) {
  eal_sock *s = eal_sock_new(env, &eal_seq_kind,
                             listening ? accept_one : receive_one, fd, NULL,
                             listening ? 0 : buffer_size, 0);
  if (s == NULL)
    return NULL;
  s->listening = listening;
  return eal_sock_start(env, s, on_event);
}

/* seqListen(path, backlog, onEvent) -> handle. Binds and listens; the path
 * must not exist (EADDRINUSE otherwise): stale-socket policy is the caller's. */
napi_value eal_seq_listen(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  struct sockaddr_un addr;
  socklen_t addrlen;
  uint32_t backlog;
  char *path;
  int fd;

  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3)
    return eal_throw_type(env,
                          "seqListen(path, backlog, onEvent) needs 3 arguments");
  if (!eal_arg_uint32(env, argv[1], "backlog", &backlog))
    return NULL;
  if (backlog < 1 || backlog > 4096)
    return eal_throw_range(env, "backlog must be 1..4096");
  fd = eal_sock_open(env, SOCK_SEQPACKET, "bind", argv[0], argv[2], &path,
                     &addr, &addrlen);
  if (fd >= 0 && bind(fd, (const struct sockaddr *)&addr, addrlen) < 0)
    fd = eal_sock_drop(env, fd, "bind", path);
  if (fd >= 0 && listen(fd, (int)backlog) < 0)
    fd = eal_sock_drop(env, fd, "listen", path);
  free(path);
  if (fd < 0)
    return NULL;
  return wrap_fd(env, fd, true, 0, argv[2]);
}

/* seqConnect(path) -> fd. Non-blocking: a listener with a full backlog gives
 * EAGAIN (AF_UNIX connects complete at once or not at all). */
napi_value eal_seq_connect(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  struct sockaddr_un addr;
  socklen_t addrlen;
  char *path;
  int fd, rc;

  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1)
    return eal_throw_type(env, "seqConnect(path) needs a path");
  fd = eal_sock_open(env, SOCK_SEQPACKET, "connect", argv[0], NULL, &path,
                     &addr, &addrlen);
  if (fd >= 0) {
    do {
      rc = connect(fd, (const struct sockaddr *)&addr, addrlen);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0)
      fd = eal_sock_drop(env, fd, "connect", path);
  }
  free(path);
  if (fd < 0)
    return NULL;
  if (napi_create_int32(env, fd, &result) != napi_ok) {
    close(fd);
    eal_throw_last(env);
    return NULL;
  }
  return result;
}

/* seqOpen(fd, receiveBufferSize, onEvent) -> handle; owns fd from the call on. */
napi_value eal_seq_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  uint32_t buffer_size;
  int fd;

  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3)
    return eal_throw_type(
        env, "seqOpen(fd, receiveBufferSize, onEvent) needs 3 arguments");
  if (!eal_arg_fd(env, argv[0], "fd", &fd))
    return NULL;
  if (!eal_arg_uint32(env, argv[1], "receiveBufferSize", &buffer_size) ||
      buffer_size < 1 || buffer_size > EAL_SOCK_MAX_RECEIVE_BUFFER) {
    close(fd);
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending)
      return NULL;
    return eal_throw_range(env, "receiveBufferSize must be 1..67108864");
  }
  if (!eal_arg_function(env, argv[2], "onEvent")) {
    close(fd);
    return NULL;
  }
  return wrap_fd(env, fd, false, buffer_size, argv[2]);
}

/* seqSend(handle, data): one message, never blocking; EAGAIN is thrown. */
napi_value eal_seq_send(napi_env env, napi_callback_info info) {
  size_t argc = 2, data_len = 0;
  napi_value argv[2], result;
  void *data = NULL;
  eal_sock *s;
  ssize_t n;

  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2)
    return eal_throw_type(env, "seqSend(handle, data) needs 2 arguments");
  s = eal_sock_unwrap(env, argv[0], &eal_seq_kind);
  if (s == NULL || !eal_arg_bytes(env, argv[1], "data", &data, &data_len))
    return NULL;
  if (s->closing || s->fd < 0 || s->listening)
    return eal_throw_errno(env, s->listening ? ENOTCONN : EBADF, "send", NULL);
  do {
    n = send(s->fd, data, data_len, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0)
    return eal_throw_errno(env, errno, "send", NULL);
  EAL_CALL(env, napi_get_undefined(env, &result));
  return result;
}
