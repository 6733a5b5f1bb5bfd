#include "unix_dgram.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "errors.h"

/* SCM_MAX_FD in the kernel: the most fds one SCM_RIGHTS message can carry. */
#define EAL_MAX_FDS 253
/* A flood of datagrams must not starve timers and other I/O: after this many
 * the callback returns and the level-triggered poll fires again. */
#define EAL_DRAIN_BATCH 64
/* Anything bigger is certainly a caller bug, not a DPDK datagram. */
#define EAL_MAX_RECEIVE_BUFFER (64u * 1024u * 1024u)

/*
 * One bound socket. Two owners must both let go before it is freed: the
 * JS wrapper object (its finalizer sets `finalized`) and the libuv poll
 * handle (its close callback sets `handle_closed`). Either may go first:
 * the wrapper can be collected once close() dropped the callback reference,
 * before libuv got round to the close callback.
 */
typedef struct {
  napi_env env;
  uv_poll_t poll;
  int fd;
  char *path;
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
} eal_dgram;

static void dgram_free(eal_dgram *d) {
  free(d->data);
  free(d->control);
  free(d->path);
  free(d);
}

static void dgram_cleanup_hook(void *arg);

static void on_poll_closed(uv_handle_t *handle) {
  eal_dgram *d = handle->data;
  d->handle_closed = true;
  /* After env teardown there is no env to talk to; Node drops refs itself. */
  if (!d->env_teardown) {
    napi_handle_scope scope;
    if (napi_open_handle_scope(d->env, &scope) == napi_ok) {
      if (d->on_event != NULL)
        napi_delete_reference(d->env, d->on_event);
      /* Destroyed here rather than in close(): close() may run inside a
       * callback that is still executing under this very async context. */
      if (d->async_context != NULL)
        napi_async_destroy(d->env, d->async_context);
      napi_close_handle_scope(d->env, scope);
    }
    d->on_event = NULL;
    d->async_context = NULL;
    if (d->hook_added)
      napi_remove_env_cleanup_hook(d->env, dgram_cleanup_hook, d);
    d->hook_added = false;
  }
  if (d->finalized)
    dgram_free(d);
}

/* Idempotent and free of JS calls, so teardown paths can use it too. */
static void dgram_shutdown(eal_dgram *d) {
  if (d->closing)
    return;
  d->closing = true;
  if (d->poll_initialized) {
    uv_poll_stop(&d->poll);
    uv_close((uv_handle_t *)&d->poll, on_poll_closed);
  } else {
    d->handle_closed = true;
  }
  /* uv_poll_stop already removed the fd from epoll, so closing it now cannot
   * confuse libuv even though the close callback runs later. */
  if (d->fd >= 0) {
    close(d->fd);
    d->fd = -1;
  }
}

static void dgram_cleanup_hook(void *arg) {
  eal_dgram *d = arg;
  d->env_teardown = true;
  d->hook_added = false;
  dgram_shutdown(d);
}

static void dgram_finalize(napi_env env, void *data, void *hint) {
  eal_dgram *d = data;
  (void)env;
  (void)hint;
  d->finalized = true;
  if (d->handle_closed)
    dgram_free(d);
}

/* A path starting with '@' names an abstract socket, as Linux tools print it. */
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

static napi_status peer_string(napi_env env, const struct sockaddr_un *addr,
                               socklen_t namelen, napi_value *out) {
  const size_t base = offsetof(struct sockaddr_un, sun_path);
  size_t n;
  if (namelen <= base)
    return napi_create_string_utf8(env, "", 0, out);
  n = namelen - base;
  if (n > sizeof addr->sun_path)
    n = sizeof addr->sun_path;
  if (addr->sun_path[0] == '\0') {
    char name[sizeof addr->sun_path + 1];
    name[0] = '@';
    memcpy(name + 1, addr->sun_path + 1, n - 1);
    return napi_create_string_utf8(env, name, n, out);
  }
  return napi_create_string_utf8(env, addr->sun_path,
                                 strnlen(addr->sun_path, n), out);
}

