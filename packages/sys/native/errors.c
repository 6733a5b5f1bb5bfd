#include "errors.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int set_string(napi_env env, napi_value obj, const char *key,
                      const char *value) {
  napi_value v;
  return napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v) == napi_ok &&
         napi_set_named_property(env, obj, key, v) == napi_ok;
}

/* glibc's strerror_r (with _GNU_SOURCE) returns the text, possibly a static
 * string; musl's is the XSI one: it fills the buffer and returns 0. Both are
 * thread-safe (threadpool completions and the main thread may both build
 * errors); _Generic picks by the return type, without evaluating the call. */
__attribute__((unused)) static const char *gnu_text(const char *text, char *buffer) {
  (void)buffer;
  return text;
}
__attribute__((unused)) static const char *xsi_text(int result, char *buffer) {
  return result == 0 ? buffer : "Unknown error";
}
#define ERRNO_TEXT(err, buffer)                                                \
  _Generic(strerror_r((err), (buffer), sizeof(buffer)),                       \
      char *: gnu_text,                                                        \
      int: xsi_text)(strerror_r((err), (buffer), sizeof(buffer)), (buffer))

napi_value eal_errno_error(napi_env env, int err, const char *syscall,
                           const char *path) {
  char description[256];
  char message[512];
  napi_value msg, error, num;

  const char *text = ERRNO_TEXT(err, description);
  if (path != NULL)
    snprintf(message, sizeof message, "%s %s: %s", syscall, path, text);
  else
    snprintf(message, sizeof message, "%s: %s", syscall, text);

  if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg) != napi_ok ||
      napi_create_error(env, NULL, msg, &error) != napi_ok ||
      napi_create_int32(env, err, &num) != napi_ok ||
      napi_set_named_property(env, error, "errno", num) != napi_ok ||
      !set_string(env, error, "syscall", syscall) ||
      !set_string(env, error, "description", text) ||
      (path != NULL && !set_string(env, error, "path", path)))
    return NULL;
  return error;
}

void eal_throw_last(napi_env env) {
  bool pending = false;
  const napi_extended_error_info *info = NULL;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending)
    return;
  napi_get_last_error_info(env, &info);
  napi_throw_error(env, NULL,
                   info != NULL && info->error_message != NULL
                       ? info->error_message
                       : "@eal-ts/sys: internal N-API failure");
}

napi_value eal_throw_errno(napi_env env, int err, const char *syscall,
                           const char *path) {
  napi_value error = eal_errno_error(env, err, syscall, path);
  if (error == NULL || napi_throw(env, error) != napi_ok)
    eal_throw_last(env);
  return NULL;
}

napi_value eal_throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

napi_value eal_throw_range(napi_env env, const char *message) {
  napi_throw_range_error(env, NULL, message);
  return NULL;
}

static int is_number(napi_env env, napi_value value, const char *name,
                     double *out) {
  napi_valuetype type;
  char message[128];
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_number ||
      napi_get_value_double(env, value, out) != napi_ok) {
    snprintf(message, sizeof message, "%s must be a number", name);
    eal_throw_type(env, message);
    return 0;
  }
  if (!isfinite(*out) || floor(*out) != *out) {
    snprintf(message, sizeof message, "%s must be an integer", name);
    eal_throw_range(env, message);
    return 0;
  }
  return 1;
}

/* An integral number within min..max; otherwise a RangeError "<name> <limit>". */
static int arg_integer(napi_env env, napi_value value, const char *name,
                       double min, double max, const char *limit, double *out) {
  char message[128];
  if (!is_number(env, value, name, out))
    return 0;
  if (*out < min || *out > max) {
    snprintf(message, sizeof message, "%s %s", name, limit);
    eal_throw_range(env, message);
    return 0;
  }
  return 1;
}

int eal_arg_fd(napi_env env, napi_value value, const char *name, int *out) {
  double d;
  if (!arg_integer(env, value, name, 0, 2147483647.0,
                   "must be a non-negative int32", &d))
    return 0;
  *out = (int)d;
  return 1;
}

int eal_arg_int64(napi_env env, napi_value value, const char *name, int64_t min,
                  int64_t *out) {
  double d;
  /* 2^53: beyond it a JS number no longer names one exact offset. */
  if (!arg_integer(env, value, name, (double)min, 9007199254740991.0,
                   "is out of range", &d))
    return 0;
  *out = (int64_t)d;
  return 1;
}

int eal_arg_uint32(napi_env env, napi_value value, const char *name,
                   uint32_t *out) {
  double d;
  if (!arg_integer(env, value, name, 0, 4294967295.0, "must be a uint32", &d))
    return 0;
  *out = (uint32_t)d;
  return 1;
}

int eal_arg_function(napi_env env, napi_value value, const char *name) {
  napi_valuetype type;
  char message[128];
  if (napi_typeof(env, value, &type) == napi_ok && type == napi_function)
    return 1;
  snprintf(message, sizeof message, "%s must be a function", name);
  eal_throw_type(env, message);
  return 0;
}

int eal_arg_bytes(napi_env env, napi_value value, const char *name,
                  void **data, size_t *len) {
  napi_typedarray_type array_type;
  bool is_typed = false;
  char message[128];
  if (napi_is_typedarray(env, value, &is_typed) == napi_ok && is_typed &&
      napi_get_typedarray_info(env, value, &array_type, len, data, NULL,
                               NULL) == napi_ok &&
      array_type == napi_uint8_array)
    return 1;
  snprintf(message, sizeof message, "%s must be a Uint8Array", name);
  eal_throw_type(env, message);
  return 0;
}

char *eal_arg_string(napi_env env, napi_value value, const char *name,
                     size_t *len_out) {
  napi_valuetype type;
  size_t len = 0;
  char *buf;
  char message[128];
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_string) {
    snprintf(message, sizeof message, "%s must be a string", name);
    eal_throw_type(env, message);
    return NULL;
  }
  if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok) {
    eal_throw_last(env);
    return NULL;
  }
  buf = malloc(len + 1);
  if (buf == NULL) {
    napi_throw_error(env, NULL, "@eal-ts/sys: out of memory");
    return NULL;
  }
  if (napi_get_value_string_utf8(env, value, buf, len + 1, &len) != napi_ok) {
    free(buf);
    eal_throw_last(env);
    return NULL;
  }
  if (strlen(buf) != len) {
    free(buf);
    snprintf(message, sizeof message, "%s must not contain NUL characters",
             name);
    eal_throw_type(env, message);
    return NULL;
  }
  if (len_out != NULL)
    *len_out = len;
  return buf;
}
