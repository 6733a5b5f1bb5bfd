#include "unix_socket.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"

/* The socket handle's life cycle, its poll callback and the N-API functions
 * every kind of socket shares. */

static void sock_free(eal_sock *s) {
  free(s->data);
  free(s->control);
  free(s->path);
  free(s);
}

static void sock_cleanup_hook(void *arg);

static void on_poll_closed(uv_handle_t *handle) {
  eal_sock *s = handle->data;
  s->handle_closed = true;
  /* After env teardown there is no env to talk to; Node drops refs itself. */
  if (!s->env_teardown) {
    napi_handle_scope scope;
    if (napi_open_handle_scope(s->env, &scope) == napi_ok) {
      if (s->on_event != NULL)
        napi_delete_reference(s->env, s->on_event);
      /* Destroyed here rather than in close(): close() may run inside a
       * callback that is still executing under this very async context. */
      if (s->async_context != NULL)
        napi_async_destroy(s->env, s->async_context);
      napi_close_handle_scope(s->env, scope);
    }
    s->on_event = NULL;
    s->async_context = NULL;
    if (s->hook_added)
      napi_remove_env_cleanup_hook(s->env, sock_cleanup_hook, s);
    s->hook_added = false;
  }
  if (s->finalized)
    sock_free(s);
}

void eal_sock_shutdown(eal_sock *s) {
  if (s->closing)
    return;
  s->closing = true;
  if (s->poll_initialized) {
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t *)&s->poll, on_poll_closed);
  } else {
    s->handle_closed = true;
  }
  /* uv_poll_stop already removed the fd from epoll, so closing it now cannot
   * confuse libuv even though the close callback runs later. */
  if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
}

static void sock_cleanup_hook(void *arg) {
  eal_sock *s = arg;
  s->env_teardown = true;
  s->hook_added = false;
  eal_sock_shutdown(s);
}

static void sock_finalize(napi_env env, void *data, void *hint) {
  eal_sock *s = data;
  (void)env;
  (void)hint;
  s->finalized = true;
  if (s->handle_closed)
    sock_free(s);
}

/* Undo a half-built socket: the poll handle must go through uv_close. */
static void abandon(eal_sock *s, bool wrapped) {
  if (!wrapped)
    s->finalized = true;
  eal_sock_shutdown(s);
  if (s->handle_closed && s->finalized)
    sock_free(s);
}

/*
 * Exceptions from JS listeners must not stay pending in the env (every later
 * N-API call would fail); hand them to Node's uncaught-exception machinery,
 * exactly like an EventEmitter listener throwing inside any Node callback.
 */
void eal_sock_call(eal_sock *s, size_t argc, napi_value *argv) {
  napi_env env = s->env;
  napi_value cb = NULL, recv, result;
  bool pending = false;
  if (s->on_event == NULL ||
      napi_get_reference_value(env, s->on_event, &cb) != napi_ok ||
      cb == NULL || napi_get_global(env, &recv) != napi_ok)
    return;
  /* napi_make_callback insists on an object receiver; the listener is an
   * arrow function, so `this` is irrelevant anyway. */
  napi_make_callback(env, s->async_context, recv, cb, argc, argv, &result);
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_value exception;
    if (napi_get_and_clear_last_exception(env, &exception) == napi_ok)
      napi_fatal_exception(env, exception);
  }
}

void eal_sock_report(eal_sock *s, int err, const char *syscall) {
  napi_value argv[1];
  argv[0] = eal_errno_error(s->env, err, syscall, s->path);
  if (argv[0] != NULL)
    eal_sock_call(s, 1, argv);
}

void eal_sock_fail(eal_sock *s, int err, const char *syscall) {
  uv_poll_stop(&s->poll);
  eal_sock_report(s, err, syscall);
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  eal_sock *s = handle->data;
  napi_handle_scope scope;
  (void)events;
  if (s->closing)
    return;
  if (status < 0) {
    if (napi_open_handle_scope(s->env, &scope) != napi_ok)
      return;
    eal_sock_fail(s, -status, "poll");
    napi_close_handle_scope(s->env, scope);
    return;
  }
  /* A listener may close the socket; re-check before every read. */
  for (int i = 0; i < EAL_SOCK_DRAIN_BATCH && !s->closing; i++) {
    bool more;
    /* One scope per event: a long drain must not pile up handles. */
    if (napi_open_handle_scope(s->env, &scope) != napi_ok)
      return;
    more = s->read_one(s);
    napi_close_handle_scope(s->env, scope);
    if (!more)
      break;
  }
}

bool eal_sock_read_result(eal_sock *s, ssize_t n, int err, const char *syscall) {
  napi_value argv[2];
  if (n > 0)
    return true;
  if (n < 0) {
    if (err != EAGAIN && err != EWOULDBLOCK)
      eal_sock_fail(s, err, syscall);
    return false;
  }
  uv_poll_stop(&s->poll);
  if (napi_get_null(s->env, &argv[0]) == napi_ok &&
      napi_get_null(s->env, &argv[1]) == napi_ok)
    eal_sock_call(s, 2, argv);
  return false;
}

