"""PyTorch distributed checkpoints (``torch.distributed.checkpoint``, "DCP"), read without torch.

A DCP checkpoint is a directory: ``.metadata`` (a pickled ``Metadata``) plus data files ``__{rank}_{n}.distcp``.
``Metadata.state_dict_metadata`` maps each flattened name (fqn) to ``TensorStorageMetadata(properties, size,
chunks)`` - the global shape and dtype, and the chunks (per-dimension ``offsets`` and ``sizes``) that together
tile the tensor - or to ``BytesStorageMetadata`` (any other object, pickled). ``storage_data`` maps
``MetadataIndex(fqn, chunk offsets)`` to ``_StorageInfo(relative_path, offset, length)``: where that chunk's
bytes are. In the default serialization (torch 2.x, ``SerializationFormat.TORCH_SAVE``) each chunk is a complete
``torch.save`` zip of the chunk tensor at that offset. ``planner_data`` maps each fqn to its path in the nested
state dict that was saved (``("model", "fc.weight")``).

The metadata goes through the allow-list unpickler with DCP's classes as inert stand-ins (nothing is executed).
Opening reads only ``.metadata``; chunks are checked to lie inside the tensor, not to overlap and to cover it.
``read()`` fetches each chunk's byte range, parses its little zip, checks its CRC-32 and reassembles the tensor.
Checkpoints saved with ``SerializationFormat.SAFETENSORS`` (each data file a safetensors file of its rank's chunks,
named by fqn) are read through the safetensors reader.
"""

from __future__ import annotations

import functools
import io
import math
import os
import pickle
import re
import zlib
from typing import Any

from ..catalog import Catalog, TensorInfo
from ..errors import (
    CheckpointError,
    ChecksumError,
    CorruptCheckpointError,
    MissingShardError,
    UnsafePickleError,
    UnsupportedError,
)
from . import _io, _unpickler
from ._unpickler import ITEMSIZE, UNREADABLE_DTYPES, StorageRef, TensorRef

FORMAT = "torch-dcp"
METADATA_NAME = ".metadata"
_DATA_FILE = re.compile(r"^__\d+_\d+\.distcp$")
_MAX_METADATA_BYTES = 1 << 30
_MAX_CHUNK_PICKLE = 1 << 20


def is_dcp(path: str) -> bool:
    """True for a directory holding ``.metadata`` (the data files may be missing: ``read`` names them)."""
    return _io.isfile(_io.join(path, METADATA_NAME))


# --- the metadata's classes, as inert stand-ins -----------------------------------------------------------------

class _Frozen(type):
    """Metaclass of the stand-ins: a pickle can instantiate them but never change the classes themselves."""

    def __setattr__(cls, name, value):
        raise UnsafePickleError(f"pickle tries to modify the class {cls.__name__}")


class _Record(metaclass=_Frozen):
    """An instance built by NEWOBJ + BUILD from a state dict with exactly the expected fields (no others)."""

    _FIELDS: tuple[str, ...] = ()
    _REQUIRED: tuple[str, ...] = ()

    def __init__(self, *args):
        if args:
            raise CorruptCheckpointError(f"{type(self).__name__} built with arguments")

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 2 and state[0] is None:  # (None, slotstate) form
            state = state[1]
        if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
            raise CorruptCheckpointError(f"malformed {type(self).__name__} in .metadata")
        unknown = set(state) - set(self._FIELDS)
        if unknown:
            raise UnsupportedError(f"{type(self).__name__} has fields {sorted(unknown)} this reader does not know "
                                   "(written by a newer torch?)")
        missing = set(self._REQUIRED) - set(state)
        if missing:
            raise CorruptCheckpointError(f"{type(self).__name__} lacks {sorted(missing)}")
        for key in self._FIELDS:
            object.__setattr__(self, key, state.get(key))


# Field values come from the pickle unchecked (Any); every use checks the type it needs.

class _Metadata(_Record):
    _FIELDS = ("state_dict_metadata", "planner_data", "storage_data", "storage_meta", "version")
    _REQUIRED = ("state_dict_metadata",)
    state_dict_metadata: Any
    planner_data: Any
    storage_data: Any
    storage_meta: Any
    version: Any


class _TensorStorageMetadata(_Record):
    _FIELDS = ("properties", "size", "chunks")
    _REQUIRED = _FIELDS
    properties: Any
    size: Any
    chunks: Any


