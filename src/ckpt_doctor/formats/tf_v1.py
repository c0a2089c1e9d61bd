"""Legacy TensorFlow V1 checkpoints: one SSTable of SavedTensorSlices per shard (read-only).

Values live inside the table as TensorProtos, so the file is read whole at open; decoding a tensor's
values happens in ``read()``.
"""

from __future__ import annotations

import functools
import math
import os

from ..catalog import Catalog, TensorInfo
from ..dtypes import ITEMSIZE, TF_DTYPES, to_numpy
from ..errors import CorruptCheckpointError, UnsupportedError
from . import _slices, _sstable, _tf_meta, _tf_names
from ._wire import BYTES, PACKED, PACKED32, PACKED64, VARINT, Schema, WireError, message, to_int64
from .tf_bundle import _NUMPY_RANK, _shape, _slice

FORMAT = "tf-v1"

# TensorProto field that carries the values of each dtype, and how they are encoded there.
_FLOAT_VAL, _DOUBLE_VAL, _INT_VAL, _STRING_VAL, _SCOMPLEX_VAL, _INT64_VAL, _BOOL_VAL, _DCOMPLEX_VAL, _HALF_VAL = \
    5, 6, 7, 8, 9, 10, 11, 12, 13
_UINT32_VAL, _UINT64_VAL, _TENSOR_CONTENT = 16, 17, 4
_VALUE_FIELD: dict[str, tuple[int, int | str]] = {
    "float32": (_FLOAT_VAL, PACKED32), "float64": (_DOUBLE_VAL, PACKED64), "complex64": (_SCOMPLEX_VAL, PACKED32),
    "complex128": (_DCOMPLEX_VAL, PACKED64), "int64": (_INT64_VAL, PACKED), "bool": (_BOOL_VAL, PACKED),
    "float16": (_HALF_VAL, PACKED), "bfloat16": (_HALF_VAL, PACKED), "uint32": (_UINT32_VAL, PACKED),
    "uint64": (_UINT64_VAL, PACKED), "string": (_STRING_VAL, BYTES),
    **{t: (_INT_VAL, PACKED) for t in ("int32", "uint8", "int8", "int16", "uint16", "qint8", "quint8", "qint32",
                                        "qint16", "quint16")},
}
_SAVED_SLICES: Schema = {1: BYTES, 2: BYTES}  # SavedTensorSlices: meta, data
_META: Schema = {1: BYTES}  # SavedTensorSliceMeta: tensor
_SLICE_META: Schema = {1: BYTES, 2: BYTES, 3: VARINT}  # SavedSliceMeta: name, shape, type
_SAVED_SLICE: Schema = {1: BYTES, 2: BYTES, 3: BYTES}  # SavedSlice: name, slice, data


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
    beyond = []  # shapes claiming more values than their records could hold: listed, flagged in a note
    partial: list[str] = []  # slices of part of the shape: a TF1 optimizer's slot of one part (see _slices)
    for name in sorted(meta):
        dtype, shape, _ = meta[name]
        parts = slices.get(name, [])
        extents_list = [p[0] for p in parts]
        if all(extents_list) and _slices.is_partial(extents_list, shape):
            partial.append(name)
        elif math.prod(shape) > sum(len(p[1]) for p in parts):
            beyond.append(name)
        tensors[name] = TensorInfo(name=name, dtype=dtype, shape=shape,
                                   nbytes=math.prod(shape) * ITEMSIZE.get(dtype, 0) or sum(len(p[1]) for p in parts),
                                   location=os.path.basename(parts[0][2]) if parts else "",
                                   partitions=len(parts) if len(parts) > 1 else 0,
                                   _reader=_reader(name, dtype, shape, parts))
    notes, objects = _tf_names.annotate(tensors, "_CHECKPOINTABLE_OBJECT_GRAPH")
    if beyond:
        shown = ", ".join(beyond[:5]) + (" ..." if len(beyond) > 5 else "")
        notes += ((f"{len(beyond)} tensor(s) declare more values than their records hold (corrupt metadata); the "
                   f"sizes listed for them are the metadata's claim, not data: {shown}"),)
    if partial:
        notes += (_slices.note(partial),)
    prefix = display_path or paths[0]
    return Catalog(prefix, FORMAT, tensors, files=tuple(paths), notes=notes, objects=objects,
                   creation_order=None if objects else functools.partial(_tf_meta.creation_order, prefix))


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
    for number, v in message(records[0][1], _SAVED_SLICES):
        if number != 1:
            continue
        for _, tensor in message(v, _META):
            name, dtype_enum = "", 0
            shape: tuple[int, ...] = ()
            for k, x in message(tensor, _SLICE_META):
                if k == 1:
                    name = x.decode("utf-8", "surrogateescape")
                elif k == 2:
                    shape = _shape(x, path, name)
                else:
                    dtype_enum = x
            if dtype_enum not in TF_DTYPES:
                raise UnsupportedError(f"unsupported dtype enum {dtype_enum}", path=path, tensor=name)
            meta[name] = (TF_DTYPES[dtype_enum][0], shape, [])
    for _key, value in records[1:]:
        for number, v in message(value, _SAVED_SLICES):
            if number != 2:
                continue
            name, data = "", b""
            extents: tuple[tuple[int, int], ...] = ()
            for k, x in message(v, _SAVED_SLICE):
                if k == 1:
                    name = x.decode("utf-8", "surrogateescape")
                elif k == 2:
                    extents = _slice(x)
                else:
                    data = x
            if name not in meta:
                raise CorruptCheckpointError("data record for a tensor missing from the metadata", path=path,
                                             tensor=name)
            slices.setdefault(name, []).append((extents, data, path))


