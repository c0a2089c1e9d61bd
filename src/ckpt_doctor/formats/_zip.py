"""Zip archives as checkpoint containers (PyTorch, ``.npz``, ``.keras``): member access without extracting.

Opening parses the central directory once (with ``zipfile``) and refuses what an attacker would use: member paths
that are absolute or climb out with ``..``, duplicate names, members that overlap or run past the end of the
archive, and zip bombs (a DEFLATED member declaring more output than deflate can produce from its input, or more
than ``max_member_bytes``). STORED members are read by offset, any byte range, without touching the rest;
DEFLATED members are inflated with the output bounded by the declared size and checked against the CRC-32.
"""

from __future__ import annotations

import collections
import functools
import io
import os
import re
import struct
import zlib
from dataclasses import dataclass

from ..errors import CheckpointError, ChecksumError, CorruptCheckpointError, TruncatedError, UnsupportedError
from . import _io

ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # local file header; end of central directory (empty archive)
_LOCAL_HEADER = struct.Struct("<4s5H3I2H")  # signature, version, flags, method, time, date, crc, csize, size, n, m
# Deflate cannot expand more than about 1032:1; anything claiming more is lying about its size.
_MAX_DEFLATE_RATIO = 1100
DEFAULT_MAX_MEMBER_BYTES = 32 << 30  # cap on what one compressed member may inflate to (option max_member_bytes)
_CHUNK = 8 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")
ZIP_STORED, ZIP_DEFLATED = 0, 8  # compression methods (zipfile is imported only to parse an archive)


@dataclass(frozen=True)
class Member:
    name: str
    method: int  # zipfile.ZIP_STORED, ZIP_DEFLATED, ...
    size: int  # uncompressed bytes
    compress_size: int
    header_offset: int
    crc: int
    encrypted: bool

    @property
    def stored(self) -> bool:
        return self.method == ZIP_STORED


def is_zip(path: str) -> bool:
    """True if ``path`` starts like a zip archive (four bytes read)."""
    return read_magic(path, 4) in ZIP_MAGICS


def read_magic(path: str, n: int) -> bytes:
    """The first ``n`` bytes of ``path`` (fewer if it is shorter; empty if it cannot be read)."""
    try:
        with _io.open_file(path) as f:
            return f.read(n)
    except (OSError, CheckpointError):
        return b""


def read_file_range(path: str, offset: int, length: int, *, tensor: str | None = None) -> bytearray:
    """Bytes [offset, offset+length) of ``path`` as a new buffer; a short file is a CorruptCheckpointError."""
    if _io.is_url(path):
        return _io.read_range(path, offset, length, tensor=tensor, coalesce=True)
    return _stream_range(path, offset, length, True, tensor)


def check_file_range(path: str, offset: int, length: int, *, tensor: str | None = None) -> None:
    """``read_file_range`` without keeping the bytes: they stream through one small buffer (the same errors)."""
    if _io.is_url(path):
        read_file_range(path, offset, length, tensor=tensor)
        return
    _stream_range(path, offset, length, False, tensor)


def _stream_range(path: str, offset: int, length: int, keep: bool, tensor: str | None) -> bytearray:
    """Bytes [offset, offset+length) of a local file, read a _CHUNK at a time (``keep``: into a buffer of them all,
    allocated once the file is known to hold them; else each chunk over the last, in a buffer of one chunk)."""
    try:
        f = open(path, "rb", buffering=0)
    except OSError as e:
        raise CheckpointError(f"cannot open: {e.strerror or e}", path=path, tensor=tensor) from None
    with f:
        end = os.fstat(f.fileno()).st_size
        if offset < 0 or length < 0 or offset + length > end:
            error = TruncatedError if offset >= 0 and length >= 0 else CorruptCheckpointError
            raise error(f"needs bytes [{offset}, {offset + length}) but the file has only {end} bytes: truncated or "
                        "corrupt", path=path, tensor=tensor)
        buf = bytearray(length if keep else min(_CHUNK, length))
        view = memoryview(buf)
        f.seek(offset)
        pos = 0
        while pos < length:
            n = f.readinto(view[pos:pos + _CHUNK] if keep else view[:min(_CHUNK, length - pos)])
            if not n:
                raise CorruptCheckpointError("unexpected end of file (did it shrink while being read?)", path=path,
                                             tensor=tensor)
            pos += n
    return buf


