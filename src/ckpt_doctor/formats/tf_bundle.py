"""TensorFlow V2 tensor bundles: ``<prefix>.index`` (an SSTable of protos) + ``<prefix>.data-NNNNN-of-MMMMM``.

Opening reads only the index (and, for TF2 checkpoints, the small serialized object graph); tensor bytes are
read, CRC-checked and converted only in ``TensorInfo.read()``.
"""

from __future__ import annotations

import functools
import math
import os
from typing import NamedTuple

from .._gc import paused_gc
from ..catalog import Catalog, TensorInfo
from ..dtypes import ITEMSIZE, OPAQUE, TF_DTYPES
from ..errors import CorruptCheckpointError, MissingShardError, UnsupportedError
from . import _io, _ordered_code, _slices, _sstable, _tensor_bytes, _tf_meta, _tf_names
from ._wire import BYTES, FIXED32, PACKED, VARINT, Schema, WireError, message, to_int32, to_int64, varint

FORMAT = "tf-v2"
OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
_CONSUMER_VERSION = 1  # kTensorBundleVersion: the version this reader implements
_MAX_SHARDS = 1 << 20
_MAX_RANK = 254  # TensorFlow's limit (TensorShape's kMaxDims)
_NUMPY_RANK = 64  # numpy's: a deeper tensor is listed and its checksum checked, its value not read
_SHARDS_WITHOUT_ENTRIES = 1024  # more shards than this and than entries: a damaged header, not a real checkpoint
_HEADER: Schema = {1: VARINT, 2: VARINT, 3: BYTES}
_VERSION: Schema = {1: VARINT, 2: VARINT, 3: PACKED}
_SHAPE: Schema = {2: BYTES, 3: VARINT}
_DIM: Schema = {1: VARINT}
_ENTRY: Schema = {1: VARINT, 2: BYTES, 3: VARINT, 4: VARINT, 5: VARINT, 6: FIXED32, 7: BYTES}
_SLICE: Schema = {1: BYTES}
_EXTENT: Schema = {1: VARINT, 2: VARINT}


def data_path(prefix: str, shard: int, num_shards: int) -> str:
    return f"{prefix}.data-{shard:05d}-of-{num_shards:05d}"


class _Entry(NamedTuple):
    dtype: str
    shape: tuple[int, ...]
    shard: int
    offset: int
    size: int
    crc: int
    slices: tuple[tuple[tuple[int, int], ...], ...]  # per slice: (start, length) per dim, length -1 = whole dim


def read(prefix: str | os.PathLike) -> Catalog:
    """Open the bundle at ``prefix`` (the path without ``.index``)."""
    prefix = os.fspath(prefix)
    index = prefix + ".index"
    try:
        with paused_gc():  # one object per entry, all kept: collection passes would only slow listing down
            return _read(prefix, index)
    except WireError as e:
        raise CorruptCheckpointError(f"malformed index record: {e}", path=index) from None


def _linked_index(prefix: str, index: str, num_shards: int) -> str:
    """Why the data of a bundle named through a symlinked ``.index`` is not found, and what to name instead."""
    target = os.path.realpath(index)
    target_prefix = target[:-len(".index")] if target.endswith(".index") else target
    here = all(os.path.exists(data_path(target_prefix, i, num_shards)) for i in range(num_shards))
    return (f"{os.path.basename(index)} is a symlink to {target}; TensorFlow looks for the data by the name it is "
            f"given ({os.path.basename(data_path(prefix, 0, num_shards))}, ...), not beside the link's target: "
            + (f"name {target_prefix} (its data is there), or link the data files too" if here else
               "link the data files too"))


