#include "unix_seqpacket_handle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"

/* The socket handle's life cycle and its poll callbacks (events to JS). */

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
void eal_seq_shutdown(eal_seq *s) {
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
  eal_seq_shutdown(s);
}

static void seq_finalize(napi_env env, void *data, void *hint) {
  eal_seq *s = data;
  (void)env;
  (void)hint;
  s->finalized = true;
  if (s->handle_closed)
    seq_free(s);
}

int eal_seq_build_addr(const char *path, size_t len,
                       struct sockaddr_un *addr, socklen_t *addrlen) {
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

eal_seq *eal_seq_unwrap(napi_env env, napi_value value) {
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
  eal_seq_shutdown(s);
  if (s->handle_closed && s->finalized)
    seq_free(s);
}

/*
 * Takes ownership of `fd` whatever happens: on failure it is closed and an
 * exception is pending. Returns the JS handle object.
 */
napi_value eal_seq_wrap_fd(napi_env env, int fd, bool listening,
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