def _reader(name: str, dtype: str, shape: tuple[int, ...], parts: list):
    def read():
        path = parts[0][2] if parts else None
        if len(shape) > _NUMPY_RANK:
            raise UnsupportedError(f"a tensor of rank {len(shape)}: numpy arrays have at most {_NUMPY_RANK} "
                                   "dimensions", path=path, tensor=name)
        try:
            return _assemble(name, dtype, shape, parts)
        except WireError as e:
            raise CorruptCheckpointError(f"malformed V1 value record: {e}", path=path, tensor=name) from None

    return read


def _assemble(name: str, dtype: str, shape: tuple[int, ...], parts: list):
    import numpy as np

    path = parts[0][2] if parts else None
    if not parts:
        raise CorruptCheckpointError("tensor is listed but has no stored data", path=path, tensor=name)
    if dtype not in _VALUE_FIELD:
        raise UnsupportedError(f"cannot decode V1 values of dtype {dtype}", path=path, tensor=name)
    # Every value takes at least one byte of its record: a shape claiming more elements than that is a lie, found
    # before anything of its size is allocated.
    stored = sum(len(data) for _, data, _ in parts)
    if math.prod(shape) > stored:
        raise CorruptCheckpointError(f"shape {list(shape)} claims {math.prod(shape)} values but the records hold "
                                     f"only {stored} bytes", path=path, tensor=name)
    regions = []
    covered = 0
    for extents, data, part_path in parts:
        if extents and len(extents) != len(shape):
            raise CorruptCheckpointError(f"slice of rank {len(extents)} for shape {list(shape)}", path=part_path,
                                         tensor=name)
        region = tuple(slice(s, None if n == -1 else s + n) for s, n in extents) if extents else ()
        pairs = list(zip(extents, shape, strict=False))
        sub = tuple(dim - s if n == -1 else n for (s, n), dim in pairs) if extents else shape
        if any(s < 0 or s > dim or (n != -1 and (n < 0 or s + n > dim)) for (s, n), dim in pairs):
            raise CorruptCheckpointError(f"slice {list(extents)} lies outside shape {list(shape)}", path=part_path,
                                         tensor=name)
        regions.append((region, sub, data, part_path))
        covered += math.prod(sub)
    extents_list = [extents for extents, _, _ in parts]
    partial = covered != math.prod(shape) and all(extents_list) and _slices.is_partial(extents_list, shape, covered)
    if covered != math.prod(shape) and not partial:
        raise CorruptCheckpointError(f"slices cover {covered} of {math.prod(shape)} elements", path=path,
                                     tensor=name)
    out = (np.zeros if partial else np.empty)(shape, dtype=to_numpy(dtype))  # partial: one part's slot (_slices)
    for region, sub, data, part_path in regions:
        target = out[region] if region else out
        target[...] = _values(data, dtype, sub, part_path, name)
    return out


def _values(proto: bytes, dtype: str, shape: tuple[int, ...], path: str, name: str):
    import numpy as np

    n = math.prod(shape)
    field_number, encoding = _VALUE_FIELD[dtype]
    decoded = message(proto, {field_number: encoding, _TENSOR_CONTENT: BYTES})
    chunks = [v for k, v in decoded if k == field_number]
    content = b"".join(v for k, v in decoded if k == _TENSOR_CONTENT)
    np_dtype = to_numpy(dtype)
    if content:
        if dtype == "string" or len(content) % np_dtype.itemsize:
            raise CorruptCheckpointError(f"tensor_content of {len(content)} bytes is not a whole number of {dtype} "
                                         "values", path=path, tensor=name)
        flat = np.frombuffer(content, dtype=np_dtype.newbyteorder("<") if np_dtype.kind != "V" else np_dtype)
    elif encoding == BYTES:
        flat = np.empty(len(chunks), dtype=object)
        flat[:] = chunks
    elif encoding == PACKED:
        ints = [x for c in chunks for x in c]
        if dtype in ("float16", "bfloat16"):
            _check_range(ints, 0, 0xFFFF, dtype, path, name)
            flat = np.array(ints, dtype=np.uint16).view(np_dtype)
        elif dtype == "bool":
            flat = np.array(ints, dtype=np.uint64).astype(bool)
        elif np_dtype.kind == "i":
            ints = [to_int64(x) for x in ints]
            info = np.iinfo(np_dtype)
            _check_range(ints, int(info.min), int(info.max), dtype, path, name)
            flat = np.array(ints, dtype=np.int64).astype(np_dtype)
        else:
            _check_range(ints, 0, int(np.iinfo(np_dtype).max), dtype, path, name)
            flat = np.array(ints, dtype=np.uint64).astype(np_dtype)
    else:  # little-endian floats; complex values are (re, im) pairs
        flat = np.frombuffer(b"".join(chunks), dtype="<f4" if encoding == PACKED32 else "<f8")
        if dtype.startswith("complex"):
            if flat.size % 2:
                raise CorruptCheckpointError("complex values are not (real, imaginary) pairs", path=path, tensor=name)
            flat = flat.view(np_dtype)
        else:
            flat = flat.astype(np_dtype)
    count = flat.size
    if count != n:
        raise CorruptCheckpointError(f"slice holds {count} values, its shape {list(shape)} needs {n}", path=path,
                                     tensor=name)
    return flat.reshape(shape)


def _check_range(ints: list[int], low: int, high: int, dtype: str, path: str, name: str) -> None:
    if ints and (min(ints) < low or max(ints) > high):
        bad = next(x for x in ints if not low <= x <= high)
        raise CorruptCheckpointError(f"value {bad} does not fit in {dtype}", path=path, tensor=name)
