/*
 * Positional reads and writes of small files that live in the page cache
 * (the runtime directory's port table), and a chunk-wise comparison of two
 * buffers: each is one N-API call where fs.readSync/writeSync and a loop of
 * Buffer.compare calls cost many (issue 11). Like those, they run on the
 * calling thread: callers use them only on page-cached files of a few KiB.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <stdio.h>
#include <unistd.h>

#include "errors.h"
#include "file_io.h"

static napi_value number(napi_env env, double value) {
  napi_value result;
  EAL_CALL(env, napi_create_double(env, value, &result));
  return result;
}

/* (fd, bytes, position) as readAt and writeAt take them. */
static int io_args(napi_env env, napi_callback_info info, int *fd, void **data,
                   size_t *len, int64_t *position) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    eal_throw_last(env);
    return 0;
  }
  if (argc < 3) {
    eal_throw_type(env, "needs 3 arguments: (fd, bytes, position)");
    return 0;
  }
  return eal_arg_fd(env, argv[0], "fd", fd) &&
         eal_arg_bytes(env, argv[1], "bytes", data, len) &&
         eal_arg_int64(env, argv[2], "position", 0, position);
}

/* pread or pwrite from `position` until `len` bytes are done, EINTR retried:
 * the count done, fewer only when a read reaches end of file; -1 with errno
 * set on failure (a write that makes no progress is EIO). */
static ssize_t transfer(int fd, char *data, size_t len, int64_t position,
                        int writing) {
  size_t done = 0;
  while (done < len) {
    off_t at = (off_t)(position + (int64_t)done);
    ssize_t n = writing ? pwrite(fd, data + done, len - done, at)
                        : pread(fd, data + done, len - done, at);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (n == 0) {
      if (!writing)
        break;
      errno = EIO;
      return -1;
    }
    done += (size_t)n;
  }
  return (ssize_t)done;
}

/* A transfer's result: the count done, or its failure thrown as `syscall`. */
static napi_value transfer_result(napi_env env, ssize_t done, int err,
                                  const char *syscall) {
  if (done < 0)
    return eal_throw_errno(env, err, syscall, NULL);
  return number(env, (double)done);
}

/* One non-blocking fcntl record lock (F_RDLCK, F_WRLCK or F_UNLCK) of the
 * whole file, EINTR retried: 0, or -1 with errno set. */
static int whole_file_lock(int fd, short type) {
  struct flock fl;
  int rc;
  memset(&fl, 0, sizeof fl);
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  do {
    rc = fcntl(fd, F_SETLK, &fl);
  } while (rc < 0 && errno == EINTR);
  return rc;
}

/* The end of a locked transfer: the whole file's lock is released, then the
 * transfer's result comes back, or its failure (which wins over a failed
 * release). */
static napi_value unlock_with_result(napi_env env, int fd, ssize_t done,
                                     int err, const char *syscall) {
  if (whole_file_lock(fd, F_UNLCK) < 0 && done >= 0)
    return eal_throw_errno(env, errno, "fcntl", NULL);
  return transfer_result(env, done, err, syscall);
}

/* readAt, writeAt and writeAtUnlock: (fd, bytes, position), then pread or
 * pwrite; with `unlock`, the whole file's record lock is released after. */
static napi_value positional(napi_env env, napi_callback_info info,
                             int writing, bool unlock) {
  int fd, err;
  void *data;
  size_t len;
  int64_t position;
  ssize_t done;
  const char *syscall = writing ? "pwrite" : "pread";
  if (!io_args(env, info, &fd, &data, &len, &position))
    return NULL;
  done = transfer(fd, data, len, position, writing);
  err = errno;
  if (unlock)
    return unlock_with_result(env, fd, done, err, syscall);
  return transfer_result(env, done, err, syscall);
}

static bool arg_bool(napi_env env, napi_value value, const char *name,
                     bool *out) {
  if (napi_get_value_bool(env, value, out) == napi_ok)
    return true;
  {
    char message[96];
    snprintf(message, sizeof message, "%s must be a boolean", name);
    eal_throw_type(env, message);
  }
  return false;
}

/* lockedReadAt(fd, exclusive, bytes, position, unlockAfter) -> bytes read,
 * or -1 when another process holds a conflicting lock (then nothing is read
 * and nothing is held). The read or write record lock of the whole file,
 * taken without waiting, then a pread as readAt does; with unlockAfter the
 * lock is released before returning. A failed read releases the lock too.
 * One call where recordLock, readAt (and recordLock again) were two or
 * three: on a process that has idled, each call into the addon costs
 * microseconds (issue 11). */
