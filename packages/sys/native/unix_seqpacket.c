#include "unix_seqpacket.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "errors.h"
#include "unix_seqpacket_handle.h"

/* The N-API functions of the seqpacket sockets; the handles themselves live
 * in unix_seqpacket_handle.c. */

static bool is_function(napi_env env, napi_value value) {
  napi_valuetype type;
  return napi_typeof(env, value, &type) == napi_ok && type == napi_function;
}

/* seqListen(path, backlog, onEvent) -> handle. Binds and listens; the path
 * must not exist (EADDRINUSE otherwise): stale-socket policy is the caller's. */
static napi_value seq_listen(napi_env env, napi_callback_info info) {
  size_t argc = 3, len = 0;
  napi_value argv[3];
  struct sockaddr_un addr;
  socklen_t addrlen;
  uint32_t backlog;
  char *path;
  int fd, err;

  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3)
    return eal_throw_type(env,
                          "seqListen(path, backlog, onEvent) needs 3 arguments");
  if (!eal_arg_uint32(env, argv[1], "backlog", &backlog))
    return NULL;
  if (backlog < 1 || backlog > 4096)
    return eal_throw_range(env, "backlog must be 1..4096");
  if (!is_function(env, argv[2]))
    return eal_throw_type(env, "onEvent must be a function");
  path = eal_arg_string(env, argv[0], "path", &len);
  if (path == NULL)
    return NULL;
  err = eal_seq_build_addr(path, len, &addr, &addrlen);
  if (err != 0) {
    eal_throw_errno(env, err, "bind", path);
    free(path);
    return NULL;
  }
  fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    eal_throw_errno(env, errno, "socket", NULL);
    free(path);
    return NULL;
  }
  if (bind(fd, (const struct sockaddr *)&addr, addrlen) < 0) {
    err = errno;
    close(fd);
    eal_throw_errno(env, err, "bind", path);
    free(path);
    return NULL;
  }
  if (listen(fd, (int)backlog) < 0) {
    err = errno;
    close(fd);
    eal_throw_errno(env, err, "listen", path);
    free(path);
    return NULL;
  }
  free(path);
  return eal_seq_wrap_fd(env, fd, true, 0, argv[2]);
}

/* seqConnect(path) -> fd. Non-blocking: a listener with a full backlog gives
 * EAGAIN (AF_UNIX connects complete at once or not at all). */
static napi_value seq_connect(napi_env env, napi_callback_info info) {
  size_t argc = 1, len = 0;
  napi_value argv[1], result;
  struct sockaddr_un addr;
  socklen_t addrlen;
  char *path;
  int fd, err, rc;

  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1)
    return eal_throw_type(env, "seqConnect(path) needs a path");
  path = eal_arg_string(env, argv[0], "path", &len);
  if (path == NULL)
    return NULL;
  err = eal_seq_build_addr(path, len, &addr, &addrlen);
  if (err != 0) {
    eal_throw_errno(env, err, "connect", path);
    free(path);
    return NULL;
  }
  fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    eal_throw_errno(env, errno, "socket", NULL);
    free(path);
    return NULL;
  }
  do {
    rc = connect(fd, (const struct sockaddr *)&addr, addrlen);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    err = errno;
    close(fd);
    eal_throw_errno(env, err, "connect", path);
    free(path);
    return NULL;
  }
  free(path);
  if (napi_create_int32(env, fd, &result) != napi_ok) {
    close(fd);
    eal_throw_last(env);
    return NULL;
  }
  return result;
}

/* seqOpen(fd, receiveBufferSize, onEvent) -> handle; owns fd from the call on. */
static napi_value seq_open(napi_env env, napi_callback_info info) {
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
      buffer_size < 1 || buffer_size > EAL_SEQ_MAX_RECEIVE_BUFFER) {
    close(fd);
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending)
      return NULL;
    return eal_throw_range(env, "receiveBufferSize must be 1..67108864");
  }
  if (!is_function(env, argv[2])) {
    close(fd);
    return eal_throw_type(env, "onEvent must be a function");
  }
  return eal_seq_wrap_fd(env, fd, false, buffer_size, argv[2]);
}

/* seqSend(handle, data): one message, never blocking; EAGAIN is thrown. */
static napi_value seq_send(napi_env env, napi_callback_info info) {
  size_t argc = 2, data_len = 0;
  napi_value argv[2], result;
  napi_typedarray_type array_type;
  void *data = NULL;
  bool is_typed = false;
  eal_seq *s;
  ssize_t n;

  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2)
    return eal_throw_type(env, "seqSend(handle, data) needs 2 arguments");
  s = eal_seq_unwrap(env, argv[0]);
  if (s == NULL)
    return NULL;
  if (napi_is_typedarray(env, argv[1], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[1], &array_type, &data_len, &data,
                               NULL, NULL) != napi_ok ||
      array_type != napi_uint8_array)
    return eal_throw_type(env, "data must be a Uint8Array");
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

/* seqClose(handle): idempotent. */
static napi_value seq_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  eal_seq *s;
  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1)
    return eal_throw_type(env, "seqClose(handle) needs a handle");
  s = eal_seq_unwrap(env, argv[0]);
  if (s == NULL)
    return NULL;
  eal_seq_shutdown(s);
  if (s->on_event != NULL) {
    napi_delete_reference(env, s->on_event);
    s->on_event = NULL;
  }
  EAL_CALL(env, napi_get_undefined(env, &result));
  return result;
}

/* seqRef(handle, keepAlive) */
static napi_value seq_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  napi_valuetype type;
  bool keep = true;
  eal_seq *s;
  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2)
    return eal_throw_type(env, "seqRef(handle, keepAlive) needs 2 arguments");
  s = eal_seq_unwrap(env, argv[0]);
  if (s == NULL)
    return NULL;
  if (napi_typeof(env, argv[1], &type) != napi_ok || type != napi_boolean ||
      napi_get_value_bool(env, argv[1], &keep) != napi_ok)
    return eal_throw_type(env, "keepAlive must be a boolean");
  if (!s->closing) {
    if (keep)
      uv_ref((uv_handle_t *)&s->poll);
    else
      uv_unref((uv_handle_t *)&s->poll);
  }
  EAL_CALL(env, napi_get_undefined(env, &result));
  return result;
}

napi_value eal_unix_seqpacket_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"seqListen", NULL, seq_listen, NULL, NULL, NULL, napi_enumerable, NULL},
      {"seqConnect", NULL, seq_connect, NULL, NULL, NULL, napi_enumerable,
       NULL},
      {"seqOpen", NULL, seq_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"seqSend", NULL, seq_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"seqClose", NULL, seq_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"seqRef", NULL, seq_ref, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  EAL_CALL(env, napi_define_properties(env, exports,
                                       sizeof props / sizeof props[0], props));
  return exports;
}
