"""Just enough of the protobuf wire format to read TensorFlow's small metadata protos.

Decoding by hand keeps listing fast (no descriptor pool, no generated code) and lets every
malformed byte become a precise error instead of a crash.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping
from typing import Any


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
        if shift == 63 and pos < end and buf[pos] > 1:  # a 10th byte may only carry bit 63
            raise WireError("varint overflows 64 bits")


def fields(buf: bytes) -> list[tuple[int, int, int | bytes]]:
    """Split a message into (field number, wire type, value) triples.

    Varints and fixed-width values are returned as ints (unsigned), length-delimited ones as bytes.
    """
    out: list[tuple[int, int, int | bytes]] = []
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = varint(buf, pos)
        number, wtype = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0")
        value: int | bytes
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


def spans(buf, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """(field number, start, end) of each length-delimited field of the message in ``buf[start:end]``, other wire
    types skipped: ``fields`` without copying a value (``buf`` may be an mmap of a large file, read in place)."""
    pos = start
    while pos < end:
        key, pos = varint(buf, pos)
        number, wtype = key >> 3, key & 7
        if wtype == 0:
            _, pos = varint(buf, pos)
        elif wtype == 1:
            pos += 8
        elif wtype == 5:
            pos += 4
        elif wtype == 2:
            n, pos = varint(buf, pos)
            if pos + n > end:
                raise WireError(f"field {number} claims {n} bytes, only {end - pos} left")
            yield number, pos, pos + n
            pos += n
        else:
            raise WireError(f"unsupported wire type {wtype} for field {number}")
    if pos > end:
        raise WireError("a fixed-width field runs past its message")


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
    out: list[int] = []
    pos = 0
    while pos < len(value):
        v, pos = varint(value, pos)
        out.append(v)
    return out


# Wire types, by name, for ``message``. PACKED accepts a repeated varint field in either encoding (-> list of
# ints); PACKED32/PACKED64 a repeated fixed-width field in either encoding (-> its little-endian bytes).
VARINT, FIXED64, BYTES, FIXED32, PACKED, PACKED32, PACKED64 = 0, 1, 2, 5, "packed", "packed32", "packed64"
Schema = Mapping[int, int | str]  # field number -> wire type (or PACKED*) for ``message``
_PACKED_FIXED = {PACKED32: (5, 4), PACKED64: (1, 8)}
_WIRE_NAMES = {0: "varint", 1: "fixed64", 2: "length-delimited", 5: "fixed32"}


def message(buf: bytes, schema: Schema) -> list[tuple[int, Any]]:
    """The (field number, value) pairs of the fields in ``schema``, each checked to have its declared wire type.

    This is the one place where wire types are validated: a value handed out for a VARINT/FIXED field is always
    an int, for a BYTES field always bytes, for a PACKED field always a list of ints. Fields not in ``schema`` are
    skipped (after their framing was checked), as protobuf skips unknown fields.

    The values are typed ``Any`` because their type depends on the schema entry, which the type system cannot
    express; the check above it is made here, once, so callers use them as the type their schema declares.
    """
    out: list[tuple[int, Any]] = []
    for number, wtype, value in fields(buf):
        want = schema.get(number)
        if want is None:
            continue
        if want == PACKED:
            if wtype not in (0, 2):
                raise WireError(f"field {number} has wire type {_WIRE_NAMES.get(wtype, wtype)}, expected varint")
            out.append((number, packed_varints(value)))
            continue
        if want in _PACKED_FIXED:
            single, width = _PACKED_FIXED[want]
            if isinstance(value, int):  # wire type 5 or 1 (an int) or 0 (a varint, rejected just below)
                if wtype != single:
                    raise WireError(f"field {number} is not a run of {width}-byte values")
                value = value.to_bytes(width, "little")
            elif len(value) % width:  # wire type 2
                raise WireError(f"field {number} is not a run of {width}-byte values")
        elif wtype != want:
            raise WireError(f"field {number} has wire type {_WIRE_NAMES.get(wtype, wtype)}, expected "
                            f"{_WIRE_NAMES[want] if isinstance(want, int) else want}")
        out.append((number, value))
    return out
