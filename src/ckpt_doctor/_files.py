"""Writing files without ever leaving a half-written one behind: write to a temp file, fsync, rename."""

from __future__ import annotations

import os
import tempfile

from .errors import UsageError


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):  # a typo in a path is the user's to fix, not a directory to create
        raise UsageError(f"cannot write {path}: the directory {directory} does not exist", path=path)
    try:  # the temporary name's length does not depend on the output's (a legal name stays writable)
        fd, tmp = tempfile.mkstemp(prefix=".ckpt-doctor-", suffix=".tmp", dir=directory)
    except OSError as e:  # a read-only or full disk, permissions: the user's to fix, not a bug
        raise UsageError(f"cannot write {path}: {e.strerror or e}", path=path) from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would make the result private
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise UsageError(f"cannot write {path}: {e.strerror or e}", path=path) from None
        raise