napi_value eal_locked_read_at(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  int fd, err;
  void *data;
  size_t len;
  int64_t position;
  bool exclusive, unlock_after;
  ssize_t done;
  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5)
    return eal_throw_type(env, "lockedReadAt(fd, exclusive, bytes, position, "
                               "unlockAfter) needs 5 arguments");
  if (!eal_arg_fd(env, argv[0], "fd", &fd) ||
      !arg_bool(env, argv[1], "exclusive", &exclusive) ||
      !eal_arg_bytes(env, argv[2], "bytes", &data, &len) ||
      !eal_arg_int64(env, argv[3], "position", 0, &position) ||
      !arg_bool(env, argv[4], "unlockAfter", &unlock_after))
    return NULL;
  if (whole_file_lock(fd, exclusive ? F_WRLCK : F_RDLCK) < 0) {
    if (errno == EAGAIN || errno == EACCES)
      return number(env, -1);
    return eal_throw_errno(env, errno, "fcntl", NULL);
  }
  done = transfer(fd, data, len, position, 0);
  err = errno;
  if (done < 0 || unlock_after)
    return unlock_with_result(env, fd, done, err, "pread");
  return number(env, (double)done);
}

/* writeAtUnlock(fd, bytes, position) -> bytes written: pwrite all of
 * `bytes` as writeAt does, then release the whole file's record lock,
 * whether the write succeeded or not; a failure is thrown after the
 * release (the write's own first). */
napi_value eal_write_at_unlock(napi_env env, napi_callback_info info) {
  return positional(env, info, 1, true);
}

/* readAt(fd, bytes, position) -> bytes read: pread until `bytes` is full or
 * end of file (fewer bytes then). */
napi_value eal_read_at(napi_env env, napi_callback_info info) {
  return positional(env, info, 0, false);
}

/* writeAt(fd, bytes, position) -> bytes written: pwrite until all of
 * `bytes` is written. */
napi_value eal_write_at(napi_env env, napi_callback_info info) {
  return positional(env, info, 1, false);
}

/* diffChunks(a, b, chunkSize) -> [index, ...]: the chunks (a's bytes cut in
 * chunkSize pieces, the last one possibly shorter) whose bytes differ from
 * b's at the same place; one that b does not cover whole differs. */
napi_value eal_diff_chunks(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  void *a, *b;
  size_t alen, blen;
  uint32_t chunk;
  uint32_t count = 0;
  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3)
    return eal_throw_type(env, "diffChunks(a, b, chunkSize) needs 3 arguments");
  if (!eal_arg_bytes(env, argv[0], "a", &a, &alen) ||
      !eal_arg_bytes(env, argv[1], "b", &b, &blen) ||
      !eal_arg_uint32(env, argv[2], "chunkSize", &chunk))
    return NULL;
  if (chunk == 0)
    return eal_throw_range(env, "chunkSize must be at least 1");
  EAL_CALL(env, napi_create_array(env, &result));
  for (size_t offset = 0, index = 0; offset < alen; offset += chunk, index++) {
    size_t size = alen - offset < chunk ? alen - offset : chunk;
    if (offset + size <= blen &&
        memcmp((const char *)a + offset, (const char *)b + offset, size) == 0)
      continue;
    EAL_CALL(env, napi_set_element(env, result, count++, number(env, (double)index)));
  }
  return result;
}

/* fstatInto(fd, out) -> undefined: fstat(2) of fd into out, a Float64Array
 * of at least FSTAT_INTO_FIELDS doubles: dev, ino, nlink, mode, mtime seconds,
 * mtime nanoseconds, ctime seconds, ctime nanoseconds. One call and no
 * object per stat, where fs.fstatSync builds a Stats (a BigIntStats for
 * nanoseconds) each time (issue 11: every broadcast fstats the runtime
 * directory it locks). */
napi_value eal_fstat_into(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_typedarray_type array_type;
  bool is_typed = false;
  size_t count = 0;
  void *data = NULL;
  int fd;
  struct stat st;
  double *out;
  EAL_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2)
    return eal_throw_type(env, "fstatInto(fd, out) needs 2 arguments");
  if (!eal_arg_fd(env, argv[0], "fd", &fd))
    return NULL;
  if (napi_is_typedarray(env, argv[1], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[1], &array_type, &count, &data, NULL,
                               NULL) != napi_ok ||
      array_type != napi_float64_array || count < FSTAT_INTO_FIELDS)
    return eal_throw_type(env, "out must be a Float64Array of at least 8 elements");
  if (fstat(fd, &st) != 0)
    return eal_throw_errno(env, errno, "fstat", NULL);
  out = data;
  out[0] = (double)st.st_dev;
  out[1] = (double)st.st_ino;
  out[2] = (double)st.st_nlink;
  out[3] = (double)st.st_mode;
  out[4] = (double)st.st_mtim.tv_sec;
  out[5] = (double)st.st_mtim.tv_nsec;
  out[6] = (double)st.st_ctim.tv_sec;
  out[7] = (double)st.st_ctim.tv_nsec;
  return NULL;
}
