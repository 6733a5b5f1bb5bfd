#include "readable_fd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "unix_socket.h"

/*
 * A pipe, socket or terminal read from the event loop: a duplicate of the
 * caller's fd watched by a uv_poll handle, each read handed to JS as a
 * Buffer. What DPDK's cmdline does with read(2) on its fd, without Node's
 * stream layers between the kernel and the listener (issue 11: those cost a
 * scripted command 16-20 µs once the process had idled).
 */

const eal_sock_kind eal_rfd_kind = {
    "eal_sys.ReadableFd",
    "handle must be a readable fd handle from rfdOpen()",
    "rfd",
};

/* onEvent(null, Buffer) per read, onEvent(null, null) at end of file (then
 * polling stops). False when nothing more can be read now. */
static bool read_one(eal_sock *s) {
  napi_value argv[2];
  void *unused;
  ssize_t n;
  do {
    n = read(s->fd, s->data, s->data_cap);
  } while (n < 0 && errno == EINTR);
  if (!eal_sock_read_result(s, n, errno, "read") ||
      napi_get_null(s->env, &argv[0]) != napi_ok)
    return false;
  if (napi_create_buffer_copy(s->env, (size_t)n, s->data, &unused,
                              &argv[1]) != napi_ok)
    return false;
  eal_sock_call(s, 2, argv);
  /* A read shorter than the buffer took all there was: no second read(2)
   * just to hear EAGAIN. The poll is level-triggered, so anything that
   * arrives later is reported again. */
  return (size_t)n == s->data_cap;
}

/* isatty(fd) -> boolean: whether fd is a terminal (isatty(3)), without
 * loading node:tty and the stream modules behind it (issue 11: 1.6 MiB of
 * peak RSS for a process that reads a script). */
napi_value eal_isatty(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int fd;
  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1)
    return eal_throw_type(env, "isatty(fd) needs 1 argument");
  if (!eal_arg_fd(env, argv[0], "fd", &fd))
    return NULL;
  EAL_CALL(env, napi_get_boolean(env, isatty(fd) == 1, &result));
  return result;
}

/* rfdOpen(fd, bufferSize, onEvent) -> handle. Polls a close-on-exec
 * duplicate of fd, made non-blocking (a flag of the open file description,
 * which Node's own stdin sets too); the caller's fd stays open and its own.
 * A regular file or a directory cannot be polled: EPERM, nothing changed. */
napi_value eal_rfd_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  uint32_t buffer_size;
  struct stat st;
  int fd, dup_fd, flags;
  eal_sock *s;

  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3)
    return eal_throw_type(env, "rfdOpen(fd, bufferSize, onEvent) needs 3 arguments");
  if (!eal_arg_fd(env, argv[0], "fd", &fd) ||
      !eal_arg_uint32(env, argv[1], "bufferSize", &buffer_size))
    return NULL;
  if (buffer_size < 1 || buffer_size > EAL_SOCK_MAX_RECEIVE_BUFFER)
    return eal_throw_range(env, "bufferSize must be 1..67108864");
  if (!eal_arg_function(env, argv[2], "onEvent"))
    return NULL;
  if (fstat(fd, &st) != 0)
    return eal_throw_errno(env, errno, "fstat", NULL);
  if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
    return eal_throw_errno(env, EPERM, "poll", NULL);
  dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0)
    return eal_throw_errno(env, errno, "fcntl", NULL);
  flags = fcntl(dup_fd, F_GETFL);
  if (flags < 0 || ((flags & O_NONBLOCK) == 0 &&
                    fcntl(dup_fd, F_SETFL, flags | O_NONBLOCK) < 0)) {
    int err = errno;
    close(dup_fd);
    return eal_throw_errno(env, err, "fcntl", NULL);
  }
  s = eal_sock_new(env, &eal_rfd_kind, read_one, dup_fd, NULL, buffer_size, 0);
  if (s == NULL)
    return NULL;
  return eal_sock_start(env, s, argv[2]);
}