def open_archive(path: str, *, max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES) -> Archive:
    """Parse and check the zip at ``path`` (cached while the file is unchanged)."""
    try:
        st = os.stat(path)
    except OSError as e:
        raise CheckpointError(f"cannot open: {e.strerror or e}", path=path) from None
    return _open_cached(os.path.abspath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, max_member_bytes)


@functools.lru_cache(maxsize=16)
def _open_cached(path: str, _dev: int, _ino: int, size: int, _mtime: int, max_member_bytes: int) -> Archive:
    return Archive(path, size, max_member_bytes)


class Archive:
    """A checked zip archive: its members by name, and safe reads of them."""

    def __init__(self, path: str, size: int, max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES):
        self.path = path
        self.size = size
        self.max_member_bytes = max_member_bytes
        self.members: dict[str, Member] = {}
        self._data_offsets: dict[str, int] = {}
        # How often each member's CRC-32 has passed (read whole or checked): verify skips, in its pass over every
        # member, those whose count its tensor pass raised (their bytes were just checked).
        self.crc_passed: collections.Counter[str] = collections.Counter()
        import zipfile

        try:
            with zipfile.ZipFile(path) as zf:
                infos = zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, struct.error, NotImplementedError,
                UnicodeDecodeError) as e:
            hint = ("; a zip archive's directory is at its end, so a file cut short (an interrupted write or copy) "
                    "looks like this") if "not a zip file" in str(e).lower() else ""
            raise CorruptCheckpointError(f"not a valid zip archive: {e}{hint}", path=path) from None
        except OSError as e:
            raise CheckpointError(f"cannot read: {e.strerror or e}", path=path) from None
        for info in infos:
            self._add(info)
        self._check_overlaps()

    def _add(self, info) -> None:
        name = info.orig_filename  # as stored: zipfile's filename has already had separators normalised
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or _DRIVE.match(name) or ".." in parts or "\x00" in name:
            raise CorruptCheckpointError(f"member path {name!r} escapes the archive (absolute or '..'): refusing "
                                         "this archive", path=self.path)
        name = info.filename
        if name in self.members:
            raise CorruptCheckpointError(f"member {name!r} appears twice in the archive", path=self.path)
        if name.endswith("/"):  # a directory entry
            return
        m = Member(name, info.compress_type, info.file_size, info.compress_size, info.header_offset, info.CRC,
                   bool(info.flag_bits & 0x1))
        if m.header_offset + _LOCAL_HEADER.size + m.compress_size > self.size:
            raise TruncatedError(f"member {name!r} runs past the end of the archive ({self.size} bytes): "
                                         "truncated file", path=self.path)
        if m.stored and m.size != m.compress_size:
            raise CorruptCheckpointError(f"stored member {name!r} declares {m.size} bytes but occupies "
                                         f"{m.compress_size}", path=self.path)
        if not m.stored:
            if m.size > m.compress_size * _MAX_DEFLATE_RATIO + 4096:
                raise CorruptCheckpointError(f"zip bomb: member {name!r} claims to inflate {m.compress_size} bytes to "
                                             f"{m.size}, more than compression can produce", path=self.path)
            if m.size > self.max_member_bytes:
                raise UnsupportedError(f"member {name!r} inflates to {m.size} bytes, more than the limit of "
                                       f"{self.max_member_bytes} (pass max_member_bytes= to allow it)", path=self.path)
        self.members[name] = m

    def _check_overlaps(self) -> None:
        # A lower bound of each member's end (its local extra field may add more): any overlap found is real.
        ordered = sorted(self.members.values(), key=lambda m: m.header_offset)
        for a, b in zip(ordered, ordered[1:], strict=False):
            end = a.header_offset + _LOCAL_HEADER.size + len(a.name.encode("utf-8", "surrogateescape")) + \
                a.compress_size
            if end > b.header_offset:
                raise CorruptCheckpointError(f"members {a.name!r} and {b.name!r} overlap (a zip bomb or a damaged "
                                             "archive)", path=self.path)

    def names(self) -> list[str]:
        return list(self.members)

    def member(self, name: str, *, tensor: str | None = None) -> Member:
        try:
            return self.members[name]
        except KeyError:
            raise CorruptCheckpointError(f"archive has no member {name!r}", path=self.path, tensor=tensor) from None

    def data_offset(self, name: str, *, tensor: str | None = None) -> int:
        """Where the member's (possibly compressed) bytes start in the archive: read from its local header."""
        off = self._data_offsets.get(name)
        if off is not None:
            return off
        m = self.member(name, tensor=tensor)
        raw = read_file_range(self.path, m.header_offset, _LOCAL_HEADER.size, tensor=tensor)
        sig, _, _, _, _, _, _, _, _, n, extra = _LOCAL_HEADER.unpack(bytes(raw))
        if sig != b"PK\x03\x04":
            raise CorruptCheckpointError(f"member {name!r} has no local header at offset {m.header_offset}",
                                         path=self.path, tensor=tensor)
        off = m.header_offset + _LOCAL_HEADER.size + n + extra
        if off + m.compress_size > self.size:
            raise CorruptCheckpointError(f"member {name!r} runs past the end of the archive: truncated file",
                                         path=self.path, tensor=tensor)
        self._data_offsets[name] = off
        return off

    def _check_readable(self, m: Member, tensor: str | None) -> None:
        if m.encrypted:
            raise UnsupportedError(f"member {m.name!r} is encrypted", path=self.path, tensor=tensor)
        if m.method not in (ZIP_STORED, ZIP_DEFLATED):
            raise UnsupportedError(f"member {m.name!r} uses zip compression method {m.method}; only stored and "
                                   "deflated members are read", path=self.path, tensor=tensor)

    def read(self, name: str, *, max_bytes: int | None = None, tensor: str | None = None) -> bytearray:
        """The whole member, CRC-32 checked."""
        m = self.member(name, tensor=tensor)
        self._check_readable(m, tensor)
        if max_bytes is not None and m.size > max_bytes:
            raise CorruptCheckpointError(f"member {name!r} is {m.size} bytes, more than the {max_bytes} allowed for "
                                         "it", path=self.path, tensor=tensor)
        if m.stored:
            data = read_file_range(self.path, self.data_offset(name, tensor=tensor), m.size, tensor=tensor)
        else:
            data = self._inflate(m, m.size, tensor)
        if zlib.crc32(data) != m.crc:
            raise ChecksumError(f"member {name!r} fails its CRC-32 check: the bytes on disk are damaged",
                                path=self.path, tensor=tensor)
        self.crc_passed[m.name] += 1
        return data

    def check(self, name: str, *, tensor: str | None = None) -> None:
        """Check the member's CRC-32 (stored members streamed; compressed ones inflated, within their limits)."""
        m = self.member(name, tensor=tensor)
        self._check_readable(m, tensor)
        if not m.stored:
            self.read(name, tensor=tensor)
            return
        start, crc, pos = self.data_offset(name, tensor=tensor), 0, 0
        try:
            with open(self.path, "rb") as f:
                f.seek(start)
                while pos < m.size:
                    chunk = f.read(min(_CHUNK, m.size - pos))
                    if not chunk:
                        raise TruncatedError(f"member {name!r} ends early", path=self.path, tensor=tensor)
                    crc = zlib.crc32(chunk, crc)
                    pos += len(chunk)
        except OSError as e:
            raise CheckpointError(f"cannot read: {e.strerror or e}", path=self.path, tensor=tensor) from None
        if crc != m.crc:
            raise ChecksumError(f"member {name!r} fails its CRC-32 check: the bytes on disk are damaged",
                                path=self.path, tensor=tensor)
        self.crc_passed[m.name] += 1

    def head(self, name: str, n: int, *, tensor: str | None = None) -> bytes:
        """The first ``n`` bytes of the member (fewer if it is shorter), inflating only what is needed."""
        m = self.member(name, tensor=tensor)
        self._check_readable(m, tensor)
        n = min(n, m.size)
        if m.stored:
            return bytes(read_file_range(self.path, self.data_offset(name, tensor=tensor), n, tensor=tensor))
        return bytes(self._inflate(m, n, tensor))

    def read_range(self, name: str, start: int, length: int, *, tensor: str | None = None) -> bytearray:
        """Bytes [start, start+length) of the member's uncompressed content."""
        m = self.member(name, tensor=tensor)
        self._check_readable(m, tensor)
        if start < 0 or length < 0 or start + length > m.size:
            raise CorruptCheckpointError(f"needs bytes [{start}, {start + length}) of member {name!r}, which has "
                                         f"{m.size}", path=self.path, tensor=tensor)
        if m.stored:
            if start == 0 and length == m.size:
                return self.read(name, tensor=tensor)  # the whole member: check its CRC too
            return read_file_range(self.path, self.data_offset(name, tensor=tensor) + start, length, tensor=tensor)
        data = self.read(name, tensor=tensor)
        return data if start == 0 and length == m.size else data[start:start + length]

    def _inflate(self, m: Member, want: int, tensor: str | None) -> bytearray:
        """Inflate the first ``want`` bytes (``want == m.size``: all of it, checking that it ends exactly there)."""
        offset = self.data_offset(m.name, tensor=tensor)
        d = zlib.decompressobj(-zlib.MAX_WBITS)
        out = bytearray()
        whole = want == m.size
        cap = m.size + 1 if whole else want  # a head is inflated only as far as it is wanted (streaming)
        try:
            with open(self.path, "rb") as f:
                f.seek(offset)
                remaining = m.compress_size
                while remaining and (whole or len(out) < want):
                    buf = f.read(min(_CHUNK if whole else 1 << 16, remaining))
                    if not buf:
                        raise CorruptCheckpointError("unexpected end of file", path=self.path, tensor=tensor)
                    remaining -= len(buf)
                    while buf and len(out) < cap:
                        out += d.decompress(buf, cap - len(out))
                        buf = d.unconsumed_tail
                    if len(out) > m.size:
                        raise CorruptCheckpointError(f"zip bomb: member {m.name!r} inflates past its declared size "
                                                     f"of {m.size} bytes", path=self.path, tensor=tensor)
                if want == m.size:
                    out += d.flush()
                    if len(out) != m.size or not d.eof:
                        raise CorruptCheckpointError(f"member {m.name!r} inflates to {len(out)} bytes, not the "
                                                     f"declared {m.size}", path=self.path, tensor=tensor)
        except zlib.error as e:
            raise CorruptCheckpointError(f"member {m.name!r} is not valid deflate data: {e}", path=self.path,
                                         tensor=tensor) from None
        except OSError as e:
            raise CheckpointError(f"cannot read: {e.strerror or e}", path=self.path, tensor=tensor) from None
        return out[:want] if len(out) > want else out

    def open_member(self, name: str, *, tensor: str | None = None) -> io.RawIOBase | io.BytesIO:
        """A read-only, seekable file object over the member's content (stored: a window onto the archive)."""
        m = self.member(name, tensor=tensor)
        self._check_readable(m, tensor)
        if not m.stored:
            return io.BytesIO(self.read(name, tensor=tensor))
        return _Window(self.path, self.data_offset(name, tensor=tensor), m.size)


class _Window(_io.SeekableReader):
    """Bytes [start, start+size) of a file, as a file of its own."""

    def __init__(self, path: str, start: int, size: int):
        self._f = open(path, "rb")
        self._start, self._size, self._pos = start, size, 0

    def readinto(self, b) -> int:
        n = max(0, min(len(b), self._size - self._pos))
        if not n:
            return 0
        self._f.seek(self._start + self._pos)
        got = self._f.readinto(memoryview(b)[:n])
        self._pos += got
        return got

    def close(self) -> None:
        if not self.closed:
            self._f.close()
        super().close()


def first_member_name(path: str) -> str | None:
    """The name in the archive's first local header (cheap: one small read), or None if there is none."""
    head = read_magic(path, _LOCAL_HEADER.size + 1024)
    if len(head) < _LOCAL_HEADER.size or head[:4] != b"PK\x03\x04":
        return None
    n = _LOCAL_HEADER.unpack(head[:_LOCAL_HEADER.size])[9]
    raw = head[_LOCAL_HEADER.size:_LOCAL_HEADER.size + n]
    return raw.decode("utf-8", "replace") if len(raw) == n else None
