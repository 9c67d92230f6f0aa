"""The wasm signatures of the 46 WASI preview1 functions: name ->
(param names with types, result names), every result an i32 errno except
``proc_exit``'s none. Pointers and sizes are i32; offsets, rights,
timestamps and cookies i64."""

from __future__ import annotations

I32, I64 = "i32", "i64"
ERRNO = ("errno",)

SIGNATURES: dict[str, tuple[tuple[tuple[str, str], ...], tuple[str, ...]]] = {
    "args_get": ((("argv", I32), ("argv_buf", I32)), ERRNO),
    "args_sizes_get": ((("result.argc", I32), ("result.argv_len", I32)), ERRNO),
    "environ_get": ((("environ", I32), ("environ_buf", I32)), ERRNO),
    "environ_sizes_get": (
        (("result.environc", I32), ("result.environv_len", I32)),
        ERRNO,
    ),
    "clock_res_get": ((("id", I32), ("result.resolution", I32)), ERRNO),
    "clock_time_get": ((("id", I32), ("precision", I64), ("result.timestamp", I32)), ERRNO),
    "fd_advise": ((("fd", I32), ("offset", I64), ("len", I64), ("advice", I32)), ERRNO),
    "fd_allocate": ((("fd", I32), ("offset", I64), ("len", I64)), ERRNO),
    "fd_close": ((("fd", I32),), ERRNO),
    "fd_datasync": ((("fd", I32),), ERRNO),
    "fd_fdstat_get": ((("fd", I32), ("result.stat", I32)), ERRNO),
    "fd_fdstat_set_flags": ((("fd", I32), ("flags", I32)), ERRNO),
    "fd_fdstat_set_rights": (
        (("fd", I32), ("fs_rights_base", I64), ("fs_rights_inheriting", I64)),
        ERRNO,
    ),
    "fd_filestat_get": ((("fd", I32), ("result.buf", I32)), ERRNO),
    "fd_filestat_set_size": ((("fd", I32), ("size", I64)), ERRNO),
    "fd_filestat_set_times": (
        (("fd", I32), ("atim", I64), ("mtim", I64), ("fst_flags", I32)),
        ERRNO,
    ),
    "fd_pread": (
        (("fd", I32), ("iovs", I32), ("iovs_len", I32), ("offset", I64), ("result.nread", I32)),
        ERRNO,
    ),
    "fd_prestat_get": ((("fd", I32), ("result.prestat", I32)), ERRNO),
    "fd_prestat_dir_name": ((("fd", I32), ("path", I32), ("path_len", I32)), ERRNO),
    "fd_pwrite": (
        (("fd", I32), ("iovs", I32), ("iovs_len", I32), ("offset", I64), ("result.nwritten", I32)),
        ERRNO,
    ),
    "fd_read": ((("fd", I32), ("iovs", I32), ("iovs_len", I32), ("result.nread", I32)), ERRNO),
    "fd_readdir": (
        (("fd", I32), ("buf", I32), ("buf_len", I32), ("cookie", I64), ("result.bufused", I32)),
        ERRNO,
    ),
    "fd_renumber": ((("fd", I32), ("to", I32)), ERRNO),
    "fd_seek": (
        (("fd", I32), ("offset", I64), ("whence", I32), ("result.newoffset", I32)),
        ERRNO,
    ),
    "fd_sync": ((("fd", I32),), ERRNO),
    "fd_tell": ((("fd", I32), ("result.offset", I32)), ERRNO),
    "fd_write": (
        (("fd", I32), ("iovs", I32), ("iovs_len", I32), ("result.nwritten", I32)),
        ERRNO,
    ),
    "path_create_directory": ((("fd", I32), ("path", I32), ("path_len", I32)), ERRNO),
    "path_filestat_get": (
        (("fd", I32), ("flags", I32), ("path", I32), ("path_len", I32), ("result.buf", I32)),
        ERRNO,
    ),
    "path_filestat_set_times": (
        (
            ("fd", I32),
            ("flags", I32),
            ("path", I32),
            ("path_len", I32),
            ("atim", I64),
            ("mtim", I64),
            ("fst_flags", I32),
        ),
        ERRNO,
    ),
    "path_link": (
        (
            ("old_fd", I32),
            ("old_flags", I32),
            ("old_path", I32),
            ("old_path_len", I32),
            ("new_fd", I32),
            ("new_path", I32),
            ("new_path_len", I32),
        ),
        ERRNO,
    ),
    "path_open": (
        (
            ("fd", I32),
            ("dirflags", I32),
            ("path", I32),
            ("path_len", I32),
            ("oflags", I32),
            ("fs_rights_base", I64),
            ("fs_rights_inheriting", I64),
            ("fdflags", I32),
            ("result.opened_fd", I32),
        ),
        ERRNO,
    ),
    "path_readlink": (
        (
            ("fd", I32),
            ("path", I32),
            ("path_len", I32),
            ("buf", I32),
            ("buf_len", I32),
            ("result.bufused", I32),
        ),
        ERRNO,
    ),
    "path_remove_directory": ((("fd", I32), ("path", I32), ("path_len", I32)), ERRNO),
    "path_rename": (
        (
            ("fd", I32),
            ("old_path", I32),
            ("old_path_len", I32),
            ("new_fd", I32),
            ("new_path", I32),
            ("new_path_len", I32),
        ),
        ERRNO,
    ),
    "path_symlink": (
        (
            ("old_path", I32),
            ("old_path_len", I32),
            ("fd", I32),
            ("new_path", I32),
            ("new_path_len", I32),
        ),
        ERRNO,
    ),
    "path_unlink_file": ((("fd", I32), ("path", I32), ("path_len", I32)), ERRNO),
    "poll_oneoff": (
        (("in", I32), ("out", I32), ("nsubscriptions", I32), ("result.nevents", I32)),
        ERRNO,
    ),
    "proc_exit": ((("rval", I32),), ()),
    "proc_raise": ((("sig", I32),), ERRNO),
    "sched_yield": ((), ERRNO),
    "random_get": ((("buf", I32), ("buf_len", I32)), ERRNO),
    "sock_accept": ((("fd", I32), ("flags", I32), ("result.fd", I32)), ERRNO),
    "sock_recv": (
        (
            ("fd", I32),
            ("ri_data", I32),
            ("ri_data_len", I32),
            ("ri_flags", I32),
            ("result.ro_datalen", I32),
            ("result.ro_flags", I32),
        ),
        ERRNO,
    ),
    "sock_send": (
        (
            ("fd", I32),
            ("si_data", I32),
            ("si_data_len", I32),
            ("si_flags", I32),
            ("result.so_datalen", I32),
        ),
        ERRNO,
    ),
    "sock_shutdown": ((("fd", I32), ("how", I32)), ERRNO),
}

assert len(SIGNATURES) == 46