class _ChunkStorageMetadata(_Record):
    _FIELDS = ("offsets", "sizes")
    _REQUIRED = _FIELDS
    offsets: Any
    sizes: Any


class _BytesStorageMetadata(_Record):
    pass


class _StorageMeta(_Record):
    _FIELDS = ("checkpoint_id", "save_id", "load_id", "modules")


class _MetadataIndex(_Record):
    _FIELDS = ("fqn", "offset", "index")
    _REQUIRED = ("fqn",)
    fqn: Any
    offset: Any
    index: Any


class _StorageInfo(_Record):
    _FIELDS = ("relative_path", "offset", "length", "transform_descriptors")
    _REQUIRED = ("relative_path", "offset", "length")
    relative_path: Any
    offset: Any
    length: Any
    transform_descriptors: Any


class _TensorProperties(_Record):
    """Pickled through its ``__getstate__`` as (dtype, layout, requires_grad, memory format encoding, pin_memory)."""

    _FIELDS = ("dtype", "layout", "requires_grad", "memory_format", "pin_memory")

    def __setstate__(self, state):
        if isinstance(state, dict):
            return super().__setstate__(state)
        if not isinstance(state, tuple) or len(state) != 5:
            raise CorruptCheckpointError("malformed TensorProperties in .metadata")
        for key, value in zip(self._FIELDS, state, strict=False):
            object.__setattr__(self, key, value)


def _memory_format(value=0):
    if type(value) is not int or value not in (0, 1, 2):
        raise CorruptCheckpointError(f"unknown memory format encoding {value!r}")
    return ("contiguous_format", "channels_last", "preserve_format")[value]


def _layout(name=""):
    if not isinstance(name, str):
        raise CorruptCheckpointError("malformed tensor layout")
    return name


def _path(*parts):
    if not all(isinstance(p, str) for p in parts):
        raise CorruptCheckpointError("malformed path in .metadata")
    return "/".join(parts).replace("//", "/")


_DCP = "torch.distributed.checkpoint"
_CLASSES = {
    f"{_DCP}.metadata.Metadata": _Metadata,
    f"{_DCP}.metadata.TensorStorageMetadata": _TensorStorageMetadata,
    f"{_DCP}.metadata.ChunkStorageMetadata": _ChunkStorageMetadata,
    f"{_DCP}.metadata.BytesStorageMetadata": _BytesStorageMetadata,
    f"{_DCP}.metadata.StorageMeta": _StorageMeta,
    f"{_DCP}.metadata.MetadataIndex": _MetadataIndex,
    f"{_DCP}.metadata.TensorProperties": _TensorProperties,
    "torch.distributed._shard.sharded_tensor.metadata.TensorProperties": _TensorProperties,
    f"{_DCP}.filesystem._StorageInfo": _StorageInfo,
}
_FUNCTIONS = {
    f"{_DCP}.metadata._MEM_FORMAT_ENCODING": _memory_format,
    "torch.distributed._shard.sharded_tensor.metadata.MEM_FORMAT_ENCODING": _memory_format,
    "torch.serialization._get_layout": _layout,
    "pathlib.PosixPath": _path,
    "pathlib.WindowsPath": _path,
    "pathlib.PurePosixPath": _path,
    "pathlib.PureWindowsPath": _path,
}
_EXTRA = {name: _unpickler._Global(name, fn) for name, fn in _FUNCTIONS.items()}


class _MetadataUnpickler(_unpickler._RestrictedUnpickler):
    def find_class(self, module: str, name: str):
        qualname = f"{module}.{name}"
        return _CLASSES.get(qualname) or _EXTRA.get(qualname) or super().find_class(module, name)


def _load_metadata(raw: bytes, path: str) -> _Metadata:
    try:
        if __import__("copyreg")._inverted_registry:  # EXT opcodes would bypass find_class
            _unpickler._refuse_extensions(io.BytesIO(raw))
        obj = _MetadataUnpickler(io.BytesIO(raw), None).load()
    except CheckpointError as e:
        if e.path is None:
            e.path = path
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            OverflowError, RecursionError, MemoryError, UnicodeDecodeError) as e:
        raise CorruptCheckpointError(f"malformed pickle: {type(e).__name__}: {e}", path=path) from None
    if not isinstance(obj, _Metadata):
        raise CorruptCheckpointError(f".metadata holds a {type(obj).__name__}, not a DCP Metadata", path=path)
    if not isinstance(obj.state_dict_metadata, dict):
        raise CorruptCheckpointError("state_dict_metadata is not a dict", path=path)
    return obj