def _read(prefix: str, index: str) -> Catalog:
    records = _sstable.read_table(index)
    if not records or records[0][0] != b"":
        raise CorruptCheckpointError("index has no header record (first key must be empty)", path=index)
    num_shards, big_endian = _header(records[0][1], index)
    names = {key: _name(key) for key, _ in records[1:]}
    entries: dict[bytes, _Entry] = {key: _entry(value, index, names[key]) for key, value in records[1:]}

    if num_shards > max(_SHARDS_WITHOUT_ENTRIES, len(records)):
        raise CorruptCheckpointError(f"header declares {num_shards} data shards for {len(records) - 1} entries: a "
                                     "damaged header", path=index)
    shards = tuple(data_path(prefix, i, num_shards) for i in range(num_shards))
    shard_sizes = [_size_or_none(p) for p in shards]
    missing = tuple(p for p, n in zip(shards, shard_sizes, strict=False) if n is None)
    shard_names = [os.path.basename(p) for p in shards]
    tensors: dict[str, TensorInfo] = {}
    beyond: list[str] = []  # entries claiming bytes their (present) shard does not have: listed, flagged in a note
    partial: list[str] = []  # partitioned entries whose slices hold part of their shape (TF1 slots of a part)
    for key, entry in entries.items():
        if key.startswith(b"\x00"):  # a slice of a partitioned variable: listed via its full key, as TF does
            continue
        name = names[key]
        if entry.shard >= num_shards:
            raise CorruptCheckpointError(f"entry is in shard {entry.shard} but the header declares {num_shards} "
                                         "shard(s)", path=index, tensor=name)
        if entry.slices:
            stored = sum(entries[k].size for k in _slice_keys(key, entry) if k in entries)
            nbytes = math.prod(entry.shape) * ITEMSIZE.get(entry.dtype, 0) or stored
            held = _slices.covered(entry.slices, entry.shape) * ITEMSIZE.get(entry.dtype, 0)
            if held == stored and _slices.is_partial(entry.slices, entry.shape):  # one part's slot: see _slices
                partial.append(name)
            elif nbytes > stored:
                beyond.append(name)
            reader = _partitioned_reader(prefix, num_shards, big_endian, key, entry, entries, index)
        else:
            nbytes = entry.size
            have = shard_sizes[entry.shard]
            if have is not None and entry.offset + entry.size > have:
                beyond.append(name)
            reader = _plain_reader(prefix, num_shards, big_endian, name, entry)
        if len(entry.shape) > _NUMPY_RANK:
            reader = _too_deep(len(entry.shape), index, name)
        tensors[name] = TensorInfo(name=name, dtype=entry.dtype, shape=entry.shape, nbytes=nbytes,
                                   location=shard_names[entry.shard] if entry.shard < num_shards else "",
                                   partitions=len(entry.slices), _reader=reader,
                                   _checker=_plain_checker(prefix, num_shards, name, entry)
                                   if not entry.slices and ITEMSIZE.get(entry.dtype) else
                                   _variant_checker(prefix, num_shards, name, entry)
                                   if not entry.slices and entry.dtype == "variant" else None)
    graph_entry = entries.get(OBJECT_GRAPH_KEY.encode())
    graph_bytes = None if graph_entry is None else \
        (lambda: _string_scalar(prefix, num_shards, OBJECT_GRAPH_KEY, graph_entry))
    notes, objects = _tf_names.annotate(tensors, OBJECT_GRAPH_KEY, graph_bytes)
    if beyond:
        shown = ", ".join(beyond[:5]) + (" ..." if len(beyond) > 5 else "")
        notes += ((f"{len(beyond)} entr{'y claims' if len(beyond) == 1 else 'ies claim'} more bytes than the data "
                   f"shards hold (truncated data file or corrupt index); the sizes listed for them are the index's "
                   f"claim, not data: {shown}"),)
    if partial:
        notes += (_slices.note(partial),)
    if missing and os.path.islink(index):
        notes = (_linked_index(prefix, index, num_shards),) + tuple(notes)
    return Catalog(prefix, FORMAT, tensors, files=(index, *shards), missing_files=missing, notes=notes,
                   objects=objects, creation_order=None if objects else functools.partial(_tf_meta.creation_order,
                                                                                          prefix))


def _size_or_none(path: str) -> int | None:
    if _io.is_url(path):
        return _io.getsize(path) if _io.exists(path) else None
    try:
        return os.path.getsize(path)
    except OSError:
        return None


