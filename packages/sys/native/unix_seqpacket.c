#include "unix_seqpacket.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "errors.h"

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

static void seq_free(eal_seq *s) {
  free(s->data);
  free(s);
}

static void seq_cleanup_hook(void *arg);

static void on_poll_closed(uv_handle_t *handle) {
  eal_seq *s = handle->data;
  s->handle_closed = true;
  if (!s->env_teardown) {
    napi_handle_scope scope;
    if (napi_open_handle_scope(s->env, &scope) == napi_ok) {
      if (s->on_event != NULL)
        napi_delete_reference(s->env, s->on_event);
      if (s->async_context != NULL)
        napi_async_destroy(s->env, s->async_context);
      napi_close_handle_scope(s->env, scope);
    }
    s->on_event = NULL;
    s->async_context = NULL;
    if (s->hook_added)
      napi_remove_env_cleanup_hook(s->env, seq_cleanup_hook, s);
    s->hook_added = false;
  }
  if (s->finalized)
    seq_free(s);
}

/* Idempotent and free of JS calls. */
static void seq_shutdown(eal_seq *s) {
  if (s->closing)
    return;
  s->closing = true;
  if (s->poll_initialized) {
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t *)&s->poll, on_poll_closed);
  } else {
    s->handle_closed = true;
  }
  if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
}

static void seq_cleanup_hook(void *arg) {
  eal_seq *s = arg;
  s->env_teardown = true;
  s->hook_added = false;
  seq_shutdown(s);
}

static void seq_finalize(napi_env env, void *data, void *hint) {
  eal_seq *s = data;
  (void)env;
  (void)hint;
  s->finalized = true;
  if (s->handle_closed)
    seq_free(s);
}

static int build_addr(const char *path, size_t len, struct sockaddr_un *addr,
                      socklen_t *addrlen) {
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (len == 0)
    return EINVAL;
  if (path[0] == '@') {
    if (len > sizeof addr->sun_path)
      return ENAMETOOLONG;
    memcpy(addr->sun_path + 1, path + 1, len - 1);
    *addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    return 0;
  }
  if (len >= sizeof addr->sun_path)
    return ENAMETOOLONG;
  memcpy(addr->sun_path, path, len + 1);
  *addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
  return 0;
}

/* Listener exceptions go to Node's uncaught-exception machinery. */
static void call_js(eal_seq *s, size_t argc, napi_value *argv) {
  napi_env env = s->env;
  napi_value cb = NULL, recv, result;
  bool pending = false;
  if (s->on_event == NULL ||
      napi_get_reference_value(env, s->on_event, &cb) != napi_ok ||
      cb == NULL || napi_get_global(env, &recv) != napi_ok)
    return;
  napi_make_callback(env, s->async_context, recv, cb, argc, argv, &result);
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_value exception;
    if (napi_get_and_clear_last_exception(env, &exception) == napi_ok)
      napi_fatal_exception(env, exception);
  }
}

/* Stops polling for good (level-triggered polls would spin) and reports. */
static void emit_error(eal_seq *s, int err, const char *syscall) {
  napi_value argv[1];
  uv_poll_stop(&s->poll);
  argv[0] = eal_errno_error(s->env, err, syscall, NULL);
  if (argv[0] != NULL)
    call_js(s, 1, argv);
}

/* Listener: onEvent(null, fd) per accepted connection. False when drained. */
static bool accept_one(eal_seq *s) {
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
    if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
      argv[0] = eal_errno_error(s->env, err, "accept4", NULL);
      if (argv[0] != NULL)
        call_js(s, 1, argv);
      return false;
    }
    emit_error(s, err, "accept4");
    return false;
  }
  if (napi_get_null(s->env, &argv[0]) != napi_ok ||
      napi_create_int32(s->env, fd, &argv[1]) != napi_ok) {
    close(fd);
    return false;
  }
  /* From here the fd belongs to JS. */
  call_js(s, 2, argv);
  return true;
}

/* Connection: onEvent(null, Buffer, size, truncated) per message and
 * onEvent(null, null) at end of stream. False when nothing more to read. */