/*
 * Exceptions from JS listeners must not stay pending in the env (every later
 * N-API call would fail); hand them to Node's uncaught-exception machinery,
 * exactly like an EventEmitter listener throwing inside any Node callback.
 */
static void call_js(eal_dgram *d, size_t argc, napi_value *argv) {
  napi_env env = d->env;
  napi_value cb = NULL, recv, result;
  bool pending = false;
  if (d->on_event == NULL ||
      napi_get_reference_value(env, d->on_event, &cb) != napi_ok ||
      cb == NULL || napi_get_global(env, &recv) != napi_ok)
    return;
  /* napi_make_callback insists on an object receiver; the listener is an
   * arrow function, so `this` is irrelevant anyway. */
  napi_make_callback(env, d->async_context, recv, cb, argc, argv, &result);
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_value exception;
    if (napi_get_and_clear_last_exception(env, &exception) == napi_ok)
      napi_fatal_exception(env, exception);
  }
}

static void emit_error(eal_dgram *d, int err, const char *syscall) {
  napi_value argv[1];
  argv[0] = eal_errno_error(d->env, err, syscall, d->path);
  if (argv[0] != NULL)
    call_js(d, 1, argv);
}

static void close_fds(const int *fds, size_t n) {
  for (size_t i = 0; i < n; i++)
    close(fds[i]);
}

static bool set_uint(napi_env env, napi_value obj, const char *key,
                     uint32_t value) {
  napi_value v;
  return napi_create_uint32(env, value, &v) == napi_ok &&
         napi_set_named_property(env, obj, key, v) == napi_ok;
}

/* Returns false when the fds could not be handed to JS (the caller closes them). */
static bool deliver(eal_dgram *d, size_t size, int flags,
                    const struct sockaddr_un *name, socklen_t namelen,
                    const int *fds, size_t nfds, const struct ucred *cred) {
  napi_env env = d->env;
  napi_value argv[8];
  size_t copied = size < d->data_cap ? size : d->data_cap;
  void *unused;

  if (napi_get_null(env, &argv[0]) != napi_ok ||
      napi_create_buffer_copy(env, copied, d->data, &unused, &argv[1]) !=
          napi_ok ||
      napi_create_double(env, (double)size, &argv[2]) != napi_ok ||
      napi_get_boolean(env, (flags & MSG_TRUNC) != 0, &argv[3]) != napi_ok ||
      napi_get_boolean(env, (flags & MSG_CTRUNC) != 0, &argv[4]) != napi_ok ||
      peer_string(env, name, namelen, &argv[5]) != napi_ok ||
      napi_create_array_with_length(env, nfds, &argv[6]) != napi_ok)
    return false;
  for (size_t i = 0; i < nfds; i++) {
    napi_value fd;
    if (napi_create_int32(env, fds[i], &fd) != napi_ok ||
        napi_set_element(env, argv[6], (uint32_t)i, fd) != napi_ok)
      return false;
  }
  if (cred == NULL) {
    if (napi_get_null(env, &argv[7]) != napi_ok)
      return false;
  } else if (napi_create_object(env, &argv[7]) != napi_ok ||
             !set_uint(env, argv[7], "pid", (uint32_t)cred->pid) ||
             !set_uint(env, argv[7], "uid", cred->uid) ||
             !set_uint(env, argv[7], "gid", cred->gid)) {
    return false;
  }
  /* From here the fds belong to JS, whatever the listener does. */
  call_js(d, 8, argv);
  return true;
}

