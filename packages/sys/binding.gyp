{
  "targets": [
    {
      "target_name": "eal_sys",
      "sources": [
        "native/eal_sys.c",
        "native/errors.c",
        "native/unix_dgram.c",
        "native/unix_seqpacket.c",
        "native/unix_seqpacket_handle.c",
        "native/locks.c"
      ],
      # MSG_CMSG_CLOEXEC, struct ucred and SCM_CREDENTIALS are GNU extensions.
      "defines": ["_GNU_SOURCE", "NAPI_VERSION=8"],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra", "-Werror"],
      "cflags!": ["-Wno-unused-parameter"]
    }
  ]
}
