"""Legacy TensorFlow V1 checkpoints: one SSTable of SavedTensorSlices per shard (read-only).

Values live inside the table as TensorProtos, so the file is read whole at open; decoding a tensor's
values happens in ``read()``.
"""

from __future__ import annotations

import math
import os

from ..catalog import Catalog, TensorInfo
from ..dtypes import ITEMSIZE, TF_DTYPES, to_numpy
from ..errors import CorruptCheckpointError, UnsupportedError
from . import _sstable, _tf_names
from ._wire import WireError, fields, packed_varints, to_int64
from .tf_bundle import _shape, _slice

FORMAT = "tf-v1"

# TensorProto field that carries the values of each dtype, and how they are encoded there.
_FLOAT_VAL, _DOUBLE_VAL, _INT_VAL, _STRING_VAL, _SCOMPLEX_VAL, _INT64_VAL, _BOOL_VAL, _DCOMPLEX_VAL, _HALF_VAL = \
    5, 6, 7, 8, 9, 10, 11, 12, 13
_UINT32_VAL, _UINT64_VAL, _TENSOR_CONTENT = 16, 17, 4
_VALUE_FIELD = {
    "float32": (_FLOAT_VAL, "<f4"), "float64": (_DOUBLE_VAL, "<f8"), "complex64": (_SCOMPLEX_VAL, "<f4"),
    "complex128": (_DCOMPLEX_VAL, "<f8"), "int64": (_INT64_VAL, "varint"), "bool": (_BOOL_VAL, "varint"),
    "float16": (_HALF_VAL, "varint"), "bfloat16": (_HALF_VAL, "varint"), "uint32": (_UINT32_VAL, "varint"),
    "uint64": (_UINT64_VAL, "varint"), "string": (_STRING_VAL, "bytes"),
    **{t: (_INT_VAL, "varint") for t in ("int32", "uint8", "int8", "int16", "uint16", "qint8", "quint8", "qint32",
                                          "qint16", "quint16")},
}


def read(paths: list[str] | str, display_path: str | None = None) -> Catalog:
    """Open a V1 checkpoint from its shard file(s)."""
    paths = [os.fspath(paths)] if isinstance(paths, (str, os.PathLike)) else [os.fspath(p) for p in paths]
    meta: dict[str, tuple[str, tuple[int, ...], list]] = {}
    slices: dict[str, list[tuple[tuple, bytes, str]]] = {}
    for path in paths:
        try:
            _read_shard(path, meta, slices)
        except WireError as e:
            raise CorruptCheckpointError(f"malformed V1 record: {e}", path=path) from None
    tensors = {}
    for name in sorted(meta):
        dtype, shape, _ = meta[name]
        parts = slices.get(name, [])
        tensors[name] = TensorInfo(name=name, dtype=dtype, shape=shape,
                                   nbytes=math.prod(shape) * ITEMSIZE.get(dtype, 0) or sum(len(p[1]) for p in parts),
                                   location=os.path.basename(parts[0][2]) if parts else "",
                                   partitions=len(parts) if len(parts) > 1 else 0,
                                   _reader=_reader(name, dtype, shape, parts))
    notes, objects = _tf_names.annotate(tensors, "_CHECKPOINTABLE_OBJECT_GRAPH")
    return Catalog(display_path or paths[0], FORMAT, tensors, files=tuple(paths), notes=notes, objects=objects)


def is_v1(path: str) -> bool:
    """A table whose header record is a SavedTensorSlices (starts with field 1, length-delimited)."""
    if not _sstable.is_table(path):
        return False
    try:
        records = _sstable.read_table(path)
    except CorruptCheckpointError:
        return True  # a damaged V1 file: let read() report it precisely
    return bool(records) and records[0][0] == b"" and records[0][1][:1] == b"\x0a"


