#include <node_api.h>

#include "locks.h"
#include "unix_dgram.h"
#include "unix_seqpacket.h"

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  if (eal_unix_dgram_init(env, exports) == NULL ||
      eal_locks_init(env, exports) == NULL ||
      eal_unix_seqpacket_init(env, exports) == NULL)
    return NULL;
  return exports;
}
