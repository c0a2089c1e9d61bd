"""Writer for PyTorch state dicts in ``torch.save``'s zip format, without torch.

The archive is what ``torch.save(state_dict, f)`` writes: ``archive/data.pkl`` (a protocol-2 pickle of a dict
name -> ``torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())``, each storage a
persistent id ``("storage", torch.<Type>Storage, key, "cpu", numel)``), the raw storages as
``archive/data/<key>`` (stored, aligned to 64 bytes), ``byteorder``, ``version`` and format records. It loads with
``torch.load(weights_only=True)`` and ``Module.load_state_dict``. The pickle is written opcode by opcode: only
the globals torch itself writes appear in it.
"""

from __future__ import annotations

import math
import os
import struct
import zipfile

from ..errors import CheckpointError, UnsupportedError

FORMAT = "torch"
_ROOT = "archive"
_ALIGN = 64
# Legacy typed storage classes torch pickles for these dtypes (others use UntypedStorage + a dtype: not written).
_STORAGE = {"float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
            "bfloat16": "BFloat16Storage", "int64": "LongStorage", "int32": "IntStorage", "int16": "ShortStorage",
            "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage", "complex64": "ComplexFloatStorage",
            "complex128": "ComplexDoubleStorage"}


def _str(s: str) -> bytes:
    b = s.encode("utf-8", "surrogatepass")
    return b"X" + struct.pack("<I", len(b)) + b


def _int(v: int) -> bytes:
    if 0 <= v < 256:
        return b"K" + bytes([v])
    if 0 <= v < 65536:
        return b"M" + struct.pack("<H", v)
    if -(1 << 31) <= v < 1 << 31:
        return b"J" + struct.pack("<i", v)
    n = (v.bit_length() + 8) // 8
    return b"\x8a" + bytes([n]) + v.to_bytes(n, "little", signed=True)


def _tuple(values) -> bytes:
    return b"(" + b"".join(_int(v) for v in values) + b"t" if values else b")"


def _tensor(key: str, dtype: str, shape: tuple[int, ...]) -> bytes:
    numel = math.prod(shape)
    stride = tuple(math.prod(shape[i + 1:]) for i in range(len(shape)))
    storage = b"(" + _str("storage") + f"ctorch\n{_STORAGE[dtype]}\n".encode() + _str(key) + _str("cpu") + \
        _int(numel) + b"tQ"
    return (b"ctorch._utils\n_rebuild_tensor_v2\n(" + storage + _int(0) + _tuple(shape) + _tuple(stride) +
            b"\x89ccollections\nOrderedDict\n)Rt" + b"R")


def state_dict_pickle(tensors) -> bytes:
    body = b"".join(_str(t.name) + _tensor(str(i), t.dtype, tuple(t.shape)) for i, t in enumerate(tensors))
    return b"\x80\x02}" + (b"(" + body + b"u" if tensors else b"") + b"."


def _aligned_info(zf: zipfile.ZipFile, name: str, size: int) -> zipfile.ZipInfo:
    """A ZipInfo whose data will start at a multiple of 64 bytes (padding in an extra field, as torch does)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = size
    zip64 = size * 1.05 > zipfile.ZIP64_LIMIT
    assert zf.fp is not None  # the archive is open for writing
    start = zf.fp.tell() + 30 + len(name.encode()) + (20 if zip64 else 0) + 4
    info.extra = b"FB" + struct.pack("<H", -start % _ALIGN) + b"Z" * (-start % _ALIGN)
    return info


def write(tensors, path: str | os.PathLike) -> list[str]:
    """Write ``tensors`` (objects with name, dtype, shape, read()) as a state dict; one tensor in memory at a time."""
    from ._writing import contiguous_bytes, tensors_from

    path = os.fspath(path)
    tensors = tensors_from(tensors)
    if len({t.name for t in tensors}) != len(tensors):
        raise CheckpointError("two tensors have the same name", path=path)
    for t in tensors:
        if t.dtype not in _STORAGE:
            raise UnsupportedError(f"dtype {t.dtype} is not written to PyTorch files by this version", path=path,
                                   tensor=t.name)
    with open(path, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        small = [("data.pkl", state_dict_pickle(tensors)), (".format_version", b"1"), (".storage_alignment", b"64"),
                 ("byteorder", b"little")]
        for name, data in small:
            zf.writestr(_aligned_info(zf, f"{_ROOT}/{name}", len(data)), data)
        for i, t in enumerate(tensors):
            data = contiguous_bytes(t.read(), t, path)
            with zf.open(_aligned_info(zf, f"{_ROOT}/data/{i}", data.size), "w") as member:
                member.write(data)
        zf.writestr(_aligned_info(zf, f"{_ROOT}/version", 2), b"3\n")
        zf.writestr(_aligned_info(zf, f"{_ROOT}/.data/serialization_id", 0), b"")
    return [path]