def _read_shard(path: str, meta: dict, slices: dict) -> None:
    records = _sstable.read_table(path)
    if not records or records[0][0] != b"":
        raise CorruptCheckpointError("V1 checkpoint has no metadata record", path=path)
    for number, _, v in fields(records[0][1]):
        if number != 1:
            continue
        for n, _, tensor in fields(v):
            if n != 1:
                continue
            name, shape, dtype_enum = "", (), 0
            for k, _, x in fields(tensor):
                if k == 1:
                    name = x.decode("utf-8", "surrogateescape")
                elif k == 2:
                    shape = _shape(x, path, name)
                elif k == 3:
                    dtype_enum = x
            if dtype_enum not in TF_DTYPES:
                raise UnsupportedError(f"unsupported dtype enum {dtype_enum}", path=path, tensor=name)
            meta[name] = (TF_DTYPES[dtype_enum][0], shape, [])
    for _key, value in records[1:]:
        for number, _, v in fields(value):
            if number != 2:
                continue
            name, extents, data = "", (), b""
            for k, _, x in fields(v):
                if k == 1:
                    name = x.decode("utf-8", "surrogateescape")
                elif k == 2:
                    extents = _slice(x)
                elif k == 3:
                    data = x
            if name not in meta:
                raise CorruptCheckpointError("data record for a tensor missing from the metadata", path=path,
                                             tensor=name)
            slices.setdefault(name, []).append((extents, data, path))


def _reader(name: str, dtype: str, shape: tuple[int, ...], parts: list):
    def read():
        import numpy as np

        if not parts:
            raise CorruptCheckpointError("tensor is listed but has no stored data", tensor=name)
        out = np.empty(shape, dtype=to_numpy(dtype))
        covered = 0
        for extents, data, path in parts:
            if extents and len(extents) != len(shape):
                raise CorruptCheckpointError(f"slice of rank {len(extents)} for shape {list(shape)}", path=path,
                                             tensor=name)
            region = tuple(slice(s, None if n == -1 else s + n) for s, n in extents) if extents else ()
            target = out[region] if region else out
            target[...] = _values(data, dtype, target.shape, path, name)
            covered += target.size
        if covered != math.prod(shape):
            raise CorruptCheckpointError(f"slices cover {covered} of {math.prod(shape)} elements", tensor=name)
        return out

    return read


def _values(proto: bytes, dtype: str, shape: tuple[int, ...], path: str, name: str):
    import numpy as np

    n = math.prod(shape)
    field_number, encoding = _VALUE_FIELD.get(dtype, (None, None))
    if field_number is None:
        raise UnsupportedError(f"cannot decode V1 values of dtype {dtype}", path=path, tensor=name)
    chunks = [v for k, _, v in fields(proto) if k == field_number]
    content = b"".join(v for k, _, v in fields(proto) if k == _TENSOR_CONTENT)
    np_dtype = to_numpy(dtype)
    if content:
        flat = np.frombuffer(content, dtype=np_dtype.newbyteorder("<") if np_dtype.kind != "V" else np_dtype)
    elif encoding == "bytes":
        flat = np.empty(len(chunks), dtype=object)
        flat[:] = chunks
    elif encoding == "varint":
        ints = [x for c in chunks for x in packed_varints(c)]
        if dtype in ("float16", "bfloat16"):
            flat = np.array(ints, dtype=np.uint16).view(np_dtype)
        elif dtype in ("int64",):
            flat = np.array([to_int64(x) for x in ints], dtype=np.int64)
        elif np_dtype.kind == "i":
            flat = np.array([to_int64(x) for x in ints], dtype=np.int64).astype(np_dtype)
        else:
            flat = np.array(ints, dtype=np.uint64).astype(np_dtype)
    else:  # little-endian floats; complex values are (re, im) pairs
        width = int(encoding[-1])
        raw = b"".join(c if isinstance(c, bytes) else c.to_bytes(width, "little") for c in chunks)
        if len(raw) % width:
            raise CorruptCheckpointError("value bytes are not a whole number of items", path=path, tensor=name)
        flat = np.frombuffer(raw, dtype=encoding)
        flat = flat.view(np_dtype) if dtype.startswith("complex") else flat.astype(np_dtype)
    count = flat.size
    if count != n:
        raise CorruptCheckpointError(f"slice holds {count} values, its shape {list(shape)} needs {n}", path=path,
                                     tensor=name)
    return flat.reshape(shape)
