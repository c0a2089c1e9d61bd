"""Just enough of the protobuf wire format to read TensorFlow's small metadata protos.

Decoding by hand keeps listing fast (no descriptor pool, no generated code) and lets every
malformed byte become a precise error instead of a crash.
"""

from __future__ import annotations

import struct


class WireError(ValueError):
    """Malformed protobuf / varint bytes. Callers turn it into a CorruptCheckpointError with context."""


def varint(buf: bytes, pos: int) -> tuple[int, int]:
    """Decode a LEB128 varint at ``pos``; return (value, next position)."""
    result = shift = 0
    end = len(buf)
    while True:
        if pos >= end:
            raise WireError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise WireError("varint longer than 10 bytes")


def fields(buf: bytes) -> list[tuple[int, int, int | bytes]]:
    """Split a message into (field number, wire type, value) triples.

    Varints and fixed-width values are returned as ints (unsigned), length-delimited ones as bytes.
    """
    out = []
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = varint(buf, pos)
        number, wtype = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0")
        if wtype == 0:
            value, pos = varint(buf, pos)
        elif wtype == 2:
            n, pos = varint(buf, pos)
            if pos + n > end:
                raise WireError(f"field {number} claims {n} bytes, only {end - pos} left")
            value = bytes(buf[pos:pos + n])
            pos += n
        elif wtype == 5:
            if pos + 4 > end:
                raise WireError("truncated fixed32")
            value = struct.unpack_from("<I", buf, pos)[0]
            pos += 4
        elif wtype == 1:
            if pos + 8 > end:
                raise WireError("truncated fixed64")
            value = struct.unpack_from("<Q", buf, pos)[0]
            pos += 8
        else:
            raise WireError(f"unsupported wire type {wtype} for field {number}")
        out.append((number, wtype, value))
    return out


def to_int64(v: int) -> int:
    """Reinterpret an unsigned varint as the signed int64 proto3 wrote."""
    return v - (1 << 64) if v >= 1 << 63 else v


def to_int32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >= 1 << 31 else v


def packed_varints(value: int | bytes) -> list[int]:
    """A repeated varint field is either one unpacked varint or a packed run of them."""
    if isinstance(value, int):
        return [value]
    out, pos = [], 0
    while pos < len(value):
        v, pos = varint(value, pos)
        out.append(v)
    return out
