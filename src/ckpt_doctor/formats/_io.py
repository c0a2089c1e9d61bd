"""File access for the readers: local paths take the plain ``open``/``os`` path; URLs go through fsspec.

A path is a URL when it has a scheme other than ``file://`` (``s3://``, ``gs://``, ``https://``, ``memory://``,
any fsspec protocol); ``open_checkpoint`` reads a ``file://`` URL as the local path
it names. fsspec and its backends are the ``[remote]`` extra, imported on the first URL.

Remote reads are byte ranges, never whole files: ``RangeFile`` fetches exactly what is asked for (plus a small
read-ahead for headers), ``read_range`` splits a large range into pieces fetched concurrently through
``cat_ranges``, and ``prefetch`` fetches the heads of many files (the shards of a checkpoint) in one concurrent
batch. ``STATS`` counts the requests and bytes asked for, per process.
"""

from __future__ import annotations

import _thread
import io
import os

from ..errors import (
    CheckpointError,
    CorruptCheckpointError,
    MissingExtraError,
    MissingShardError,
    NotACheckpointError,
    PermissionDeniedError,
)

_PIECE = 8 << 20  # large remote ranges are fetched as concurrent pieces of this size
_READAHEAD = 16 << 10  # what a small remote read fetches at least (a header's length prefix, then its body)
HEAD_BYTES = 16 << 10  # what ``prefetch`` fetches of each file at first


class _Stats:
    def __init__(self):
        self.requests = 0
        self.bytes = 0
        self._lock = _thread.allocate_lock()

    def add(self, requests: int, nbytes: int) -> None:
        with self._lock:
            self.requests += requests
            self.bytes += nbytes

    def reset(self) -> None:
        with self._lock:
            self.requests = self.bytes = 0


STATS = _Stats()  # remote requests and bytes fetched by this process (local reads are not counted)
_heads: dict[str, bytes] = {}  # prefetched first bytes of remote files
_sizes: dict[str, int] = {}
_BLOCK = 4 << 20  # small tensor reads are served from aligned blocks of this size ...
_MAX_BLOCK_BYTES = 32 << 20  # ... kept up to this many bytes in all (oldest dropped first)
_blocks: dict[tuple[str, int], bytes] = {}
_small_reads: dict[str, int] = {}  # files a small coalescable read has been made from
_block_lock = _thread.allocate_lock()


def forget() -> None:
    """Drop what is known about remote files (heads, sizes, cached blocks): the next open sees the store as it is."""
    _heads.clear()
    _sizes.clear()
    _small_reads.clear()
    with _block_lock:
        _blocks.clear()


def is_url(path: str) -> bool:
    scheme, sep, _ = path.partition("://")
    return bool(sep) and scheme[:1].isalpha() and scheme.replace("+", "").replace(".", "").replace("-", "").isalnum() \
        and scheme != "file"


def local_path(path: str) -> str:
    """A ``file://`` URL as the local path it names (as fsspec reads it: ``file:///tmp/m.pt`` is ``/tmp/m.pt``);
    any other path as it is."""
    return path[len("file://"):] if path[:7].lower() == "file://" else path


def join(base: str, name: str) -> str:
    return f"{base.rstrip('/')}/{name}" if is_url(base) else os.path.join(base, name)


def dirname(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[0] if is_url(path) else os.path.dirname(path)


def basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1] if is_url(path) else os.path.basename(path)


def filesystem(url: str):
    """The fsspec filesystem for ``url`` and the path within it."""
    try:
        import fsspec
    except ImportError:
        raise MissingExtraError("reading URLs needs fsspec: pip install 'ckpt-doctor[remote]'", path=url) from None
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as e:
        raise MissingExtraError(f"no fsspec backend for this URL ({e}); pip install 'ckpt-doctor[remote]'",
                               path=url) from None


def _remote_error(e: Exception, url: str, tensor: str | None = None) -> CheckpointError:
    cause = e.__cause__  # fsspec's HTTP backend raises FileNotFoundError for any failed request, the reason chained
    status = getattr(cause, "status", None)
    if isinstance(e, FileNotFoundError) and cause is not None and status != 404:
        if status in (401, 403):
            return CheckpointError(f"the server refused access (HTTP {status} {getattr(cause, 'message', '')}): "
                                   "the URL needs credentials or a signed URL", path=url, tensor=tensor)
        said = f"HTTP {status} {getattr(cause, 'message', '')}".rstrip() if status else \
            f"{type(cause).__name__}: {cause}"
        return CheckpointError(f"cannot read from the store: {said}", path=url, tensor=tensor)
    if isinstance(e, FileNotFoundError):
        return MissingShardError("no such file in the store", path=url, tensor=tensor)
    anon = "FSSPEC_S3_ANON=true" if url.startswith("s3://") else "FSSPEC_GCS_TOKEN=anon" if url.startswith(
        ("gs://", "gcs://")) else None
    if type(e).__name__ == "NoCredentialsError" or isinstance(e, PermissionError):
        hint = (f"; a public bucket is read without credentials with {anon} in the environment (fsspec's "
                "configuration)") if anon and anon.split("=")[0] not in os.environ else ""
        what = "no credentials for the store were found" if type(e).__name__ == "NoCredentialsError" else \
            "the store refused access with these credentials"
        return CheckpointError(f"cannot read from the store: {type(e).__name__}: {e}: {what}{hint}", path=url,
                               tensor=tensor)
    return CheckpointError(f"cannot read from the store: {type(e).__name__}: {e}", path=url, tensor=tensor)