# --- checking and arranging ---------------------------------------------------------------------------------

def _dims(value, what: str, path: str, name: str) -> tuple[int, ...]:
    if isinstance(value, list):
        value = tuple(value)
    if not isinstance(value, tuple) or len(value) > 64 or not all(type(v) is int and v >= 0 for v in value):
        raise CorruptCheckpointError(f"{what} is not a tuple of non-negative integers: {str(value)[:80]}",
                                     path=path, tensor=name)
    return value


class _Chunk:
    __slots__ = ("offsets", "sizes", "file", "start", "length")

    def __init__(self, offsets, sizes, file, start, length):
        self.offsets, self.sizes, self.file, self.start, self.length = offsets, sizes, file, start, length


def _check_tiling(name: str, shape: tuple[int, ...], chunks: list[_Chunk], path: str) -> None:
    """Every chunk inside the tensor, no two overlapping, and together covering every element."""
    volume = 0
    for c in chunks:
        if len(c.offsets) != len(shape) or len(c.sizes) != len(shape):
            raise CorruptCheckpointError(f"chunk at {list(c.offsets)} has rank {len(c.offsets)}/{len(c.sizes)}, the "
                                         f"tensor rank {len(shape)}", path=path, tensor=name)
        if any(o + s > d for o, s, d in zip(c.offsets, c.sizes, shape, strict=False)):
            raise CorruptCheckpointError(f"chunk at {list(c.offsets)} of size {list(c.sizes)} lies outside the "
                                         f"tensor's shape {list(shape)}", path=path, tensor=name)
        volume += math.prod(c.sizes)
    # Sweep along the first dimension: only chunks whose first-dimension ranges meet can overlap.
    ordered = sorted((c for c in chunks if math.prod(c.sizes)), key=lambda c: c.offsets[:1])
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if shape and b.offsets[0] >= a.offsets[0] + a.sizes[0]:
                break
            if all(bo < ao + asz and ao < bo + bs
                   for ao, asz, bo, bs in zip(a.offsets, a.sizes, b.offsets, b.sizes, strict=False)):
                raise CorruptCheckpointError(f"chunks at {list(a.offsets)} and {list(b.offsets)} overlap",
                                             path=path, tensor=name)
    if volume != math.prod(shape):
        raise CorruptCheckpointError(f"chunks cover {volume} of the tensor's {math.prod(shape)} elements (a rank's "
                                     "shard is missing from the checkpoint)", path=path, tensor=name)