/* Returns true when another datagram may be waiting. */
static bool receive_one(eal_dgram *d) {
  struct sockaddr_un name;
  struct iovec iov = {.iov_base = d->data, .iov_len = d->data_cap};
  struct msghdr msg;
  struct cmsghdr *cmsg;
  struct ucred cred;
  bool have_cred = false;
  size_t nfds = 0, at = 0;
  int *fds = NULL;
  ssize_t n;
  napi_handle_scope scope;

  memset(&msg, 0, sizeof msg);
  memset(&name, 0, sizeof name);
  msg.msg_name = &name;
  msg.msg_namelen = sizeof name;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = d->control;
  msg.msg_controllen = d->control_cap;

  /* MSG_TRUNC makes the kernel return the real datagram size, not the copied
   * size; MSG_CMSG_CLOEXEC keeps received fds out of spawned children. */
  do {
    n = recvmsg(d->fd, &msg, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK)
      return false;
    /* Level-triggered polling would spin on a persistent error. */
    uv_poll_stop(&d->poll);
    emit_error(d, err, "recvmsg");
    return false;
  }

  for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET)
      continue;
    if (cmsg->cmsg_type == SCM_RIGHTS)
      nfds += (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    else if (cmsg->cmsg_type == SCM_CREDENTIALS &&
             cmsg->cmsg_len >= CMSG_LEN(sizeof cred)) {
      memcpy(&cred, CMSG_DATA(cmsg), sizeof cred);
      have_cred = true;
    }
  }
  if (nfds > 0)
    fds = malloc(nfds * sizeof(int));
  for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
      size_t k = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      if (fds != NULL)
        memcpy(fds + at, CMSG_DATA(cmsg), k * sizeof(int));
      else
        close_fds((const int *)(void *)CMSG_DATA(cmsg), k);
      at += k;
    }
  }
  if (nfds > 0 && fds == NULL) {
    emit_error(d, ENOMEM, "recvmsg");
    return true;
  }

  /* One scope per datagram: a long drain must not pile up handles. */
  if (napi_open_handle_scope(d->env, &scope) != napi_ok) {
    close_fds(fds, nfds);
    free(fds);
    return false;
  }
  if (!deliver(d, (size_t)n, msg.msg_flags, &name, msg.msg_namelen, fds, nfds,
               have_cred ? &cred : NULL))
    close_fds(fds, nfds);
  napi_close_handle_scope(d->env, scope);
  free(fds);
  return true;
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  eal_dgram *d = handle->data;
  napi_handle_scope scope;
  (void)events;
  if (d->closing || napi_open_handle_scope(d->env, &scope) != napi_ok)
    return;
  if (status < 0) {
    uv_poll_stop(&d->poll);
    emit_error(d, -status, "poll");
  } else {
    /* A listener may close the socket; re-check before every receive. */
    for (int i = 0; i < EAL_DRAIN_BATCH && !d->closing; i++)
      if (!receive_one(d))
        break;
  }
  napi_close_handle_scope(d->env, scope);
}

static eal_dgram *unwrap_handle(napi_env env, napi_value value) {
  void *data = NULL;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_object ||
      napi_unwrap(env, value, &data) != napi_ok || data == NULL) {
    eal_throw_type(env, "handle must be a socket handle from dgramBind()");
    return NULL;
  }
  return data;
}

/* Undo a half-built socket: the poll handle must go through uv_close. */
static void abandon(eal_dgram *d, bool wrapped) {
  if (!wrapped)
    d->finalized = true;
  dgram_shutdown(d);
  if (d->handle_closed && d->finalized)
    dgram_free(d);
}

