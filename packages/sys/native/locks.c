#include "locks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "errors.h"

/*
 * Only non-blocking attempts live here (F_SETLK, flock with LOCK_NB): a
 * blocking F_SETLKW or flock waits inside a libuv threadpool thread for as
 * long as the holder keeps the lock, and four such waits stall every
 * fs.promises call of the process. Waiting is done in JS, by retrying with
 * backoff under a deadline and an AbortSignal (src/locks.ts).
 */
static bool arg_string_is(napi_env env, napi_value value, const char *name,
                          const char *const *choices, int n, int *out) {
  char buf[16];
  size_t len = 0;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) == napi_ok && type == napi_string &&
      napi_get_value_string_utf8(env, value, buf, sizeof buf, &len) == napi_ok) {
    for (int i = 0; i < n; i++) {
      if (strcmp(buf, choices[i]) == 0) {
        *out = i;
        return true;
      }
    }
  }
  {
    char message[128];
    snprintf(message, sizeof message, "%s must be one of: %s, %s%s%s", name,
             choices[0], choices[1], n > 2 ? ", " : "", n > 2 ? choices[2] : "");
    eal_throw_type(env, message);
  }
  return false;
}

static const char *const record_types[] = {"read", "write", "unlock"};
static const short record_codes[] = {F_RDLCK, F_WRLCK, F_UNLCK};
static const char *const flock_ops[] = {"shared", "exclusive", "unlock"};
static const int flock_codes[] = {LOCK_SH, LOCK_EX, LOCK_UN};

/* (fd, type, start, length) as used by every record-lock entry point; the
 * first argument is left to the caller because testRecordLock takes a path. */
static bool read_record_args(napi_env env, napi_value *argv, int ntypes,
                             struct flock *fl) {
  int type;
  int64_t start, len;
  if (!arg_string_is(env, argv[1], "type", record_types, ntypes, &type) ||
      !eal_arg_int64(env, argv[2], "start", 0, &start) ||
      !eal_arg_int64(env, argv[3], "length", 0, &len))
    return false;
  memset(fl, 0, sizeof *fl);
  fl->l_type = record_codes[type];
  fl->l_whence = SEEK_SET;
  fl->l_start = (off_t)start;
  fl->l_len = (off_t)len;
  return true;
}

static napi_value boolean(napi_env env, bool value) {
  napi_value result;
  EAL_CALL(env, napi_get_boolean(env, value, &result));
  return result;
}

/* recordLock(fd, 'read'|'write'|'unlock', start, length) -> boolean:
 * false when another process holds a conflicting lock. */
napi_value eal_record_lock(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  struct flock fl;
  int fd, rc;
  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4)
    return eal_throw_type(env,
                          "recordLock(fd, type, start, length) needs 4 arguments");
  if (!eal_arg_fd(env, argv[0], "fd", &fd) ||
      !read_record_args(env, argv, 3, &fl))
    return NULL;
  do {
    rc = fcntl(fd, F_SETLK, &fl);
  } while (rc < 0 && errno == EINTR);
  if (rc == 0)
    return boolean(env, true);
  if (errno == EAGAIN || errno == EACCES)
    return boolean(env, false);
  return eal_throw_errno(env, errno, "fcntl", NULL);
}

/* recordLockTest(fd | path, 'read'|'write', start, length) -> holder | null */
napi_value eal_record_lock_test(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result;
  napi_valuetype type;
  struct flock fl;
  char *path = NULL;
  int fd, rc, err;
  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4)
    return eal_throw_type(
        env, "recordLockTest(fdOrPath, type, start, length) needs 4 arguments");
  if (!read_record_args(env, argv, 2, &fl))
    return NULL;
  EAL_CALL(env, napi_typeof(env, argv[0], &type));
  if (type == napi_string) {
    path = eal_arg_string(env, argv[0], "path", NULL);
    if (path == NULL)
      return NULL;
    /* Caution for callers: closing this fd drops every POSIX lock this
     * process itself holds on the file (POSIX semantics). */
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      eal_throw_errno(env, errno, "open", path);
      free(path);
      return NULL;
    }
  } else if (!eal_arg_fd(env, argv[0], "fdOrPath", &fd)) {
    return NULL;
  }
  do {
    rc = fcntl(fd, F_GETLK, &fl);
  } while (rc < 0 && errno == EINTR);
  err = errno;
  if (path != NULL)
    close(fd);
  if (rc < 0) {
    eal_throw_errno(env, err, "fcntl", path);
    free(path);
    return NULL;
  }
  free(path);
  if (fl.l_type == F_UNLCK) {
    EAL_CALL(env, napi_get_null(env, &result));
    return result;
  }
  {
    napi_value type_v, pid_v, start_v, len_v;
    EAL_CALL(env, napi_create_string_utf8(env, fl.l_type == F_RDLCK ? "read" : "write",
                                          NAPI_AUTO_LENGTH, &type_v));
    EAL_CALL(env, napi_create_int32(env, fl.l_pid, &pid_v));
    EAL_CALL(env, napi_create_int64(env, (int64_t)fl.l_start, &start_v));
    EAL_CALL(env, napi_create_int64(env, (int64_t)fl.l_len, &len_v));
    EAL_CALL(env, napi_create_object(env, &result));
    EAL_CALL(env, napi_set_named_property(env, result, "type", type_v));
    EAL_CALL(env, napi_set_named_property(env, result, "pid", pid_v));
    EAL_CALL(env, napi_set_named_property(env, result, "start", start_v));
    EAL_CALL(env, napi_set_named_property(env, result, "length", len_v));
  }
  return result;
}

/* flockLock(fd, 'shared'|'exclusive'|'unlock') -> boolean (LOCK_NB):
 * false when another open file holds a conflicting lock. */
napi_value eal_flock_lock(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int fd, op, rc;
  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2)
    return eal_throw_type(env, "flockLock(fd, operation) needs 2 arguments");
  if (!eal_arg_fd(env, argv[0], "fd", &fd) ||
      !arg_string_is(env, argv[1], "operation", flock_ops, 3, &op))
    return NULL;
  do {
    rc = flock(fd, flock_codes[op] | (flock_codes[op] != LOCK_UN ? LOCK_NB : 0));
  } while (rc < 0 && errno == EINTR);
  if (rc == 0)
    return boolean(env, true);
  if (errno == EWOULDBLOCK)
    return boolean(env, false);
  return eal_throw_errno(env, errno, "flock", NULL);
}
