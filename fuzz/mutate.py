"""Structure-aware mutations: protobuf messages, SSTables, pickles, JSON headers, plus plain byte mutations.

Every function takes a ``random.Random`` and returns new bytes; none of them is a reader (the readers under test
are never used to build their own inputs, except to split a seed into records).
"""

from __future__ import annotations

import random
import struct
import zlib

import google_crc32c

INTERESTING = (0, 1, 2, 7, 8, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 1 << 31, 1 << 32,
               (1 << 63) - 1, 1 << 63, (1 << 64) - 1, 10 ** 15, 4 << 30)


# --- bytes --------------------------------------------------------------------------------------------------

def bytes_mutation(rng: random.Random, data: bytes, hot: tuple[int, int] | None = None,
                   inplace: bool = False) -> bytes:
    """One classic mutation; ``hot`` = a (start, end) range to prefer (e.g. a header or metadata region);
    ``inplace``: keep every offset (formats full of absolute addresses, like HDF5)."""
    b = bytearray(data)
    if not b:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16)))

    def pos() -> int:
        if hot and rng.random() < 0.7:
            return rng.randrange(hot[0], max(hot[0] + 1, min(hot[1], len(b))))
        return rng.randrange(len(b))

    op = rng.choice((0, 1, 2, 7)) if inplace and rng.random() < 0.9 else rng.randrange(8)
    if op == 0:  # bit flip
        p = pos()
        b[p] ^= 1 << rng.randrange(8)
    elif op == 1:  # interesting byte
        b[pos()] = rng.choice((0, 1, 0x7F, 0x80, 0xFF, 0x0A))
    elif op == 2:  # interesting integer, little or big endian
        p, width = pos(), rng.choice((2, 4, 8))
        v = rng.choice(INTERESTING) & ((1 << 8 * width) - 1)
        b[p:p + width] = v.to_bytes(width, rng.choice(("little", "big")))
    elif op == 3:  # truncate
        del b[pos():]
    elif op == 4:  # delete a run
        p = pos()
        del b[p:p + rng.randrange(1, 64)]
    elif op == 5:  # insert a run
        p = pos()
        b[p:p] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 32)))
    elif op == 6:  # duplicate a run
        p = pos()
        b[p:p] = b[p:p + rng.randrange(1, 128)]
    else:  # random bytes over a run
        p = pos()
        for i in range(p, min(len(b), p + rng.randrange(1, 16))):
            b[i] = rng.randrange(256)
    return bytes(b)


def truncations(data: bytes, boundaries: list[int]) -> list[bytes]:
    """The file cut at every boundary (and one byte either side)."""
    cuts = sorted({c for b in boundaries for c in (b - 1, b, b + 1) if 0 <= c < len(data)})
    return [data[:c] for c in cuts]


# --- protobuf -----------------------------------------------------------------------------------------------

def varint(v: int) -> bytes:
    v &= (1 << 70) - 1  # up to 70 bits: overflowing varints are wanted here
    out = bytearray()
    while True:
        byte = v & 0x7F
        v >>= 7
        out.append(byte | (0x80 if v else 0))
        if not v:
            return bytes(out)


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 70:
            raise ValueError
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def parse_proto(buf: bytes, depth: int = 0) -> list | None:
    """A message as a list of [number, wire type, value]; length-delimited values that parse are lists too."""
    out, pos = [], 0
    try:
        while pos < len(buf):
            key, pos = _read_varint(buf, pos)
            number, wtype = key >> 3, key & 7
            if number == 0:
                return None
            if wtype == 0:
                value, pos = _read_varint(buf, pos)
            elif wtype == 1:
                value, pos = int.from_bytes(buf[pos:pos + 8], "little"), pos + 8
            elif wtype == 5:
                value, pos = int.from_bytes(buf[pos:pos + 4], "little"), pos + 4
            elif wtype == 2:
                n, pos = _read_varint(buf, pos)
                raw = buf[pos:pos + n]
                if len(raw) != n:
                    return None
                pos += n
                sub = parse_proto(raw, depth + 1) if raw and depth < 8 else None
                value = sub if sub else raw
            else:
                return None
            out.append([number, wtype, value])
    except ValueError:
        return None
    return out if pos == len(buf) else None


def encode_proto(fields: list) -> bytes:
    out = bytearray()
    for number, wtype, value in fields:
        out += varint(number << 3 | wtype)
        if wtype == 0:
            out += varint(value)
        elif wtype == 1:
            out += (value & ((1 << 64) - 1)).to_bytes(8, "little")
        elif wtype == 5:
            out += (value & 0xFFFFFFFF).to_bytes(4, "little")
        else:
            raw = encode_proto(value) if isinstance(value, list) else value
            out += varint(len(raw)) + raw
    return bytes(out)


