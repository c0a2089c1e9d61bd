"""Turning checked byte ranges of a data file into numpy arrays (shared by the TF readers)."""

from __future__ import annotations

import math
import os

from ..dtypes import to_numpy
from ..errors import ChecksumError, CorruptCheckpointError, MissingShardError, TruncatedError
from . import _crc, _io
from ._fastcrc import crc32c_buffer, crc32c_bytes
from ._wire import WireError, varint

# Read in chunks small enough to stay in the CPU cache between the copy and the checksum; the only full-size
# buffer is the result (uninitialised: zero-filling it first would cost a pass over memory).
_CHUNK = 1 << 20


def read_range(path: str, offset: int, size: int, tensor: str, *, as_bytes: bool = False):
    """Read [offset, offset+size) of ``path`` into a new uint8 array (``bytes`` with ``as_bytes``, which keeps
    numpy out of metadata reads such as the TF2 object graph); return it with its CRC32C."""
    if _io.is_url(path):
        buf, crc = _io.read_range(path, offset, size, tensor=tensor, crc=_crc.crc32c, coalesce=True)
        if as_bytes:
            return buf, crc
        import numpy as np

        return np.frombuffer(buf, dtype=np.uint8), crc
    with _open_at(path, offset, size, tensor) as f:
        if as_bytes:
            buf = bytearray(size)
        else:
            import numpy as np

            buf = np.empty(size, dtype=np.uint8)
        view = memoryview(buf)
        crc = pos = 0
        while pos < size:
            # read() into a recycled chunk, then copy: faster than readinto() the fresh array, whose page faults
            # would then be taken inside the kernel's copy.
            chunk = f.read(min(_CHUNK, size - pos))
            if not chunk:  # the file shrank under us
                raise CorruptCheckpointError("unexpected end of file", path=path, tensor=tensor)
            view[pos:pos + len(chunk)] = chunk
            crc = crc32c_bytes(chunk, crc)  # GIL released: other threads read meanwhile
            pos += len(chunk)
    return buf, crc


def check_range(path: str, offset: int, size: int, stored_masked: int, tensor: str) -> None:
    """``read_range`` + ``check_crc`` without building the value: the bytes stream through one small buffer."""
    if _io.is_url(path):
        check_crc(stored_masked, read_range(path, offset, size, tensor)[1], path, tensor)
        return
    with _open_at(path, offset, size, tensor) as f:
        import numpy as np

        buf = np.empty(min(_CHUNK, size), dtype=np.uint8)
        view = buf.data
        crc = pos = 0
        while pos < size:
            n = f.readinto(view[:min(_CHUNK, size - pos)])
            if not n:
                raise CorruptCheckpointError("unexpected end of file", path=path, tensor=tensor)
            crc = crc32c_buffer(buf[:n], crc)
            pos += n
    check_crc(stored_masked, crc, path, tensor)


def _open_at(path: str, offset: int, size: int, tensor: str):
    """The data file, positioned at ``offset`` once ``size`` bytes are known to be there (missing and truncated
    shards named as such)."""
    try:
        f = open(path, "rb", buffering=0)
    except FileNotFoundError:
        raise MissingShardError("data shard is missing: the checkpoint is incomplete", path=path,
                                tensor=tensor) from None
    except PermissionError:
        raise _io.denied(path, tensor) from None
    end = os.fstat(f.fileno()).st_size
    if offset + size > end:
        f.close()
        raise TruncatedError(f"entry claims bytes [{offset}, {offset + size}) but the shard has only "
                             f"{end} bytes: truncated data file or corrupt index", path=path, tensor=tensor)
    f.seek(offset)
    return f


def check_crc(stored_masked: int, actual: int, path: str, tensor: str) -> None:
    if _crc.unmask(stored_masked) != actual:
        raise ChecksumError(f"tensor data fails its CRC32C check (stored {_crc.unmask(stored_masked):#010x}, "
                            f"computed {actual:#010x}): the bytes on disk are damaged", path=path, tensor=tensor)