def read(path: str | os.PathLike, *, subtree: str | None = None) -> Catalog:
    """Open a DCP checkpoint directory (or its ``.metadata`` file) without torch.

    Args:
        path (`str`): the directory, local or an fsspec URL.
        subtree (`str`, *optional*): in a checkpoint of several state dicts (``{"model": ..., "optim": ...}``),
            the one holding the model, e.g. ``"model"``; as for ``torch.save`` files.

    Returns:
        A ``Catalog`` of every tensor under its state-dict name; non-tensor entries are counted in the notes.
    """
    from .torch_pickle import _arrange

    path = os.fspath(path)
    if _io.basename(path) == METADATA_NAME:
        path = _io.dirname(path)
    meta_path = _io.join(path, METADATA_NAME)
    try:
        with _io.open_file(meta_path) as f:
            size = _io.fsize(f)
            if size > _MAX_METADATA_BYTES:
                raise CorruptCheckpointError(f".metadata is {size} bytes, more than the {_MAX_METADATA_BYTES} "
                                             "allowed", path=meta_path)
            raw = f.read(size)
    except FileNotFoundError:
        raise MissingShardError("no .metadata in this directory: not a (complete) DCP checkpoint",
                                path=meta_path) from None
    except OSError as e:
        raise CheckpointError(f"cannot read: {e.strerror or e}", path=meta_path) from None
    meta = _load_metadata(raw, meta_path)
    storage = _storage_index(meta, meta_path)
    planner = meta.planner_data if isinstance(meta.planner_data, dict) else {}

    # A tree of the saved state dict (paths from planner_data), with TensorRef leaves, so that torch_pickle's
    # rules for training checkpoints (which sub-tree is the model, what is optimizer state) apply unchanged.
    tree: dict = {}
    refs: dict[int, tuple[str, _TensorStorageMetadata]] = {}
    bytes_entries = []
    for fqn, entry in meta.state_dict_metadata.items():
        if not isinstance(fqn, str):
            raise CorruptCheckpointError(f"state_dict_metadata key {fqn!r} is not a string", path=meta_path)
        route = planner.get(fqn, (fqn,))
        if not isinstance(route, tuple | list) or not route:
            raise CorruptCheckpointError(f"planner_data path {str(route)[:80]} is not a tuple", path=meta_path,
                                         tensor=fqn)
        if isinstance(entry, _BytesStorageMetadata):
            bytes_entries.append(fqn)
            leaf = object()
        elif isinstance(entry, _TensorStorageMetadata):
            leaf = _tensor_ref(fqn, entry, meta_path)
            refs[id(leaf)] = (fqn, entry)
        else:
            raise CorruptCheckpointError(f"entry is a {type(entry).__name__}, not tensor or bytes metadata",
                                         path=meta_path, tensor=fqn)
        node = tree
        for part in route[:-1]:
            node = node.setdefault(str(part), {})
            if not isinstance(node, dict):
                raise CorruptCheckpointError("planner_data paths contradict each other", path=meta_path, tensor=fqn)
        node[str(route[-1])] = leaf
    entries, notes, route = _arrange(tree, subtree, path)

    files: dict[str, str] = {}
    tensors: dict[str, TensorInfo] = {}
    for name, ref, kind, slot_name in entries:
        fqn, entry = refs[id(ref)]
        shape = ref.shape
        chunks = []
        for chunk in entry.chunks:
            if not isinstance(chunk, _ChunkStorageMetadata):
                raise CorruptCheckpointError("a chunk is not ChunkStorageMetadata", path=meta_path, tensor=fqn)
            offsets = _dims(chunk.offsets, "chunk offsets", meta_path, fqn)
            sizes = _dims(chunk.sizes, "chunk sizes", meta_path, fqn)
            where = storage.get((fqn, offsets))
            if where is None:
                raise CorruptCheckpointError(f"chunk at {list(offsets)} has no storage_data entry (where its bytes "
                                             "are)", path=meta_path, tensor=fqn)
            rel, start, length, transforms = where
            if transforms:
                raise UnsupportedError(f"chunk at {list(offsets)} is stored through stream transforms {transforms} "
                                       "(e.g. compression), which this reader does not implement", path=meta_path,
                                       tensor=fqn)
            file = files.setdefault(rel, _io.join(path, rel))
            chunks.append(_Chunk(offsets, sizes, file, start, length))
        _check_tiling(fqn, shape, chunks, meta_path)
        locations = sorted({_io.basename(c.file) for c in chunks})
        tensors[name] = TensorInfo(
            name=name, dtype=ref.dtype, shape=shape, nbytes=math.prod(shape) * ITEMSIZE[ref.dtype], kind=kind,
            slot_name=slot_name, location=", ".join(locations[:3]) + (" ..." if len(locations) > 3 else ""),
            partitions=len(chunks) if len(chunks) > 1 else 0, _reader=_reader(fqn, ref.dtype, shape, chunks, name))
    if bytes_entries:
        notes.append(f"{len(bytes_entries)} non-tensor entr{'y' if len(bytes_entries) == 1 else 'ies'} (pickled "
                     f"objects, not read): {', '.join(bytes_entries[:5])}{' ...' if len(bytes_entries) > 5 else ''}")
    if isinstance(meta.version, str):
        notes.append(f"DCP metadata version {meta.version}")
    all_files = tuple(sorted(files.values()))
    missing = tuple(f for f in all_files if not _io.exists(f))
    return Catalog(path, FORMAT, tensors, files=(meta_path, *all_files), missing_files=missing, notes=tuple(notes),
                   state_dict_at=route)


def _tensor_ref(fqn: str, entry: _TensorStorageMetadata, path: str) -> TensorRef:
    props = entry.properties
    dtype = getattr(getattr(props, "dtype", None), "dtype", None)
    if not isinstance(props, _TensorProperties) or dtype not in ITEMSIZE:
        raise CorruptCheckpointError("tensor properties carry no torch dtype", path=path, tensor=fqn)
    shape = _dims(entry.size, "tensor size", path, fqn)
    if not isinstance(entry.chunks, list):
        raise CorruptCheckpointError("chunks is not a list", path=path, tensor=fqn)
    return TensorRef(None, 0, shape, (), dtype)