def _name(key: bytes) -> str:
    # Keys are raw bytes; names are almost always UTF-8, and surrogateescape keeps any other byte round-trippable.
    return key.decode("utf-8", "surrogateescape")


def _header(value: bytes, index: str) -> tuple[int, bool]:
    num_shards, endianness, version = 1, 0, b""
    for number, v in message(value, _HEADER):
        if number == 1:
            num_shards = to_int32(v)
        elif number == 2:
            endianness = v
        elif number == 3:
            version = v
    producer = min_consumer = 0
    bad_consumers: list[int] = []
    for number, v in message(version, _VERSION):
        if number == 1:
            producer = to_int32(v)
        elif number == 2:
            min_consumer = to_int32(v)
        elif number == 3:
            bad_consumers += [to_int32(x) for x in v]
    if min_consumer > _CONSUMER_VERSION or _CONSUMER_VERSION in bad_consumers:
        raise UnsupportedError(f"bundle format version {producer} needs a reader of version >= {min_consumer} "
                               f"(this reader implements {_CONSUMER_VERSION})", path=index)
    if not 1 <= num_shards <= _MAX_SHARDS:
        raise CorruptCheckpointError(f"header declares {num_shards} data shards", path=index)
    if endianness not in (0, 1):
        raise CorruptCheckpointError(f"header declares unknown endianness {endianness}", path=index)
    return num_shards, endianness == 1


def _shape(value: bytes, index: str, name: str) -> tuple[int, ...]:
    dims = []
    for number, v in message(value, _SHAPE):
        if number == 2:
            size = 0
            for _, d in message(v, _DIM):
                size = to_int64(d)
            if size < 0:
                raise CorruptCheckpointError(f"negative dimension {size} in shape", path=index, tensor=name)
            dims.append(size)
            if len(dims) > _MAX_RANK:
                raise UnsupportedError(f"shape has more than {_MAX_RANK} dimensions", path=index, tensor=name)
        elif number == 3 and v:
            raise CorruptCheckpointError("shape of unknown rank in a saved tensor", path=index, tensor=name)
    return tuple(dims)


def _entry(value: bytes, index: str, name: str) -> _Entry:
    """Decode a BundleEntryProto. The common record (fields 1-6, one-byte tags, small shape) takes a fast path;
    anything else goes through the general decoder."""
    try:  # the fast path only recognises; anything it trips over is decided by the general decoder
        fast = _entry_fast(value)
    except (IndexError, WireError):
        fast = None
    if fast is not None:
        dtype_enum, shape, shard, offset, size, crc, slices = fast
    else:
        dtype_enum, shape, shard, offset, size, crc, slices = _entry_general(value, index, name)
    return _check_entry(dtype_enum, shape, shard, offset, size, crc, slices, index, name)


def _entry_fast(b: bytes):
    """Fields in TF's writing order: dtype(08) shape(12) [shard(18)] [offset(20)] [size(28)] crc(35).

    Returns None for anything unusual (slices, unknown rank, named dims, multi-byte lengths), which the
    general decoder then handles and validates. One-byte varints (most of them) are decoded inline.
    """
    end = len(b)
    if end < 7 or b[0] != 0x08 or b[2] != 0x12 or b[1] & 0x80 or b[3] & 0x80:
        return None
    dtype, n, pos = b[1], b[3], 4
    shape_end = pos + n
    if shape_end > end:
        return None
    dims = []
    while pos < shape_end:
        if b[pos] != 0x12 or pos + 1 >= shape_end:
            return None
        m = b[pos + 1]
        pos += 2
        if m == 0:
            dims.append(0)
            continue
        if b[pos] != 0x08:
            return None
        d = b[pos + 1]
        if d < 0x80:
            q = pos + 2
        else:
            d, q = varint(b, pos + 1)
        if q != pos + m or d >= 1 << 63:
            return None
        dims.append(d)
        pos = q
    shard = offset = size = 0
    if pos < end and b[pos] == 0x18:
        shard, pos = (b[pos + 1], pos + 2) if b[pos + 1] < 0x80 else varint(b, pos + 1)
    if pos < end and b[pos] == 0x20:
        offset, pos = varint(b, pos + 1)
    if pos < end and b[pos] == 0x28:
        size, pos = varint(b, pos + 1)
    if pos + 5 != end or b[pos] != 0x35 or len(dims) > _MAX_RANK:
        return None
    crc = int.from_bytes(b[pos + 1:pos + 5], "little")
    return dtype, tuple(dims), to_int32(shard), to_int64(offset), to_int64(size), crc, ()