def exists(path: str) -> bool:
    if not is_url(path):
        return os.path.exists(path)
    if path in _sizes:
        return True
    fs, p = filesystem(path)
    try:
        return fs.exists(p)
    except Exception:  # a backend may raise anything for a malformed key; absence is the honest answer
        return False


def isfile(path: str) -> bool:
    if not is_url(path):
        return os.path.isfile(path)
    if path in _sizes:
        return True
    fs, p = filesystem(path)
    try:
        return fs.isfile(p)
    except Exception:
        return False


def isdir(path: str) -> bool:
    if not is_url(path):
        return os.path.isdir(path)
    fs, p = filesystem(path)
    try:
        return fs.isdir(p)
    except Exception:
        return False


def listdir(path: str) -> list[str]:
    """Names (not paths) in a directory; remote listings also learn each file's size."""
    if not is_url(path):
        return os.listdir(path)
    fs, p = filesystem(path)
    try:
        entries = fs.ls(p, detail=True)
    except Exception as e:
        raise _remote_error(e, path) from None
    names = []
    for entry in entries:
        name = entry["name"].rstrip("/").rsplit("/", 1)[-1]
        names.append(name)
        if entry.get("type") == "file" and entry.get("size") is not None:
            _sizes[join(path, name)] = int(entry["size"])
    return names


def getsize(path: str) -> int:
    if not is_url(path):
        return os.path.getsize(path)
    size = _sizes.get(path)
    if size is None:
        fs, p = filesystem(path)
        try:
            size = _sizes[path] = int(fs.size(p))
        except Exception as e:
            raise _remote_error(e, path) from None
    return size


def denied(path: str, tensor: str | None = None) -> PermissionDeniedError:
    """The error for a file this user may not read: a usage error, nothing known about the checkpoint."""
    return PermissionDeniedError("permission denied: this user may not read it (the file's permissions or a "
                                 "directory's on its path)", path=path, tensor=tensor)


def empty(path: str) -> NotACheckpointError:
    """The error for an empty file, whatever its format: it names no checkpoint (exit code 2), as any file that holds
    no checkpoint, not a damaged one."""
    return NotACheckpointError("the file is empty (0 bytes): whatever wrote it did not finish, or wrote nothing",
                               path=path)


def open_file(path: str):
    """A seekable binary file: ``open(path, "rb")`` for local paths, a ``RangeFile`` for URLs."""
    return open(path, "rb") if not is_url(path) else RangeFile(path)


def fsize(f) -> int:
    """The size of a file returned by ``open_file``."""
    return f.size if isinstance(f, RangeFile) else os.fstat(f.fileno()).st_size


def read_range(path: str, offset: int, length: int, *, tensor: str | None = None, crc=None, coalesce=False):
    """Bytes [offset, offset+length) of a remote file as a new buffer (large ranges as concurrent pieces).

    ``crc``: a function ``crc(data, previous) -> int``; then (buffer, checksum over the range) is returned,
    computed over the fetched pieces while they are copied (CRC32C wants immutable bytes).
    ``coalesce``: a small range is served from an aligned block of ``_BLOCK`` bytes fetched once and kept in a
    small cache, so reading many small neighbouring tensors costs one request per block, not one per tensor."""
    size = getsize(path)
    if offset < 0 or length < 0 or offset + length > size:
        raise CorruptCheckpointError(f"needs bytes [{offset}, {offset + length}) but the file has only {size} "
                                     "bytes: truncated or corrupt", path=path, tensor=tensor)
    head = _heads.get(path)
    if head is not None and offset + length <= len(head):
        piece = head[offset:offset + length]
        return (bytearray(piece), crc(piece, 0)) if crc else bytearray(piece)
    # The first small read of a file is fetched exactly (listing reads one value, e.g. TF's object graph);
    # from the second on, a reader is walking through tensors and blocks pay off.
    if coalesce and length <= _BLOCK // 4 and path not in _small_reads:
        _small_reads[path] = 1
        coalesce = False
    if coalesce and length and length <= _BLOCK // 4 and offset // _BLOCK == (offset + length - 1) // _BLOCK:
        index = offset // _BLOCK
        block = _block(path, index, size, tensor)
        piece = block[offset - index * _BLOCK:offset - index * _BLOCK + length]
        return (bytearray(piece), crc(piece, 0)) if crc else bytearray(piece)
    buf = bytearray(length)
    if not length:
        return (buf, 0) if crc else buf
    starts = list(range(offset, offset + length, _PIECE))
    ends = [min(s + _PIECE, offset + length) for s in starts]
    fs, p = filesystem(path)
    try:
        pieces = fs.cat_ranges([p] * len(starts), starts, ends, on_error="raise") if len(starts) > 1 else \
            [fs.cat_file(p, start=starts[0], end=ends[0])]
    except Exception as e:
        raise _remote_error(e, path, tensor) from None
    STATS.add(len(starts), sum(len(x) for x in pieces))
    pos = checksum = 0
    for piece, s, end in zip(pieces, starts, ends, strict=False):
        piece = _in_range(piece, s, end, size, path, tensor)
        buf[pos:pos + len(piece)] = piece
        pos += len(piece)
        if crc:
            checksum = crc(piece, checksum)
    return (buf, checksum) if crc else buf