def _storage_index(meta: _Metadata, path: str) -> dict:
    """(fqn, chunk offsets) -> (relative path, offset, length, transforms), each checked."""
    if not isinstance(meta.storage_data, dict):
        raise CorruptCheckpointError("storage_data is missing: the checkpoint does not say where its bytes are",
                                     path=path)
    out = {}
    for index, info in meta.storage_data.items():
        if not isinstance(index, _MetadataIndex) or not isinstance(info, _StorageInfo):
            raise CorruptCheckpointError("storage_data is not MetadataIndex -> _StorageInfo", path=path)
        fqn = index.fqn
        rel = info.relative_path
        if not isinstance(rel, str) or rel.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", rel) or \
                re.match(r"^[A-Za-z]:", rel) or "\x00" in rel or "://" in rel:
            raise CorruptCheckpointError(f"storage path {str(rel)[:80]!r} points outside the checkpoint directory",
                                         path=path, tensor=fqn if isinstance(fqn, str) else None)
        if type(info.offset) is not int or type(info.length) is not int or info.offset < 0 or info.length < 0:
            raise CorruptCheckpointError(f"storage range ({info.offset!r}, {info.length!r}) is not two non-negative "
                                         "integers", path=path, tensor=fqn if isinstance(fqn, str) else None)
        offsets = _dims(index.offset if index.offset is not None else (), "storage index offsets", path, str(fqn))
        out[(fqn, offsets)] = (rel, info.offset, info.length, tuple(info.transform_descriptors or ()))
    return out


# --- reading ------------------------------------------------------------------------------------------------

def _reader(fqn: str, dtype: str, shape: tuple[int, ...], chunks: list[_Chunk], name: str | None = None):
    """The tensor's reader; its errors name it ``name``, as the catalog lists it (``a.weight``, not DCP's
    ``model.a.weight``)."""
    def read():
        try:
            return _read(fqn, dtype, shape, chunks)
        except CheckpointError as e:
            if name is not None and e.tensor == fqn:
                e.tensor = name
            raise

    return read


def _read(fqn: str, dtype: str, shape: tuple[int, ...], chunks: list[_Chunk]):
    import numpy as np

    from .torch_pickle import _numpy_dtype

    if dtype in UNREADABLE_DTYPES:
        raise UnsupportedError(f"dtype {dtype} has no numpy equivalent", path=chunks[0].file if chunks else None,
                               tensor=fqn)
    dt = _numpy_dtype(dtype, chunks[0].file if chunks else "", fqn)
    if len(chunks) == 1 and chunks[0].sizes == shape:
        return _read_chunk(fqn, dtype, chunks[0], dt)
    out = np.empty(shape, dtype=dt)
    for c in chunks:
        if math.prod(c.sizes):
            region = tuple(slice(o, o + s) for o, s in zip(c.offsets, c.sizes, strict=False))
            out[region] = _read_chunk(fqn, dtype, c, dt)
    return out


@functools.lru_cache(maxsize=256)
def _safetensors_file(path: str) -> bool:
    """DCP's ``SerializationFormat.SAFETENSORS``: each data file is a safetensors file of its rank's chunks."""
    from ._zip import read_magic

    head = read_magic(path, 9)
    return len(head) == 9 and head[8:9] == b"{"


def _read_safetensors_chunk(fqn: str, dtype: str, c: _Chunk):
    from .safetensors import _read_file

    tensors, _, _ = _read_file(c.file)  # the header only
    info = tensors.get(fqn)
    if info is None:
        raise CorruptCheckpointError("the metadata puts a chunk of this tensor in this file, which does not hold it",
                                     path=c.file, tensor=fqn)
    if info.dtype != dtype or info.shape != c.sizes:
        raise CorruptCheckpointError(f"file holds {info.dtype}{list(info.shape)}, the metadata says "
                                     f"{dtype}{list(c.sizes)}", path=c.file, tensor=fqn)
    return info.read()