def _entry_general(value: bytes, index: str, name: str):
    dtype_enum, shard, offset, size, crc = 0, 0, 0, 0, 0
    shape: tuple[int, ...] = ()
    slices: list[tuple[tuple[int, int], ...]] = []
    for number, v in message(value, _ENTRY):
        if number == 1:
            dtype_enum = v
        elif number == 2:
            shape = _shape(v, index, name)
        elif number == 3:
            shard = to_int32(v)
        elif number == 4:
            offset = to_int64(v)
        elif number == 5:
            size = to_int64(v)
        elif number == 6:
            crc = v
        elif number == 7:
            slices.append(_slice(v))
    return dtype_enum, shape, shard, offset, size, crc, tuple(slices)


def _check_entry(dtype_enum, shape, shard, offset, size, crc, slices, index: str, name: str) -> _Entry:
    if dtype_enum not in TF_DTYPES:
        known = {29: "int4", 30: "uint4", 31: "int2", 32: "uint2", 33: "float4_e2m1fn"}.get(dtype_enum)
        what = f"dtype {known} (enum {dtype_enum}) is not supported" if known else \
            f"unknown dtype enum {dtype_enum} (written by a newer TensorFlow?)"
        raise UnsupportedError(what, path=index, tensor=name)
    dtype, itemsize = TF_DTYPES[dtype_enum]
    if shard < 0 or offset < 0 or size < 0:
        raise CorruptCheckpointError(f"negative shard/offset/size ({shard}/{offset}/{size})", path=index, tensor=name)
    if itemsize and not slices and math.prod(shape) * itemsize != size:
        raise CorruptCheckpointError(f"shape {list(shape)} of {dtype} needs {math.prod(shape) * itemsize} bytes but "
                                     f"the entry stores {size}", path=index, tensor=name)
    for extents in slices:
        if len(extents) != len(shape):
            raise CorruptCheckpointError(f"slice of rank {len(extents)} for a tensor of rank {len(shape)}",
                                         path=index, tensor=name)
        for (start, length), dim in zip(extents, shape, strict=False):
            if start < 0 or (length != -1 and (length < 0 or start + length > dim)):
                raise CorruptCheckpointError(f"slice {extents} lies outside shape {list(shape)}", path=index,
                                             tensor=name)
    return _Entry(dtype, shape, shard, offset, size, crc, slices)


def _slice(value: bytes) -> tuple[tuple[int, int], ...]:
    extents = []
    for _, v in message(value, _SLICE):
        start, length = 0, -1
        for n, x in message(v, _EXTENT):
            if n == 1:
                start = to_int64(x)
            else:
                length = to_int64(x)
        extents.append((start, length))
    return tuple(extents)


def _slice_keys(key: bytes, entry: _Entry) -> list[bytes]:
    return [_ordered_code.slice_key(key, list(extents)) for extents in entry.slices]


def _plain_reader(prefix: str, num_shards: int, big_endian: bool, name: str, entry: _Entry):
    def read():
        path = data_path(prefix, entry.shard, num_shards)
        buf, crc = _tensor_bytes.read_range(path, entry.offset, entry.size, name)
        if entry.dtype == "string":
            return _tensor_bytes.string_array(buf, entry.shape, entry.crc, path, name)
        if entry.dtype in OPAQUE:
            raise UnsupportedError(f"values of dtype {entry.dtype} cannot be read as arrays", path=path, tensor=name)
        _tensor_bytes.check_crc(entry.crc, crc, path, name)
        return _tensor_bytes.fixed_width_array(buf, entry.dtype, entry.shape, big_endian)

    return read