/* dgramBind(path, receiveBufferSize, maxReceiveFds, onEvent) -> handle */
static napi_value dgram_bind(napi_env env, napi_callback_info info) {
  size_t argc = 4, len = 0;
  napi_value argv[4], obj, resource, resource_name, fd_value;
  napi_valuetype type;
  uint32_t buffer_size, max_fds;
  struct sockaddr_un addr;
  socklen_t addrlen;
  char *path;
  int fd, err, one = 1, rc;
  eal_dgram *d;
  uv_loop_t *loop = NULL;
  bool wrapped = false;

  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4)
    return eal_throw_type(env, "dgramBind(path, receiveBufferSize, "
                               "maxReceiveFds, onEvent) needs 4 arguments");
  if (!eal_arg_uint32(env, argv[1], "receiveBufferSize", &buffer_size) ||
      !eal_arg_uint32(env, argv[2], "maxReceiveFds", &max_fds))
    return NULL;
  if (buffer_size < 1 || buffer_size > EAL_MAX_RECEIVE_BUFFER)
    return eal_throw_range(env, "receiveBufferSize must be 1..67108864");
  if (max_fds > EAL_MAX_FDS)
    return eal_throw_range(env, "maxReceiveFds must be 0..253");
  if (napi_typeof(env, argv[3], &type) != napi_ok || type != napi_function)
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
  fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    eal_throw_errno(env, errno, "socket", NULL);
    free(path);
    return NULL;
  }
  /* Credentials on every datagram: DPDK peers never send them explicitly. */
  if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0 ||
      bind(fd, (const struct sockaddr *)&addr, addrlen) < 0) {
    err = errno;
    close(fd);
    eal_throw_errno(env, err, "bind", path);
    free(path);
    return NULL;
  }

  d = calloc(1, sizeof *d);
  if (d == NULL) {
    close(fd);
    free(path);
    napi_throw_error(env, NULL, "@eal-ts/sys: out of memory");
    return NULL;
  }
  d->env = env;
  d->fd = fd;
  d->path = path;
  d->data_cap = buffer_size;
  /* Room for the most fds we accept plus the credentials, so an ordinary
   * datagram never comes with MSG_CTRUNC. */
  d->control_cap = CMSG_SPACE(sizeof(int) * (max_fds > 0 ? max_fds : 1)) +
                   CMSG_SPACE(sizeof(struct ucred));
  d->data = malloc(d->data_cap);
  d->control = malloc(d->control_cap);
  if (d->data == NULL || d->control == NULL) {
    abandon(d, false);
    napi_throw_error(env, NULL, "@eal-ts/sys: out of memory");
    return NULL;
  }
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == NULL) {
    abandon(d, false);
    eal_throw_last(env);
    return NULL;
  }
  rc = uv_poll_init(loop, &d->poll, fd);
  if (rc < 0) {
    abandon(d, false);
    return eal_throw_errno(env, -rc, "uv_poll_init", NULL);
  }
  d->poll.data = d;
  d->poll_initialized = true;

  if (napi_create_object(env, &obj) != napi_ok ||
      napi_wrap(env, obj, d, dgram_finalize, NULL, NULL) != napi_ok) {
    abandon(d, false);
    eal_throw_last(env);
    return NULL;
  }
  wrapped = true;
  if (napi_create_reference(env, argv[3], 1, &d->on_event) != napi_ok ||
      napi_create_object(env, &resource) != napi_ok ||
      napi_create_string_utf8(env, "eal_sys.UnixDgramSocket", NAPI_AUTO_LENGTH,
                              &resource_name) != napi_ok ||
      napi_async_init(env, resource, resource_name, &d->async_context) !=
          napi_ok ||
      napi_create_int32(env, fd, &fd_value) != napi_ok ||
      napi_set_named_property(env, obj, "fd", fd_value) != napi_ok ||
      napi_add_env_cleanup_hook(env, dgram_cleanup_hook, d) != napi_ok) {
    abandon(d, wrapped);
    eal_throw_last(env);
    return NULL;
  }
  d->hook_added = true;
  rc = uv_poll_start(&d->poll, UV_READABLE, on_readable);
  if (rc < 0) {
    abandon(d, wrapped);
    return eal_throw_errno(env, -rc, "uv_poll_start", NULL);
  }
  return obj;
}

