"""Writer for the LevelDB-style SSTable of a TF checkpoint index, byte for byte as TensorFlow's table builder.

TensorFlow's choices (docs/tf-checkpoint-format.md §1.2): no compression, 256 KiB blocks, a restart point every
16 entries in data blocks and every entry in the index block, index keys shortened by FindShortestSeparator /
FindShortSuccessor, an empty metaindex block, a 48-byte footer.
"""

from __future__ import annotations

import struct

from . import _crc
from ._sstable import FOOTER_SIZE, MAGIC

BLOCK_SIZE = 262144
RESTART_INTERVAL = 16
_OVERLY_LARGE_RATIO = 2
_NO_COMPRESSION = b"\x00"


def varint(v: int) -> bytes:
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


class _Block:
    def __init__(self, restart_interval: int):
        self.interval = restart_interval
        self.reset()

    def reset(self) -> None:
        self.buf = bytearray()
        self.restarts = [0]
        self.counter = 0
        self.last_key = b""

    def empty(self) -> bool:
        return not self.buf

    def size_estimate(self) -> int:
        return len(self.buf) + 4 * len(self.restarts) + 4

    def add(self, key: bytes, value: bytes) -> None:
        shared = 0
        if self.counter < self.interval:
            limit = min(len(key), len(self.last_key))
            while shared < limit and key[shared] == self.last_key[shared]:
                shared += 1
        else:
            self.restarts.append(len(self.buf))
            self.counter = 0
        self.buf += varint(shared) + varint(len(key) - shared) + varint(len(value))
        self.buf += key[shared:]
        self.buf += value
        self.last_key = key
        self.counter += 1

    def finish(self) -> bytes:
        return bytes(self.buf) + struct.pack(f"<{len(self.restarts)}I", *self.restarts) + \
            struct.pack("<I", len(self.restarts))


def shortest_separator(start: bytes, limit: bytes) -> bytes:
    n = min(len(start), len(limit))
    i = 0
    while i < n and start[i] == limit[i]:
        i += 1
    if i < n and start[i] < 0xFF and start[i] + 1 < limit[i]:
        return start[:i] + bytes([start[i] + 1])
    return start


def short_successor(key: bytes) -> bytes:
    for i, b in enumerate(key):
        if b != 0xFF:
            return key[:i] + bytes([b + 1])
    return key


def build_table(records) -> bytes:
    """The whole table for ``records`` ((key, value) pairs in strictly increasing bytewise key order)."""
    out = bytearray()
    data, index = _Block(RESTART_INTERVAL), _Block(1)
    pending: bytes | None = None  # encoded handle of the last flushed data block, awaiting its index key
    last_key = b""

    def write_block(block: _Block) -> bytes:
        contents = block.finish()
        handle = varint(len(out)) + varint(len(contents))
        out.extend(contents)
        out.extend(_NO_COMPRESSION)
        out.extend(struct.pack("<I", _crc.mask(_crc.crc32c(contents + _NO_COMPRESSION))))
        block.reset()
        return handle

    def flush():
        nonlocal pending
        if not data.empty():
            pending = write_block(data)

    for entries, (key, value) in enumerate(records):
        if entries:
            if key <= last_key:
                raise ValueError(f"table keys must be strictly increasing: {last_key!r} then {key!r}")
            if len(key) + len(value) >= _OVERLY_LARGE_RATIO * BLOCK_SIZE:
                flush()
        if pending is not None:
            index.add(shortest_separator(last_key, key), pending)
            pending = None
        last_key = key
        data.add(key, value)
        if data.size_estimate() >= BLOCK_SIZE:
            flush()
    flush()
    meta_handle = write_block(_Block(RESTART_INTERVAL))
    if pending is not None:
        index.add(short_successor(last_key), pending)
    index_handle = write_block(index)
    handles = meta_handle + index_handle
    out += handles + b"\x00" * (FOOTER_SIZE - len(MAGIC) - len(handles)) + MAGIC
    return bytes(out)