def _all_fields(fields: list, acc: list) -> list:
    for f in fields:
        acc.append((fields, f))
        if f[1] == 2 and isinstance(f[2], list):
            _all_fields(f[2], acc)
    return acc


def proto_mutation(rng: random.Random, buf: bytes) -> bytes:
    """Wire-type swaps, varint overflow, huge values, duplicate/dropped/reordered fields, deep nesting."""
    fields = parse_proto(buf)
    if not fields:
        return bytes_mutation(rng, buf)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        spots = _all_fields(fields, [])
        parent, f = rng.choice(spots)
        op = rng.randrange(10)
        if op == 0:  # wire-type swap, keeping the field number
            f[1] = rng.choice([w for w in (0, 1, 2, 5) if w != f[1]])
            f[2] = rng.choice((b"", b"\x08\x01", bytes(rng.randrange(256) for _ in range(5)))) if f[1] == 2 \
                else rng.choice(INTERESTING)
        elif op == 1 and f[1] == 0:  # varint overflow: 70 bits
            f[2] = (1 << 70) - 1 - rng.randrange(1 << 20)
        elif op in (1, 2):  # huge / boundary value
            if f[1] == 2:
                f[1], f[2] = 0, rng.choice(INTERESTING)
            else:
                f[2] = rng.choice(INTERESTING)
        elif op == 3:  # duplicate
            parent.insert(rng.randrange(len(parent) + 1), [f[0], f[1], f[2]])
        elif op == 4 and len(parent) > 1:  # drop
            parent.remove(f)
        elif op == 5:  # reorder
            rng.shuffle(parent)
        elif op == 6:  # repeat a field many times (dimensions, slices, nodes)
            parent.extend([f[0], f[1], f[2]] for _ in range(rng.choice((65, 100, 300))))
        elif op == 7:  # deep nesting
            inner: list = [[f[0], f[1], f[2]]]
            for _ in range(rng.choice((50, 500))):
                inner = [[f[0], 2, inner]]
            f[1], f[2] = 2, inner
        elif op == 8 and f[1] == 2 and not isinstance(f[2], list):  # truncate / grow a bytes value
            f[2] = f[2][:rng.randrange(len(f[2]) + 1)] if rng.random() < 0.5 else f[2] * rng.choice((2, 7))
        else:  # new unknown or known field number
            parent.append([rng.choice((1, 2, 3, 4, 5, 6, 7, 13, 99)), rng.choice((0, 2, 5)), rng.choice(INTERESTING)
                           if rng.random() < 0.5 else 7])
            if parent[-1][1] == 2:
                parent[-1][2] = b"\x08\x01"
    out = encode_proto(fields)
    if rng.random() < 0.1:  # a length prefix that lies
        out = bytes_mutation(rng, out)
    return out


# --- SSTable ------------------------------------------------------------------------------------------------

SST_MAGIC = bytes.fromhex("57fb808b247547db")


def _mask(crc: int) -> int:
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def _block(entries: list[tuple[bytes, bytes]], restart_every: int = 1) -> bytes:
    body, restarts, prev = bytearray(), [], b""
    for i, (key, value) in enumerate(entries):
        shared = 0
        if i % restart_every == 0:
            restarts.append(len(body))
        else:
            while shared < min(len(prev), len(key)) and prev[shared] == key[shared]:
                shared += 1
        body += varint(shared) + varint(len(key) - shared) + varint(len(value)) + key[shared:] + value
        prev = key
    restarts = restarts or [0]
    return bytes(body) + b"".join(struct.pack("<I", r) for r in restarts) + struct.pack("<I", len(restarts))


def _trailer(block: bytes, snappy: bool) -> bytes:
    if snappy:
        import cramjam

        block, ctype = bytes(cramjam.snappy.compress_raw(block)), b"\x01"
    else:
        ctype = b"\x00"
    return block + ctype + struct.pack("<I", _mask(google_crc32c.value(block + ctype)))


def sstable(records: list[tuple[bytes, bytes]], *, per_block: int = 0, snappy: bool = False,
            restart_every: int = 1) -> bytes:
    """A valid table (correct CRCs) holding ``records`` in the given order (which need not be sorted)."""
    per_block = per_block or max(1, len(records))
    out, index = bytearray(), []
    for i in range(0, max(1, len(records)), per_block):
        chunk = records[i:i + per_block]
        block = _block(chunk, restart_every)
        handle = varint(len(out)) + varint(len(_trailer(block, snappy)) - 5)
        out += _trailer(block, snappy)
        index.append(((chunk[-1][0] if chunk else b"") + b"\xff", handle))
    meta_off = len(out)
    meta = _block([])
    out += _trailer(meta, False)
    index_off = len(out)
    index_block = _block(index)
    out += _trailer(index_block, False)
    handles = varint(meta_off) + varint(len(meta)) + varint(index_off) + varint(len(index_block))
    return bytes(out) + handles + b"\x00" * (40 - len(handles)) + SST_MAGIC