def _read_chunk(fqn: str, dtype: str, c: _Chunk, dt):
    """One chunk: its byte range holds a ``torch.save`` zip of the chunk tensor (or, in the safetensors
    serialization, the file is a safetensors file holding the chunk under the tensor's name)."""
    from .torch_pickle import _byte_range, _pid, _to_array

    if _safetensors_file(c.file):
        return _read_safetensors_chunk(fqn, dtype, c)

    where = f"{c.file} [{c.start}, {c.start + c.length})"
    if _io.is_url(c.file):
        data = _io.read_range(c.file, c.start, c.length, tensor=fqn, coalesce=True)
    else:
        from ._zip import read_file_range

        try:
            data = read_file_range(c.file, c.start, c.length, tensor=fqn)
        except CheckpointError as e:
            if not os.path.exists(c.file):
                raise MissingShardError("data file is missing: the checkpoint is incomplete", path=c.file,
                                        tensor=fqn) from None
            raise e
    members = _zip_members(data, where, fqn)
    view = memoryview(data)
    pkl = [n for n in members if n.endswith("/data.pkl") and n.count("/") == 1]
    if len(pkl) != 1:
        raise CorruptCheckpointError("chunk is not a torch.save archive (no <root>/data.pkl)", path=where, tensor=fqn)
    root = pkl[0][:-len("/data.pkl")]
    order = members.get(f"{root}/byteorder")
    big_endian = order is not None and bytes(view[order[0]:order[0] + order[1]]).strip() == b"big"
    start, size = members[pkl[0]]
    if size > _MAX_CHUNK_PICKLE:
        raise CorruptCheckpointError(f"chunk's data.pkl is {size} bytes", path=where, tensor=fqn)

    def persistent_load(pid):
        _, storage_type, key, location, numel = _pid(pid, 5, where)
        return StorageRef(key, _unpickler.storage_type(storage_type), numel, location)

    t = _unpickler.load(io.BytesIO(bytes(view[start:start + size])), path=where, persistent_load=persistent_load)
    if not isinstance(t, TensorRef) or t.storage is None:
        raise CorruptCheckpointError("chunk does not hold a tensor", path=where, tensor=fqn)
    if t.dtype != dtype or t.shape != c.sizes:
        raise CorruptCheckpointError(f"chunk holds {t.dtype}{list(t.shape)}, the metadata says {dtype}{list(c.sizes)}",
                                     path=where, tensor=fqn)
    member = members.get(f"{root}/data/{t.storage.key}")
    if member is None:
        raise CorruptCheckpointError(f"chunk has no storage member {t.storage.key!r}", path=where, tensor=fqn)
    s_start, s_size = member
    lo, length = _byte_range(t, t.storage, s_size, where, fqn)
    return _to_array(view[s_start + lo:s_start + lo + length], t, big_endian, where, fqn)


def _zip_members(data: bytearray, where: str, tensor: str) -> dict[str, tuple[int, int]]:
    """Stored members of an in-memory zip: name -> (start, size) of their bytes, each CRC-32 checked."""
    import struct
    import zipfile

    try:
        with zipfile.ZipFile(_MemoryFile(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, struct.error, NotImplementedError,
            UnicodeDecodeError) as e:
        raise CorruptCheckpointError(f"chunk is not a valid zip archive: {e}", path=where, tensor=tensor) from None
    out = {}
    for info in infos:
        if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
            raise UnsupportedError(f"chunk member {info.filename!r} is compressed or encrypted", path=where,
                                   tensor=tensor)
        h = info.header_offset
        if h + 30 > len(data) or data[h:h + 4] != b"PK\x03\x04":
            raise CorruptCheckpointError(f"chunk member {info.filename!r} has no local header", path=where,
                                         tensor=tensor)
        n, extra = struct.unpack_from("<HH", data, h + 26)
        start = h + 30 + n + extra
        if start + info.file_size > len(data):
            raise CorruptCheckpointError(f"chunk member {info.filename!r} runs past the chunk's byte range",
                                         path=where, tensor=tensor)
        if zlib.crc32(memoryview(data)[start:start + info.file_size]) != info.CRC:
            raise ChecksumError(f"chunk member {info.filename!r} fails its CRC-32 check: the bytes are damaged",
                                path=where, tensor=tensor)
        out[info.filename] = (start, info.file_size)
    return out


class _MemoryFile(_io.SeekableReader):
    """A read-only file over a buffer, without copying it (io.BytesIO would)."""

    def __init__(self, data):
        self._view, self._pos = memoryview(data), 0
        self._size = len(self._view)

    def readinto(self, b) -> int:
        n = max(0, min(len(b), len(self._view) - self._pos))
        memoryview(b)[:n] = self._view[self._pos:self._pos + n]
        self._pos += n
        return n
