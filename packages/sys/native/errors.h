#ifndef EAL_SYS_ERRORS_H
#define EAL_SYS_ERRORS_H

#include <node_api.h>

/*
 * Native failures travel to TypeScript as plain Error objects carrying
 * `errno` (positive), `syscall`, `description` (strerror) and optionally
 * `path`; src/errors.ts turns them into SysError. Keeping the errno name
 * lookup on the JS side avoids a hand-written errno table in C.
 */
napi_value eal_errno_error(napi_env env, int err, const char *syscall,
                           const char *path);
/* Throws eal_errno_error(...); always returns NULL for `return eal_throw...`. */
napi_value eal_throw_errno(napi_env env, int err, const char *syscall,
                           const char *path);
napi_value eal_throw_type(napi_env env, const char *message);
napi_value eal_throw_range(napi_env env, const char *message);

/* Exceptions are already pending when a napi call fails; do not mask them. */
#define EAL_CALL(env, call)                                                    \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      eal_throw_last(env);                                                     \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

void eal_throw_last(napi_env env);

/* Argument readers: they throw a TypeError/RangeError and return 0 on bad input. */
int eal_arg_fd(napi_env env, napi_value value, const char *name, int *out);
int eal_arg_int64(napi_env env, napi_value value, const char *name, int64_t min,
                  int64_t *out);
int eal_arg_uint32(napi_env env, napi_value value, const char *name,
                   uint32_t *out);
/* A function, or 0 after a TypeError "<name> must be a function". */
int eal_arg_function(napi_env env, napi_value value, const char *name);
/* A Uint8Array's bytes (Buffers are ones), or 0 after a TypeError. */
int eal_arg_bytes(napi_env env, napi_value value, const char *name,
                  void **data, size_t *len);
/* Returns a malloc'd NUL-terminated copy, or NULL after throwing. */
char *eal_arg_string(napi_env env, napi_value value, const char *name,
                     size_t *len_out);

#endif
