"""TensorFlow's OrderedCode encoding of slice keys (tensorflow/core/lib/strings/ordered_code.cc).

A partitioned variable stores each slice under ``EncodeTensorNameSlice(name, slice)``; we only need to
*build* those keys from the full entry's slice list to find the slices.
"""

from __future__ import annotations

# Header bits XOR-ed into the first two bytes of an n-byte signed number (n = 1..10).
_HEADER = {1: (0x80, 0), 2: (0xC0, 0), 3: (0xE0, 0), 4: (0xF0, 0), 5: (0xF8, 0), 6: (0xFC, 0), 7: (0xFE, 0),
           8: (0xFF, 0), 9: (0xFF, 0x80), 10: (0xFF, 0xC0)}


def num_increasing(v: int) -> bytes:
    body = v.to_bytes((v.bit_length() + 7) // 8, "big") if v else b""
    return bytes([len(body)]) + body


def string(s: bytes) -> bytes:
    return _escape(s) + b"\x00\x01"


def _escape(s: bytes) -> bytes:
    out = bytearray()
    for b in s:
        if b == 0x00:
            out += b"\x00\xff"
        elif b == 0xFF:
            out += b"\xff\x00"
        else:
            out.append(b)
    return bytes(out)


def signed_num_increasing(v: int) -> bytes:
    x = ~v if v < 0 else v
    if x < 64:
        return bytes([(0x80 ^ v) & 0xFF])
    bits = x.bit_length() + 1  # one sign bit
    n = next(n for n in range(2, 11) if bits <= 7 * n)  # n bytes carry 7n payload bits (incl. sign)
    body = bytearray((v & ((1 << (8 * n)) - 1)).to_bytes(n, "big"))
    h0, h1 = _HEADER[n]
    body[0] ^= h0
    if n > 1:
        body[1] ^= h1
    return bytes(body)


def slice_key(name: bytes, extents: list[tuple[int, int]]) -> bytes:
    """Key of the slice of ``name`` given as (start, length) per dimension; length -1 = whole dimension."""
    out = [num_increasing(0), string(name), num_increasing(len(extents))]
    for start, length in extents:
        out.append(signed_num_increasing(start))
        out.append(signed_num_increasing(length))
    return b"".join(out)
