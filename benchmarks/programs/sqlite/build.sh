#!/bin/sh
# Builds sqlite.wasm (wasm32-wasi) from the SQLite amalgamation that the npm
# package better-sqlite3 ships (deps/sqlite3/sqlite3.c, SQLite 3.50.4 in
# 12.4.1), with zig's C compiler from PyPI (pip install ziglang).
#
#   sh benchmarks/programs/sqlite/build.sh        # PY=/path/to/python to choose
#
# The driver (driver.c) runs the SQL of a file or of standard input against
# an in-memory database. About 30 s on two cores.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
PY=${PY:-python3}
VERSION=${BETTER_SQLITE3_VERSION:-12.4.1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "better-sqlite3@$VERSION" >/dev/null)
tar xzf "$tmp"/better-sqlite3-*.tgz -C "$tmp" package/deps/sqlite3
src="$tmp/package/deps/sqlite3"
"$PY" -m ziglang cc --target=wasm32-wasi -O2 -s \
    -I "$src" \
    -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_WAL \
    -DSQLITE_OMIT_SHARED_CACHE -DSQLITE_DEFAULT_MEMSTATUS=0 \
    -D_WASI_EMULATED_MMAN -D_WASI_EMULATED_GETPID -D_WASI_EMULATED_SIGNAL \
    "$here/driver.c" "$src/sqlite3.c" \
    -lwasi-emulated-mman -lwasi-emulated-getpid -lwasi-emulated-signal \
    -o "$here/sqlite.wasm"
ls -l "$here/sqlite.wasm"
