"""Writing files without ever leaving a half-written one behind: write to a temp file, fsync, rename."""

from __future__ import annotations

import os
import re
import tempfile

from .errors import UsageError

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def local_output(path: str | os.PathLike) -> str:
    """An output path as a local one: a ``file://`` URL is the path it names; any other URL (``s3://``, ...) is
    refused, since outputs are written, verified and renamed into place on a local disk (without this, the URL
    would be taken for a relative path: a directory ``s3:`` in the working directory)."""
    path = os.fspath(path)
    if path[:7].lower() == "file://":
        return path[7:]
    if _URL.match(path):
        raise UsageError("outputs are written to a local path, not a URL (they are written under a temporary name, "
                         "read back and checked, then renamed into place): write locally and upload the result "
                         "(e.g. `aws s3 cp` or fsspec's put)", path=path)
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` (a manifest, rules, a spec, the TF state file), never over a binary file: one is a
    checkpoint far more often than not (`verify model.pt --manifest model.pt`), and these outputs are text."""
    path = local_output(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):  # a typo in a path is the user's to fix, not a directory to create
        raise UsageError(f"cannot write {path}: the directory {directory} does not exist", path=path)
    if _binary(path):
        raise UsageError(f"not writing {path}: it exists and is not a text file (a checkpoint?); this output is "
                         "text and replaces only a text file: name another file", path=path)
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


def _binary(path: str) -> bool:
    """Whether an existing file holds a NUL byte in its first 4 KiB (every checkpoint format does; text does not)."""
    try:
        with open(path, "rb") as f:
            return b"\0" in f.read(4096)
    except OSError:  # absent, a directory, unreadable: the write itself says what is wrong
        return False
