{
  # Warnings are errors only in eal-ts's own builds (scripts/install.cjs sets
  # EAL_TS_SYS_WERROR=1 there): a newer compiler must not fail a user's install.
  "variables": { "werror%": "<!(echo ${EAL_TS_SYS_WERROR:-0})" },
  "targets": [
    {
      "target_name": "eal_sys",
      "sources": [
        "native/eal_sys.c",
        "native/errors.c",
        "native/unix_dgram.c",
        "native/unix_seqpacket.c",
        "native/unix_socket.c",
        "native/locks.c",
        "native/file_io.c",
        "native/readable_fd.c"
      ],
      # MSG_CMSG_CLOEXEC, struct ucred and SCM_CREDENTIALS are GNU extensions.
      "defines": ["_GNU_SOURCE", "NAPI_VERSION=8"],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra"],
      "cflags!": ["-Wno-unused-parameter"],
      "conditions": [["werror==1", { "cflags_c": ["-Werror"] }]]
    }
  ]
}