def sstable_raw_block(payload: bytes, ctype: int) -> bytes:
    """A table whose only data block is ``payload`` as stored (any compression type), with a valid CRC."""
    out = bytearray(payload + bytes([ctype]) + struct.pack("<I", _mask(google_crc32c.value(payload + bytes([ctype])))))
    handle = varint(0) + varint(len(payload))
    meta_off = len(out)
    meta = _block([])
    out += _trailer(meta, False)
    index_off = len(out)
    index_block = _block([(b"\xff", handle)])
    out += _trailer(index_block, False)
    handles = varint(meta_off) + varint(len(meta)) + varint(index_off) + varint(len(index_block))
    return bytes(out) + handles + b"\x00" * (40 - len(handles)) + SST_MAGIC


def records_mutation(rng: random.Random, records: list[tuple[bytes, bytes]], value_mutator) -> list:
    records = [list(r) for r in records]
    for _ in range(rng.choice((1, 1, 2, 3))):
        op = rng.randrange(6)
        i = rng.randrange(len(records))
        if op <= 2:  # mutate a value
            records[i][1] = value_mutator(rng, records[i][1])
        elif op == 3:  # duplicate a record (duplicate key)
            records.insert(i, list(records[i]))
        elif op == 4:  # key change: out of order, empty, odd bytes
            records[i][0] = rng.choice((b"", b"\x00", b"\xff" * 3, records[i][0] + b"\x00", records[i][0][:1]))
        elif len(records) > 1:  # drop
            del records[i]
    return [tuple(r) for r in records]


def crc32c_masked(data: bytes) -> int:
    return _mask(google_crc32c.value(data))


# --- pickle -------------------------------------------------------------------------------------------------

class Pickle:
    """A tiny protocol-2 pickle emitter, enough to write any structure a torch checkpoint could hold."""

    def __init__(self) -> None:
        self.out = bytearray(b"\x80\x02")

    def value(self, v) -> Pickle:
        o = self.out
        if v is None:
            o += b"N"
        elif v is True or v is False:
            o += b"\x88" if v else b"\x89"
        elif isinstance(v, int):
            if 0 <= v < 256:
                o += b"K" + bytes([v])
            elif -(1 << 31) <= v < 1 << 31:
                o += b"J" + struct.pack("<i", v)
            else:
                raw = v.to_bytes((v.bit_length() + 8) // 8, "little", signed=True)
                o += (b"\x8a" + bytes([len(raw)]) if len(raw) < 256 else b"\x8b" + struct.pack("<i", len(raw))) + raw
        elif isinstance(v, float):
            o += b"G" + struct.pack(">d", v)
        elif isinstance(v, str):
            raw = v.encode("utf-8", "surrogatepass")
            o += b"X" + struct.pack("<I", len(raw)) + raw
        elif isinstance(v, bytes):
            o += b"C" + bytes([len(v)]) + v if len(v) < 256 else b"B" + struct.pack("<I", len(v)) + v
        elif isinstance(v, tuple):
            o += b"("
            for x in v:
                self.value(x)
            o += b"t"
        elif isinstance(v, list):
            o += b"]("
            for x in v:
                self.value(x)
            o += b"e"
        elif isinstance(v, dict):
            o += b"}("
            for k, x in v.items():
                self.value(k)
                self.value(x)
            o += b"u"
        elif isinstance(v, Call):
            o += b"c" + v.fn.encode() + b"\n"
            self.value(tuple(v.args))
            o += b"R"
        elif isinstance(v, PersId):
            self.value(v.pid)
            o += b"Q"
        elif isinstance(v, Raw):
            o += v.data
        else:
            raise TypeError(type(v))
        return self

    def done(self) -> bytes:
        return bytes(self.out) + b"."


class Call:
    def __init__(self, fn: str, *args):
        self.fn, self.args = fn.replace(".", "\n", 0) if "\n" in fn else _split(fn), args


def _split(fn: str) -> str:
    module, _, name = fn.rpartition(".")
    return f"{module}\n{name}"


class PersId:
    def __init__(self, pid):
        self.pid = pid


class Raw:
    def __init__(self, data: bytes):
        self.data = data


def json_huge_int(digits: int) -> str:
    return "9" * digits


def deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()
