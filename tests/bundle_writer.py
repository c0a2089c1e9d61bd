"""A minimal V2-bundle writer used ONLY to craft malformed or unusual inputs (lying shapes, unknown dtypes,
big-endian files) that TensorFlow itself will not write. It is never the oracle for correct reading:
values are always checked against TensorFlow-written files or TensorFlow's own reader.
"""

from __future__ import annotations

import struct

import google_crc32c

MAGIC = bytes.fromhex("57fb808b247547db")


def mask(crc: int) -> int:
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def varint(v: int) -> bytes:
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def field_varint(number: int, v: int) -> bytes:
    return varint(number << 3) + varint(v)


def field_bytes(number: int, b: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(b)) + b


def field_fixed32(number: int, v: int) -> bytes:
    return varint(number << 3 | 5) + struct.pack("<I", v)


def header(num_shards: int = 1, big_endian: bool = False) -> bytes:
    out = field_varint(1, num_shards) if num_shards != 1 else b""
    if big_endian:
        out += field_varint(2, 1)
    return out + field_bytes(3, field_varint(1, 1))


def entry(dtype: int, shape: list[int], *, shard: int = 0, offset: int = 0, size: int = 0, crc: int = 0) -> bytes:
    dims = b"".join(field_bytes(2, field_varint(1, d) if d else b"") for d in shape)
    out = field_varint(1, dtype) + field_bytes(2, dims)
    if shard:
        out += field_varint(3, shard)
    if offset:
        out += field_varint(4, offset)
    if size:
        out += field_varint(5, size)
    return out + field_fixed32(6, crc)


def _block(entries: list[tuple[bytes, bytes]]) -> bytes:
    body, restarts = bytearray(), []
    for key, value in entries:
        restarts.append(len(body))
        body += varint(0) + varint(len(key)) + varint(len(value)) + key + value
    if not restarts:
        restarts = [0]
    return bytes(body) + b"".join(struct.pack("<I", r) for r in restarts) + struct.pack("<I", len(restarts))


def _with_trailer(block: bytes) -> bytes:
    return block + b"\x00" + struct.pack("<I", mask(google_crc32c.value(block + b"\x00")))


def table(records: list[tuple[bytes, bytes]]) -> bytes:
    data = _block(records)
    meta = _block([])
    out = _with_trailer(data)
    meta_off = len(out)
    out += _with_trailer(meta)
    index_off = len(out)
    index = _block([(records[-1][0] + b"\xff", varint(0) + varint(len(data)))])
    out += _with_trailer(index)
    handles = varint(meta_off) + varint(len(meta)) + varint(index_off) + varint(len(index))
    return out + handles + b"\x00" * (40 - len(handles)) + MAGIC


def write_bundle(prefix: str, tensors: dict[str, tuple[int, list[int], bytes]], *, big_endian: bool = False,
                 entry_overrides: dict[str, bytes] | None = None) -> None:
    """tensors: name -> (TF dtype enum, shape, stored bytes). One data shard."""
    data, records = bytearray(), [(b"", header(big_endian=big_endian))]
    for name in sorted(tensors):
        dtype, shape, raw = tensors[name]
        e = entry(dtype, shape, offset=len(data), size=len(raw), crc=mask(google_crc32c.value(bytes(raw))))
        records.append((name.encode(), (entry_overrides or {}).get(name, e)))
        data += raw
    with open(prefix + ".index", "wb") as f:
        f.write(table(records))
    with open(prefix + ".data-00000-of-00001", "wb") as f:
        f.write(data)