eal_sock *eal_sock_new(napi_env env, const eal_sock_kind *kind,
                       eal_sock_reader read_one, int fd, char *path,
                       size_t data_cap, size_t control_cap) {
  eal_sock *s = calloc(1, sizeof *s);
  if (s == NULL) {
    close(fd);
    free(path);
    napi_throw_error(env, NULL, "@eal-ts/sys: out of memory");
    return NULL;
  }
  s->kind = kind;
  s->read_one = read_one;
  s->env = env;
  s->fd = fd;
  s->path = path;
  s->data_cap = data_cap;
  s->control_cap = control_cap;
  if (data_cap > 0)
    s->data = malloc(data_cap);
  if (control_cap > 0)
    s->control = malloc(control_cap);
  if ((data_cap > 0 && s->data == NULL) ||
      (control_cap > 0 && s->control == NULL)) {
    abandon(s, false);
    napi_throw_error(env, NULL, "@eal-ts/sys: out of memory");
    return NULL;
  }
  return s;
}

napi_value eal_sock_start(napi_env env, eal_sock *s, napi_value on_event) {
  napi_value obj, resource, resource_name, fd_value;
  uv_loop_t *loop = NULL;
  int rc;

  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == NULL) {
    abandon(s, false);
    eal_throw_last(env);
    return NULL;
  }
  rc = uv_poll_init(loop, &s->poll, s->fd);
  if (rc < 0) {
    abandon(s, false);
    return eal_throw_errno(env, -rc, "uv_poll_init", NULL);
  }
  s->poll.data = s;
  s->poll_initialized = true;
  if (napi_create_object(env, &obj) != napi_ok ||
      napi_wrap(env, obj, s, sock_finalize, NULL, NULL) != napi_ok) {
    abandon(s, false);
    eal_throw_last(env);
    return NULL;
  }
  /* From here the wrapper's finalizer is the second owner. */
  if (napi_create_reference(env, on_event, 1, &s->on_event) != napi_ok ||
      napi_create_object(env, &resource) != napi_ok ||
      napi_create_string_utf8(env, s->kind->resource_name, NAPI_AUTO_LENGTH,
                              &resource_name) != napi_ok ||
      napi_async_init(env, resource, resource_name, &s->async_context) !=
          napi_ok ||
      napi_create_int32(env, s->fd, &fd_value) != napi_ok ||
      napi_set_named_property(env, obj, "fd", fd_value) != napi_ok ||
      napi_add_env_cleanup_hook(env, sock_cleanup_hook, s) != napi_ok) {
    abandon(s, true);
    eal_throw_last(env);
    return NULL;
  }
  s->hook_added = true;
  rc = uv_poll_start(&s->poll, UV_READABLE, on_readable);
  if (rc < 0) {
    abandon(s, true);
    return eal_throw_errno(env, -rc, "uv_poll_start", NULL);
  }
  return obj;
}

eal_sock *eal_sock_unwrap(napi_env env, napi_value value,
                          const eal_sock_kind *kind) {
  void *data = NULL;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_object ||
      napi_unwrap(env, value, &data) != napi_ok || data == NULL ||
      ((eal_sock *)data)->kind != kind) {
    eal_throw_type(env, kind->bad_handle);
    return NULL;
  }
  return data;
}

/* A path starting with '@' names an abstract socket, as Linux tools print it. */
int eal_sock_build_addr(const char *path, size_t len, struct sockaddr_un *addr,
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

int eal_sock_open(napi_env env, int type, const char *syscall,
                  napi_value path_value, napi_value on_event, char **path,
                  struct sockaddr_un *addr, socklen_t *addrlen) {
  size_t len = 0;
  int fd, err;
  *path = NULL;
  if (on_event != NULL && !eal_arg_function(env, on_event, "onEvent"))
    return -1;
  *path = eal_arg_string(env, path_value, "path", &len);
  if (*path == NULL)
    return -1;
  err = eal_sock_build_addr(*path, len, addr, addrlen);
  if (err != 0) {
    eal_throw_errno(env, err, syscall, *path);
  } else {
    fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0)
      return fd;
    eal_throw_errno(env, errno, "socket", NULL);
  }
  free(*path);
  *path = NULL;
  return -1;
}

int eal_sock_drop(napi_env env, int fd, const char *syscall, const char *path) {
  int err = errno;
  close(fd);
  eal_throw_errno(env, err, syscall, path);
  return -1;
}

/* The arguments of close(handle) and ref(handle, keepAlive): at least `argc`
 * of them (else a TypeError from `usage`, given the kind's prefix), the first
 * a handle of the kind registered as the function's data. */
static eal_sock *handle_args(napi_env env, napi_callback_info info,
                             size_t argc, napi_value *argv,
                             const char *usage) {
  size_t given = argc;
  void *data = NULL;
  const eal_sock_kind *kind;
  char message[96];
  if (napi_get_cb_info(env, info, &given, argv, NULL, &data) != napi_ok) {
    eal_throw_last(env);
    return NULL;
  }
  kind = data;
  if (given < argc) {
    snprintf(message, sizeof message, usage, kind->prefix);
    eal_throw_type(env, message);
    return NULL;
  }
  return eal_sock_unwrap(env, argv[0], kind);
}

/* close(handle): idempotent. */
napi_value eal_sock_close_fn(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  eal_sock *s = handle_args(env, info, 1, argv, "%sClose(handle) needs a handle");
  if (s == NULL)
    return NULL;
  eal_sock_shutdown(s);
  /* Dropping the callback breaks the native -> JS cycle that kept the socket
   * object alive while it was open. */
  if (s->on_event != NULL) {
    napi_delete_reference(env, s->on_event);
    s->on_event = NULL;
  }
  EAL_CALL(env, napi_get_undefined(env, &result));
  return result;
}

/* ref(handle, keepAlive) */
napi_value eal_sock_ref_fn(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  napi_valuetype type;
  bool keep = true;
  eal_sock *s = handle_args(env, info, 2, argv,
                            "%sRef(handle, keepAlive) needs 2 arguments");
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
