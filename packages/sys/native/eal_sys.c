#include <node_api.h>

#include "errors.h"
#include "file_io.h"
#include "locks.h"
#include "readable_fd.h"
#include "unix_dgram.h"
#include "unix_seqpacket.h"

/* The whole N-API surface of the addon, in one table (src/addon.ts types it).
 * close and ref are shared by both socket kinds; their data names the kind. */
#define METHOD(name, fn, data)                                                 \
  { (name), NULL, (fn), NULL, NULL, NULL, napi_enumerable, (void *)(data) }

static const napi_property_descriptor methods[] = {
    METHOD("dgramBind", eal_dgram_bind, NULL),
    METHOD("dgramSend", eal_dgram_send, NULL),
    METHOD("dgramClose", eal_sock_close_fn, &eal_dgram_kind),
    METHOD("dgramRef", eal_sock_ref_fn, &eal_dgram_kind),
    METHOD("recordLock", eal_record_lock, NULL),
    METHOD("recordLockTest", eal_record_lock_test, NULL),
    METHOD("flockLock", eal_flock_lock, NULL),
    METHOD("readAt", eal_read_at, NULL),
    METHOD("writeAt", eal_write_at, NULL),
    METHOD("diffChunks", eal_diff_chunks, NULL),
    METHOD("lockedReadAt", eal_locked_read_at, NULL),
    METHOD("writeAtUnlock", eal_write_at_unlock, NULL),
    METHOD("fstatInto", eal_fstat_into, NULL),
    METHOD("seqListen", eal_seq_listen, NULL),
    METHOD("seqConnect", eal_seq_connect, NULL),
    METHOD("seqOpen", eal_seq_open, NULL),
    METHOD("seqSend", eal_seq_send, NULL),
    METHOD("seqClose", eal_sock_close_fn, &eal_seq_kind),
    METHOD("seqRef", eal_sock_ref_fn, &eal_seq_kind),
    METHOD("rfdOpen", eal_rfd_open, NULL),
    METHOD("isatty", eal_isatty, NULL),
    METHOD("rfdClose", eal_sock_close_fn, &eal_rfd_kind),
    METHOD("rfdRef", eal_sock_ref_fn, &eal_rfd_kind),
};

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  EAL_CALL(env, napi_define_properties(env, exports,
                                       sizeof methods / sizeof methods[0],
                                       methods));
  return exports;
}