def _string_scalar(prefix: str, num_shards: int, name: str, entry: _Entry) -> bytes:
    """The one value of a scalar string entry, without numpy (listing a TF2 checkpoint reads its object graph)."""
    if entry.dtype != "string" or math.prod(entry.shape) != 1:
        raise CorruptCheckpointError(f"expected a scalar string, found {entry.dtype}{list(entry.shape)}",
                                     path=prefix, tensor=name)
    path = data_path(prefix, entry.shard, num_shards)
    buf, _ = _tensor_bytes.read_range(path, entry.offset, entry.size, name, as_bytes=True)
    return _tensor_bytes.strings(buf, 1, entry.crc, path, name)[0]


def _variant_checker(prefix: str, num_shards: int, name: str, entry: _Entry):
    """A variant's values are not decoded (verify checks its checksums all the same)."""
    def check():
        path = data_path(prefix, entry.shard, num_shards)
        buf, _ = _tensor_bytes.read_range(path, entry.offset, entry.size, name, as_bytes=True)
        _tensor_bytes.check_variants(buf, math.prod(entry.shape), entry.crc, path, name)

    return check


def _too_deep(rank: int, index: str, name: str):
    def read():
        raise UnsupportedError(f"a tensor of rank {rank}: numpy arrays have at most {_NUMPY_RANK} dimensions (its "
                               "checksum is still checked)", path=index, tensor=name)

    return read


def _plain_checker(prefix: str, num_shards: int, name: str, entry: _Entry):
    def check():
        path = data_path(prefix, entry.shard, num_shards)
        _tensor_bytes.check_range(path, entry.offset, entry.size, entry.crc, name)

    return check


def _partitioned_reader(prefix, num_shards, big_endian, key: bytes, entry: _Entry, entries, index: str):
    name = _name(key)

    def read():
        import numpy as np

        from ..dtypes import to_numpy

        if not ITEMSIZE.get(entry.dtype):
            raise UnsupportedError(f"a partitioned variable of dtype {entry.dtype} cannot be reassembled", path=index,
                                   tensor=name)
        # Everything is checked against the slices' own entries before the full array is allocated: the full
        # shape is only a claim, the slices' sizes are checked against the shards when they are read.
        parts = []
        covered = 0
        for extents, skey in zip(entry.slices, _slice_keys(key, entry), strict=False):
            part = entries.get(skey)
            region = tuple(slice(s, None if n == -1 else s + n) for s, n in extents)
            expected = tuple(dim - s if n == -1 else n for (s, n), dim in zip(extents, entry.shape, strict=False))
            if part is None:
                raise CorruptCheckpointError(f"slice {list(extents)} of a partitioned variable has no entry",
                                             path=index, tensor=name)
            if part.shape != expected or part.dtype != entry.dtype:
                raise CorruptCheckpointError(f"slice {list(extents)} is stored as {part.dtype}{list(part.shape)}, "
                                             f"expected {entry.dtype}{list(expected)}", path=index, tensor=name)
            shard = data_path(prefix, part.shard, num_shards)
            have = _size_or_none(shard)
            if have is None:
                raise MissingShardError("data shard is missing: the checkpoint is incomplete", path=shard,
                                        tensor=name)
            if part.offset + part.size > have:
                raise CorruptCheckpointError(f"slice {list(extents)} claims bytes [{part.offset}, "
                                             f"{part.offset + part.size}) but the shard has only {have} bytes",
                                             path=shard, tensor=name)
            parts.append((region, part))
            covered += math.prod(expected)
        if covered != math.prod(entry.shape) and not _slices.is_partial(entry.slices, entry.shape, covered):
            raise CorruptCheckpointError(f"slices cover {covered} of {math.prod(entry.shape)} elements",
                                         path=index, tensor=name)
        # fewer: a TF1 optimizer's slot of one part of a partitioned variable (see _slices); the rest is zeros
        make = np.empty if covered == math.prod(entry.shape) else np.zeros
        out = make(entry.shape, dtype=to_numpy(entry.dtype))
        for region, part in parts:
            out[region] = _plain_reader(prefix, num_shards, big_endian, name, part)()
        return out

    return read
