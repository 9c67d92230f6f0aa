"""The sandboxed filesystem behind WASI: a per-instance file descriptor
table (stdio at 0-2, pre-opened mounts from 3) and path resolution that
never leaves the directory a path is resolved against.

See :mod:`.fs` (the table and open files) and :mod:`.path` (resolution).
"""

from .fs import FileEntry, FSContext, SandboxError
from .path import walk, walk_parent

__all__ = ["FSContext", "FileEntry", "SandboxError", "walk", "walk_parent"]