def _in_range(data: bytes, start: int, end: int, size: int, path: str, tensor: str | None) -> bytes:
    """Bytes [start, end) of what the store sent for that range: a server that ignores byte ranges (python -m
    http.server, some static hosts) sends the whole object, which is cut here; anything else is an error."""
    if len(data) == end - start:
        return data
    if len(data) == size:
        return data[start:end]
    raise CorruptCheckpointError(f"the store returned {len(data)} bytes for a range of {end - start}"
                                 + (" (did the object change?)" if len(data) < end - start else ""),
                                 path=path, tensor=tensor)


def _block(path: str, index: int, size: int, tensor: str | None) -> bytes:
    key = (path, index)
    with _block_lock:  # one fetch per block, even when several threads want it at once
        block = _blocks.get(key)
        if block is None:
            start, end = index * _BLOCK, min((index + 1) * _BLOCK, size)
            fs, p = filesystem(path)
            try:
                block = fs.cat_file(p, start=start, end=end)
            except Exception as e:
                raise _remote_error(e, path, tensor) from None
            STATS.add(1, len(block))
            block = _in_range(block, start, end, size, path, tensor)
            _blocks[key] = block
            while sum(map(len, _blocks.values())) > _MAX_BLOCK_BYTES:
                _blocks.pop(next(iter(_blocks)))
        return block


def prefetch(paths, nbytes: int = HEAD_BYTES, need=None, limit: int = 100 << 20) -> None:
    """Fetch the first ``nbytes`` of many remote files in one concurrent batch (local paths: nothing to do).

    ``need(head) -> int``: how many bytes of a file's head are wanted in all (e.g. a header's declared length);
    files that need more (up to ``limit``) get their head completed in a second concurrent batch."""
    todo = [p for p in dict.fromkeys(paths) if is_url(p) and p not in _heads]
    for round_ in range(2):
        if not todo:
            return
        fs, _ = filesystem(todo[0])
        keys = [filesystem(p)[1] for p in todo]
        starts = [len(_heads.get(p, b"")) for p in todo]
        ends = [nbytes] * len(todo) if round_ == 0 else [min(need(_heads[p]), limit) for p in todo]
        results = fs.cat_ranges(keys, starts, ends, on_error="return")
        STATS.add(len(keys), sum(len(r) for r in results if isinstance(r, bytes)))
        for path, data, start, end in zip(todo, results, starts, ends, strict=False):
            if isinstance(data, bytes):
                _heads[path] = _heads.get(path, b"") + data
                if len(data) < end - start:  # the whole file: its size is known too
                    _sizes[path] = len(_heads[path])
        if need is None:
            return
        todo = [p for p in todo if p in _heads and p not in _sizes and need(_heads[p]) > len(_heads[p])]


class SeekableReader(io.RawIOBase):
    """A read-only, seekable raw file of ``_size`` bytes; subclasses implement ``readinto`` at ``_pos``."""

    _size = 0
    _pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos


class RangeFile(SeekableReader):
    """A read-only remote file whose reads are byte-range requests (no block cache beyond a small read-ahead)."""

    def __init__(self, url: str):
        self.url = url
        self.size = self._size = getsize(url)
        self._pos = 0
        self._buf, self._buf_start = b"", 0

    def readinto(self, b) -> int:
        n = max(0, min(len(b), self.size - self._pos))
        if not n:
            return 0
        lo = self._pos - self._buf_start
        if not (0 <= lo and lo + n <= len(self._buf)):
            head = _heads.get(self.url)
            if head is not None and self._pos + n <= len(head):
                self._buf, self._buf_start = head, 0
            else:
                want = max(n, _READAHEAD)
                self._buf = bytes(read_range(self.url, self._pos, min(want, self.size - self._pos)))
                self._buf_start = self._pos
                if self._pos == 0 and len(self._buf) <= _READAHEAD and self.url not in _heads:
                    _heads[self.url] = self._buf  # sniffing and parsing often open a small file twice
            lo = self._pos - self._buf_start
        memoryview(b)[:n] = self._buf[lo:lo + n]
        self._pos += n
        return n

    def read(self, n: int = -1) -> bytes:
        n = self.size - self._pos if n is None or n < 0 else n
        buf = bytearray(max(0, min(n, self.size - self._pos)))
        got = self.readinto(buf)
        return bytes(buf[:got])

    def readall(self) -> bytes:
        return self.read(-1)