def fixed_width_array(buf, dtype: str, shape: tuple[int, ...], big_endian: bool):
    """View the uint8 array ``buf`` as ``dtype`` and ``shape``, swapping bytes in place for big-endian files."""
    dt = to_numpy(dtype)
    if big_endian and dt.itemsize > 1:
        component = dt.itemsize // 2 if dtype.startswith("complex") else dt.itemsize
        buf.view(f"u{component}").byteswap(inplace=True)
    return buf.view(dt).reshape(shape)


def string_array(buf, shape: tuple[int, ...], stored_masked: int, path: str, tensor: str):
    """Decode a TF DT_STRING tensor into a numpy object array (see ``strings``)."""
    import numpy as np

    values = strings(buf, math.prod(shape), stored_masked, path, tensor)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out.reshape(shape)


def strings(buf, n: int, stored_masked: int, path: str, tensor: str) -> list[bytes]:
    """Decode the ``n`` values of a TF DT_STRING tensor: varint lengths, masked CRC of the lengths, then the bytes.

    Verifies the length checksum and the entry checksum (which covers the lengths as fixed-width integers,
    not the varints, hence this separate pass).
    """
    buf = bytes(buf)
    if n > len(buf):  # every element needs at least one length byte
        raise CorruptCheckpointError(f"the shape claims {n} strings but the entry has only {len(buf)} "
                                     "bytes", path=path, tensor=tensor)
    lengths, pos = [], 0
    crc = 0
    try:
        for _ in range(n):
            length, pos = varint(buf, pos)
            lengths.append(length)
            crc = _crc.crc32c(length.to_bytes(4 if length <= 0xFFFFFFFF else 8, "little"), crc)
    except WireError:
        raise CorruptCheckpointError("string lengths run past the end of the entry", path=path, tensor=tensor) from None
    if pos + 4 > len(buf):
        raise CorruptCheckpointError("string entry truncated before its length checksum", path=path, tensor=tensor)
    length_crc = bytes(buf[pos:pos + 4])
    if _crc.unmask(int.from_bytes(length_crc, "little")) != crc:  # so far crc covers exactly the lengths
        raise ChecksumError("string lengths fail their CRC32C check", path=path, tensor=tensor)
    crc = _crc.crc32c(length_crc, crc)
    pos += 4
    if pos + sum(lengths) != len(buf):
        raise CorruptCheckpointError(f"string lengths add up to {sum(lengths)} bytes but the entry holds "
                                     f"{len(buf) - pos}", path=path, tensor=tensor)
    body = bytes(buf[pos:])
    crc = _crc.crc32c(body, crc)
    check_crc(stored_masked, crc, path, tensor)
    out, start = [], 0
    for length in lengths:
        out.append(body[start:start + length])
        start += length
    return out


def check_variants(buf, n: int, stored_masked: int, path: str, tensor: str) -> None:
    """Check a TF DT_VARIANT tensor's bytes without decoding its values (a tf.data iterator's state, ...): each
    element is a varint length, its serialized bytes and the masked CRC32C of everything so far; the entry checksum
    covers the lengths as 8-byte integers (not the varints), the bytes and those running checksums."""
    buf = bytes(buf)
    pos = crc = 0
    try:
        for _ in range(n):
            length, pos = varint(buf, pos)
            if pos + length + 4 > len(buf):
                raise CorruptCheckpointError("a variant element runs past the end of the entry", path=path,
                                             tensor=tensor)
            crc = _crc.crc32c(buf[pos:pos + length], _crc.crc32c(length.to_bytes(8, "little"), crc))
            running = buf[pos + length:pos + length + 4]
            if _crc.mask(crc) != int.from_bytes(running, "little"):
                raise ChecksumError("a variant element fails its CRC32C check: the bytes on disk are damaged",
                                    path=path, tensor=tensor)
            crc = _crc.crc32c(running, crc)
            pos += length + 4
    except WireError:
        raise CorruptCheckpointError("variant lengths run past the end of the entry", path=path,
                                     tensor=tensor) from None
    if pos != len(buf):
        raise CorruptCheckpointError(f"the variant elements take {pos} bytes but the entry holds {len(buf)}",
                                     path=path, tensor=tensor)
    check_crc(stored_masked, crc, path, tensor)
