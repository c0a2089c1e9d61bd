"""Reader for the LevelDB-style SSTable that holds a TF checkpoint index (and a whole V1 checkpoint).

Layout (see docs/tf-checkpoint-format.md §1.2): data blocks | metaindex | index block | 48-byte footer.
Every block is followed by a 1-byte compression type and a masked CRC32C; both are checked here.
"""

from __future__ import annotations

import os
import struct

from ..errors import ChecksumError, CorruptCheckpointError, TruncatedError
from . import _crc, _io
from ._wire import WireError, varint

MAGIC = bytes.fromhex("57fb808b247547db")
FOOTER_SIZE = 48
_TRAILER = 5
_NO_COMPRESSION, _SNAPPY = 0, 1


def is_table(path: str | os.PathLike) -> bool:
    """True when the file ends with the SSTable magic number."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            if f.tell() < FOOTER_SIZE:
                return False
            f.seek(-8, os.SEEK_END)
            return f.read(8) == MAGIC
    except OSError:
        return False


def read_table(path: str) -> list[tuple[bytes, bytes]]:
    """Every (key, value) of the table, in key order. Raises CorruptCheckpointError on any inconsistency."""
    with _io.open_file(path) as f:
        data = f.read()
    try:
        return list(_entries(data, path))
    except WireError as e:
        raise CorruptCheckpointError(f"malformed SSTable: {e}", path=path) from None


def _entries(data: bytes, path):
    if not data:
        raise _io.empty(path)
    if len(data) < FOOTER_SIZE:
        raise TruncatedError(f"file is {len(data)} bytes, too short for an SSTable footer "
                                     f"({FOOTER_SIZE} bytes): truncated or not a checkpoint index", path=path)
    if data[-8:] != MAGIC:
        raise CorruptCheckpointError(f"bad SSTable magic {data[-8:].hex()} (expected {MAGIC.hex()}): "
                                     "truncated or not a TensorFlow checkpoint index", path=path)
    footer = data[-FOOTER_SIZE:]
    _meta_off, pos = varint(footer, 0)
    _meta_size, pos = varint(footer, pos)
    index_off, pos = varint(footer, pos)
    index_size, pos = varint(footer, pos)
    limit = len(data) - FOOTER_SIZE
    index = _block(data, index_off, index_size, limit, path, "index block")
    previous = b""
    for _sep, handle in _block_entries(index, path):
        off, p = varint(handle, 0)
        size, _ = varint(handle, p)
        for key, value in _block_entries(_block(data, off, size, limit, path, f"data block at offset {off}"), path):
            if key <= previous and previous:
                raise CorruptCheckpointError(f"keys out of order ({previous!r} then {key!r})", path=path)
            previous = key
            yield key, value


def _block(data: bytes, offset: int, size: int, limit: int, path, what: str) -> bytes:
    if offset + size + _TRAILER > limit:
        raise TruncatedError(f"{what} [{offset}, {offset + size}) runs past the end of the table "
                                     f"({limit} bytes before the footer): file truncated", path=path)
    contents = data[offset:offset + size]
    ctype = data[offset + size]
    stored = struct.unpack_from("<I", data, offset + size + 1)[0]
    actual = _crc.crc32c(data[offset:offset + size + 1])
    if _crc.unmask(stored) != actual:
        raise ChecksumError(f"{what}: CRC32C mismatch (stored {_crc.unmask(stored):#010x}, "
                            f"computed {actual:#010x})", path=path)
    if ctype == _NO_COMPRESSION:
        return contents
    if ctype == _SNAPPY:
        import cramjam

        # The block starts with its uncompressed length, which the decompressor allocates: bound it by what Snappy
        # can expand (a 2-byte copy op emits at most 64 bytes) before trusting it.
        try:
            declared, _ = varint(contents, 0)
        except WireError:
            declared = -1
        if not 0 <= declared <= 32 * len(contents) + 64:
            raise CorruptCheckpointError(f"{what}: Snappy block claims {declared} bytes from {len(contents)}",
                                         path=path)

        try:
            return bytes(cramjam.snappy.decompress_raw(contents))
        except Exception as e:  # cramjam raises its own error type on bad input
            raise CorruptCheckpointError(f"{what}: invalid Snappy data ({e})", path=path) from None
    raise CorruptCheckpointError(f"{what}: unknown compression type {ctype}", path=path)


def _block_entries(block: bytes, path):
    if len(block) < 4:
        raise CorruptCheckpointError("block shorter than its restart count", path=path)
    num_restarts = struct.unpack_from("<I", block, len(block) - 4)[0]
    limit = len(block) - 4 * (num_restarts + 1)
    if limit < 0:
        raise CorruptCheckpointError(f"block claims {num_restarts} restart points, more than fit", path=path)
    pos, key = 0, b""
    while pos < limit:
        shared, pos = varint(block, pos)
        non_shared, pos = varint(block, pos)
        value_len, pos = varint(block, pos)
        if shared > len(key) or pos + non_shared + value_len > limit:
            raise CorruptCheckpointError("block entry overruns its block", path=path)
        key = key[:shared] + block[pos:pos + non_shared]
        pos += non_shared
        yield key, block[pos:pos + value_len]
        pos += value_len