/* dgramSend(handle, path, data, fds): one sendmsg; errors are thrown. */
static napi_value dgram_send(napi_env env, napi_callback_info info) {
  size_t argc = 4, len = 0, data_len = 0;
  uint32_t nfds = 0;
  napi_value argv[4], result = NULL;
  napi_typedarray_type array_type;
  void *data = NULL;
  bool is_typed = false, is_array = false;
  int fds[EAL_MAX_FDS];
  union {
    struct cmsghdr align;
    unsigned char buf[CMSG_SPACE(sizeof(int) * EAL_MAX_FDS)];
  } control;
  struct sockaddr_un addr;
  socklen_t addrlen;
  struct iovec iov;
  struct msghdr msg;
  eal_dgram *d;
  char *path;
  ssize_t n;
  int err;

  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4)
    return eal_throw_type(env,
                          "dgramSend(handle, path, data, fds) needs 4 arguments");
  d = unwrap_handle(env, argv[0]);
  if (d == NULL)
    return NULL;
  if (napi_is_typedarray(env, argv[2], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[2], &array_type, &data_len, &data,
                               NULL, NULL) != napi_ok ||
      array_type != napi_uint8_array)
    return eal_throw_type(env, "data must be a Uint8Array");
  if (napi_is_array(env, argv[3], &is_array) != napi_ok || !is_array)
    return eal_throw_type(env, "fds must be an array of file descriptors");
  EAL_CALL(env, napi_get_array_length(env, argv[3], &nfds));
  if (nfds > EAL_MAX_FDS)
    return eal_throw_range(env, "at most 253 fds fit in one datagram");
  for (uint32_t i = 0; i < nfds; i++) {
    napi_value v;
    EAL_CALL(env, napi_get_element(env, argv[3], i, &v));
    if (!eal_arg_fd(env, v, "fds[i]", &fds[i]))
      return NULL;
  }
  path = eal_arg_string(env, argv[1], "path", &len);
  if (path == NULL)
    return NULL;

  if (d->closing || d->fd < 0) {
    eal_throw_errno(env, EBADF, "sendmsg", path);
    goto out;
  }
  err = build_addr(path, len, &addr, &addrlen);
  if (err != 0) {
    eal_throw_errno(env, err, "sendmsg", path);
    goto out;
  }

  memset(&msg, 0, sizeof msg);
  iov.iov_base = data;
  iov.iov_len = data_len;
  msg.msg_name = &addr;
  msg.msg_namelen = addrlen;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (nfds > 0) {
    struct cmsghdr *cmsg;
    memset(&control, 0, sizeof control);
    msg.msg_control = control.buf;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
  }
  /* The caller retries EAGAIN with timers; blocking here would stall the loop. */
  do {
    n = sendmsg(d->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    eal_throw_errno(env, errno, "sendmsg", path);
    goto out;
  }
  napi_get_undefined(env, &result);
out:
  free(path);
  return result;
}

/* dgramClose(handle): idempotent. */
static napi_value dgram_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  eal_dgram *d;
  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1)
    return eal_throw_type(env, "dgramClose(handle) needs a handle");
  d = unwrap_handle(env, argv[0]);
  if (d == NULL)
    return NULL;
  dgram_shutdown(d);
  /* Dropping the callback breaks the native -> JS cycle that kept the socket
   * object alive while it was open. */
  if (d->on_event != NULL) {
    napi_delete_reference(env, d->on_event);
    d->on_event = NULL;
  }
  EAL_CALL(env, napi_get_undefined(env, &result));
  return result;
}

/* dgramRef(handle, keepAlive) */
static napi_value dgram_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  napi_valuetype type;
  bool keep = true;
  eal_dgram *d;
  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2)
    return eal_throw_type(env, "dgramRef(handle, keepAlive) needs 2 arguments");
  d = unwrap_handle(env, argv[0]);
  if (d == NULL)
    return NULL;
  if (napi_typeof(env, argv[1], &type) != napi_ok || type != napi_boolean ||
      napi_get_value_bool(env, argv[1], &keep) != napi_ok)
    return eal_throw_type(env, "keepAlive must be a boolean");
  if (!d->closing) {
    if (keep)
      uv_ref((uv_handle_t *)&d->poll);
    else
      uv_unref((uv_handle_t *)&d->poll);
  }
  EAL_CALL(env, napi_get_undefined(env, &result));
  return result;
}

napi_value eal_unix_dgram_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"dgramBind", NULL, dgram_bind, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dgramSend", NULL, dgram_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dgramClose", NULL, dgram_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dgramRef", NULL, dgram_ref, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  EAL_CALL(env, napi_define_properties(env, exports,
                                       sizeof props / sizeof props[0], props));
  return exports;
}
