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

#include "errors.h"
#include "unix_socket.h"

/* AF_UNIX SOCK_DGRAM sockets bound to a path (DPDK's mp_socket), with fds as
 * SCM_RIGHTS and the sender's credentials on every datagram. */

/* SCM_MAX_FD in the kernel: the most fds one SCM_RIGHTS message can carry. */
#define EAL_MAX_FDS 253

const eal_sock_kind eal_dgram_kind = {
    "eal_sys.UnixDgramSocket",
    "handle must be a socket handle from dgramBind()",
    "dgram",
};

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
static bool deliver(eal_sock *d, size_t size, int flags,
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
  eal_sock_call(d, 8, argv);
  return true;
}

/* The reader of a datagram socket: onEvent(null, data, size, truncated,
 * controlTruncated, peer, fds, credentials) per datagram. */
static bool receive_one(eal_sock *d) {
  struct sockaddr_un name;
  struct iovec iov = {.iov_base = d->data, .iov_len = d->data_cap};
  struct msghdr msg;
  struct cmsghdr *cmsg;
  struct ucred cred;
  bool have_cred = false;
  size_t nfds = 0, at = 0;
  int *fds = NULL;
  ssize_t n;

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
    eal_sock_fail(d, err, "recvmsg");
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
    eal_sock_report(d, ENOMEM, "recvmsg");
    return true;
  }

  if (!deliver(d, (size_t)n, msg.msg_flags, &name, msg.msg_namelen, fds, nfds,
               have_cred ? &cred : NULL))
    close_fds(fds, nfds);
  free(fds);
  return true;
}

/* dgramBind(path, receiveBufferSize, maxReceiveFds, onEvent) -> handle */
napi_value eal_dgram_bind(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  uint32_t buffer_size, max_fds;
  struct sockaddr_un addr;
  socklen_t addrlen;
  char *path;
  int fd, one = 1;
  eal_sock *d;

  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4)
    return eal_throw_type(env, "dgramBind(path, receiveBufferSize, "
                               "maxReceiveFds, onEvent) needs 4 arguments");
  if (!eal_arg_uint32(env, argv[1], "receiveBufferSize", &buffer_size) ||
      !eal_arg_uint32(env, argv[2], "maxReceiveFds", &max_fds))
    return NULL;
  if (buffer_size < 1 || buffer_size > EAL_SOCK_MAX_RECEIVE_BUFFER)
    return eal_throw_range(env, "receiveBufferSize must be 1..67108864");
  if (max_fds > EAL_MAX_FDS)
    return eal_throw_range(env, "maxReceiveFds must be 0..253");
  fd = eal_sock_open(env, SOCK_DGRAM, "bind", argv[0], argv[3], &path, &addr,
                     &addrlen);
  /* Credentials on every datagram: DPDK peers never send them explicitly. */
  if (fd >= 0 &&
      (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0 ||
       bind(fd, (const struct sockaddr *)&addr, addrlen) < 0))
    fd = eal_sock_drop(env, fd, "bind", path);
  if (fd < 0) {
    free(path);
    return NULL;
  }
  /* Room for the most fds we accept plus the credentials, so an ordinary
   * datagram never comes with MSG_CTRUNC. The socket owns path from here. */
  d = eal_sock_new(env, &eal_dgram_kind, receive_one, fd, path, buffer_size,
                   CMSG_SPACE(sizeof(int) * (max_fds > 0 ? max_fds : 1)) +
                       CMSG_SPACE(sizeof(struct ucred)));
  if (d == NULL)
    return NULL;
  return eal_sock_start(env, d, argv[3]);
}

/* dgramSend(handle, path, data, fds): one sendmsg; errors are thrown. */
napi_value eal_dgram_send(napi_env env, napi_callback_info info) {
  size_t argc = 4, len = 0, data_len = 0;
  uint32_t nfds = 0;
  napi_value argv[4], result = NULL;
  void *data = NULL;
  bool is_array = false;
  int fds[EAL_MAX_FDS];
  union {
    struct cmsghdr align;
    unsigned char buf[CMSG_SPACE(sizeof(int) * EAL_MAX_FDS)];
  } control;
  struct sockaddr_un addr;
  socklen_t addrlen;
  struct iovec iov;
  struct msghdr msg;
  eal_sock *d;
  char *path;
  ssize_t n;
  int err;

  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4)
    return eal_throw_type(env,
                          "dgramSend(handle, path, data, fds) needs 4 arguments");
  d = eal_sock_unwrap(env, argv[0], &eal_dgram_kind);
  if (d == NULL || !eal_arg_bytes(env, argv[2], "data", &data, &data_len))
    return NULL;
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
  err = eal_sock_build_addr(path, len, &addr, &addrlen);
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