static bool receive_one(eal_seq *s) {
  napi_value argv[4];
  void *unused;
  ssize_t n;
  size_t copied;
  do {
    n = recv(s->fd, s->data, s->data_cap, MSG_DONTWAIT | MSG_TRUNC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK)
      return false;
    emit_error(s, err, "recv");
    return false;
  }
  if (napi_get_null(s->env, &argv[0]) != napi_ok)
    return false;
  if (n == 0) {
    /* A zero-length read is the end of the stream (as DPDK reads it too). */
    uv_poll_stop(&s->poll);
    if (napi_get_null(s->env, &argv[1]) == napi_ok)
      call_js(s, 2, argv);
    return false;
  }
  copied = (size_t)n < s->data_cap ? (size_t)n : s->data_cap;
  if (napi_create_buffer_copy(s->env, copied, s->data, &unused, &argv[1]) !=
          napi_ok ||
      napi_create_double(s->env, (double)n, &argv[2]) != napi_ok ||
      napi_get_boolean(s->env, (size_t)n > s->data_cap, &argv[3]) != napi_ok)
    return false;
  call_js(s, 4, argv);
  return true;
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  eal_seq *s = handle->data;
  napi_handle_scope scope;
  (void)events;
  if (s->closing)
    return;
  if (status < 0) {
    if (napi_open_handle_scope(s->env, &scope) != napi_ok)
      return;
    emit_error(s, -status, "poll");
    napi_close_handle_scope(s->env, scope);
    return;
  }
  for (int i = 0; i < EAL_SEQ_DRAIN_BATCH && !s->closing; i++) {
    bool more;
    /* One scope per event: a long drain must not pile up handles. */
    if (napi_open_handle_scope(s->env, &scope) != napi_ok)
      return;
    more = s->listening ? accept_one(s) : receive_one(s);
    napi_close_handle_scope(s->env, scope);
    if (!more)
      break;
  }
}

static eal_seq *unwrap_handle(napi_env env, napi_value value) {
  void *data = NULL;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_object ||
      napi_unwrap(env, value, &data) != napi_ok || data == NULL) {
    eal_throw_type(env, "handle must be a seqpacket socket handle");
    return NULL;
  }
  return data;
}

static void abandon(eal_seq *s, bool wrapped) {
  if (!wrapped)
    s->finalized = true;
  seq_shutdown(s);
  if (s->handle_closed && s->finalized)
    seq_free(s);
}

/*
 * Takes ownership of `fd` whatever happens: on failure it is closed and an
 * exception is pending. Returns the JS handle object.
 */
static napi_value wrap_fd(napi_env env, int fd, bool listening,
                          uint32_t buffer_size, napi_value on_event) {
  napi_value obj, resource, resource_name, fd_value;
  uv_loop_t *loop = NULL;
  eal_seq *s;
  bool wrapped = false;
  int rc;

  s = calloc(1, sizeof *s);
  if (s == NULL) {
    close(fd);
    napi_throw_error(env, NULL, "@eal-ts/sys: out of memory");
    return NULL;
  }
  s->env = env;
  s->fd = fd;
  s->listening = listening;
  if (!listening) {
    s->data_cap = buffer_size;
    s->data = malloc(buffer_size);
    if (s->data == NULL) {
      abandon(s, false);
      napi_throw_error(env, NULL, "@eal-ts/sys: out of memory");
      return NULL;
    }
  }
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == NULL) {
    abandon(s, false);
    eal_throw_last(env);
    return NULL;
  }
  rc = uv_poll_init(loop, &s->poll, fd);
  if (rc < 0) {
    abandon(s, false);
    return eal_throw_errno(env, -rc, "uv_poll_init", NULL);
  }
  s->poll.data = s;
  s->poll_initialized = true;
  if (napi_create_object(env, &obj) != napi_ok ||
      napi_wrap(env, obj, s, seq_finalize, NULL, NULL) != napi_ok) {
    abandon(s, false);
    eal_throw_last(env);
    return NULL;
  }
  wrapped = true;
  if (napi_create_reference(env, on_event, 1, &s->on_event) != napi_ok ||
      napi_create_object(env, &resource) != napi_ok ||
      napi_create_string_utf8(env, "eal_sys.UnixSeqpacketSocket",
                              NAPI_AUTO_LENGTH, &resource_name) != napi_ok ||
      napi_async_init(env, resource, resource_name, &s->async_context) !=
          napi_ok ||
      napi_create_int32(env, fd, &fd_value) != napi_ok ||
      napi_set_named_property(env, obj, "fd", fd_value) != napi_ok ||
      napi_add_env_cleanup_hook(env, seq_cleanup_hook, s) != napi_ok) {
    abandon(s, wrapped);
    eal_throw_last(env);
    return NULL;
  }
  s->hook_added = true;
  rc = uv_poll_start(&s->poll, UV_READABLE, on_readable);
  if (rc < 0) {
    abandon(s, wrapped);
    return eal_throw_errno(env, -rc, "uv_poll_start", NULL);
  }
  return obj;
}

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
  err = build_addr(path, len, &addr, &addrlen);
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
  return wrap_fd(env, fd, true, 0, argv[2]);
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
  err = build_addr(path, len, &addr, &addrlen);
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
  return wrap_fd(env, fd, false, buffer_size, argv[2]);
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
  s = unwrap_handle(env, argv[0]);
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
  s = unwrap_handle(env, argv[0]);
  if (s == NULL)
    return NULL;
  seq_shutdown(s);
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
  s = unwrap_handle(env, argv[0]);
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
