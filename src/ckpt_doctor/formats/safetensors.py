"""safetensors files, read from the spec (no ``safetensors`` package): single files and sharded indexes.

Layout: an unsigned 64-bit little-endian ``N``, an ``N``-byte UTF-8 JSON header (must begin with ``{``), then the
byte buffer. The header maps each tensor name to ``{"dtype", "shape", "data_offsets": [begin, end]}`` (offsets
relative to the buffer) plus an optional ``"__metadata__"`` of string to string. Checked here, as the reference
implementation does: the header is a JSON object with no duplicate keys and fits in the file; every size matches
its shape and dtype; the tensors tile the buffer exactly, in order, with no overlap and no hole.

Sharded checkpoints (``model.safetensors.index.json``): ``{"metadata": {...}, "weight_map": {name: shard file}}``.

Opening reads only headers; ``read()`` reads one tensor's byte range.
"""

from __future__ import annotations

import functools
import json
import os

from ..catalog import Catalog, TensorInfo
from ..dtypes import BITS, FROM_SAFETENSORS
from ..errors import (
    CheckpointError,
    CorruptCheckpointError,
    NotACheckpointError,
    TruncatedError,
    UnsupportedError,
)
from . import _io, _shard_index, _zip

FORMAT = "safetensors"
INDEX_NAME = "model.safetensors.index.json"
_INDEX_SUFFIX = ".safetensors.index.json"  # sharded files saved under another name: ``diffusion_pytorch_model...``
MAX_HEADER_BYTES = 100 << 20  # the reference implementation's limit

# safetensors dtype -> (canonical dtype, bits per element). Sub-byte types are listed but cannot be read.
DTYPES: dict[str, tuple[str, int]] = {st: (name, BITS[name]) for st, name in FROM_SAFETENSORS.items()}
# Starts of the other formats (zip, .npy, HDF5, pickle): a misnamed file is left to its own reader.
_OTHER_MAGICS = (b"PK", b"\x93NUMPY", b"\x89HDF", b"\x80")
_SUB_BYTE = frozenset(name for name, bits in DTYPES.values() if bits % 8)


def sniff(path: str) -> bool:
    """True for a safetensors file (a plausible header length followed by ``{``) or a safetensors index."""
    head = _zip.read_magic(path, 9)
    if len(head) == 9 and head[8:9] == b"{":
        try:
            if 8 + int.from_bytes(head[:8], "little") <= os.path.getsize(path):
                return True
        except OSError:
            return False
    if path.endswith(".safetensors") and len(head) >= 8 and not head.startswith(_OTHER_MAGICS):
        return True  # named like one and not another format: let read() say what is wrong with it
    return _is_index(path) or _named_index(path)


def read(path: str | os.PathLike) -> Catalog:
    """Open a ``.safetensors`` file or a sharded ``*.safetensors.index.json``.

    Args:
        path (`str`): the file, or the index of a sharded checkpoint.

    Returns:
        A ``Catalog`` by tensor name (sorted, as ``safe_open(...).keys()`` lists them); ``__metadata__`` entries
        appear as notes.

    Example:
        ``read("model.safetensors")["lm_head.weight"].dtype`` is, for instance, ``'bfloat16'``.
    """
    path = os.fspath(path)
    if _is_index(path) or _named_index(path):
        return _read_index(path)
    tensors, metadata, notes = _read_file(path)
    notes += tuple(f"metadata {k} = {v}" for k, v in sorted(metadata.items()))
    return Catalog(path, FORMAT, dict(sorted(tensors.items())), files=(path,), notes=notes)


def _read_file(path: str) -> tuple[dict[str, TensorInfo], dict[str, str], tuple[str, ...]]:
    try:
        with _io.open_file(path) as f:
            size = _io.fsize(f)
            prefix = f.read(8)
            if len(prefix) < 8:
                raise CorruptCheckpointError(f"file has {size} bytes, too short for a safetensors header", path=path)
            n = int.from_bytes(prefix, "little")
            if (n > MAX_HEADER_BYTES or 8 + n > size) and f.read(1) != b"{":
                # the header of every safetensors file starts with "{": this is another file under that name
                raise NotACheckpointError(f"not a safetensors file, though named like one: its first bytes "
                                          f"{prefix!r} are no header length and no header follows them", path=path)
            f.seek(8)
            if n > MAX_HEADER_BYTES:
                raise CorruptCheckpointError(f"header claims {n} bytes, more than the {MAX_HEADER_BYTES} allowed",
                                             path=path)
            if 8 + n > size:
                raise TruncatedError(f"header claims {n} bytes but the file has only {size}: truncated",
                                             path=path)
            raw = f.read(n)
    except OSError as e:
        raise CheckpointError(f"cannot read: {e.strerror or e}", path=path) from None
    header = _parse_header(raw, path)
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                 for k, v in metadata.items()):
        raise CorruptCheckpointError("__metadata__ must map strings to strings", path=path)
    start = 8 + n
    buffer_size = size - start
    entries = []
    for name, entry in header.items():
        dtype, shape, begin, end = _entry(entry, path, name)
        entries.append((begin, end, name, dtype, shape))
    # The tensors must tile the buffer: sorted by offset, each starts where the previous ended, the last ends at
    # the end of the file (no holes, no overlap, no trailing bytes).
    entries.sort()
    pos = 0
    for begin, end, name, _, _ in entries:
        if begin != pos:
            what = "overlaps the previous tensor" if begin < pos else f"leaves a hole of {begin - pos} bytes before it"
            raise CorruptCheckpointError(f"data_offsets [{begin}, {end}] {what}", path=path, tensor=name)
        pos = end
    if pos < buffer_size:
        raise CorruptCheckpointError(f"{buffer_size - pos} bytes after the last tensor are not described by the header",
                                     path=path)
    # A file cut short (pos > buffer_size) still lists every tensor: those wholly within it read as usual (so
    # `verify --salvage` keeps them), the others raise TruncatedError when read; read() adds a note.
    location = os.path.basename(path)
    tensors = {name: TensorInfo(name=name, dtype=dtype, shape=shape, nbytes=end - begin, location=location,
                                _reader=functools.partial(_read_tensor, path, start + begin, end - begin, dtype, shape,
                                                          name) if end <= buffer_size else
                                functools.partial(_cut_off, path, end - buffer_size, name),
                                _checker=functools.partial(_zip.check_file_range, path, start + begin, end - begin,
                                                           tensor=name) if end <= buffer_size else None)
               for begin, end, name, dtype, shape in entries}
    notes: tuple[str, ...] = ()
    if pos > buffer_size:
        lost = sum(end > buffer_size for _, end, _, _, _ in entries)
        notes = (f"truncated: the file ends {pos - buffer_size} bytes early; {lost} of {len(entries)} tensors lie "
                 "(partly) beyond its end and cannot be read (verify --salvage keeps the others)",)
    return tensors, metadata, notes


def _cut_off(path: str, missing: int, name: str):
    raise TruncatedError(f"the tensor ends {missing} bytes beyond the end of the file: truncated", path=path,
                         tensor=name)


def _parse_header(raw: bytes, path: str) -> dict:
    if not raw.startswith(b"{"):
        raise CorruptCheckpointError("header does not begin with '{'", path=path)
    try:
        header = json.loads(raw)
        if isinstance(header, dict) and raw.count(b'"data_offsets"') > len(header) - ("__metadata__" in header):
            json.loads(raw, object_pairs_hook=functools.partial(_no_duplicates, path))  # find the name given twice
    except (ValueError, RecursionError) as e:  # ValueError: also JSON integers of more than 4300 digits
        raise CorruptCheckpointError(f"header is not valid UTF-8 JSON: {e}", path=path) from None
    if not isinstance(header, dict):
        raise CorruptCheckpointError("header is not a JSON object", path=path)
    return header


def _no_duplicates(path: str, pairs: list) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        keys = [k for k, _ in pairs]
        dup = sorted({k for k in keys if keys.count(k) > 1})[0]
        raise CorruptCheckpointError(f"header names {dup!r} twice", path=path, tensor=dup)
    return out


def _entry(entry, path: str, name: str) -> tuple[str, tuple[int, ...], int, int]:
    try:
        code, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    except (TypeError, KeyError):
        raise CorruptCheckpointError("header entry needs dtype, shape and data_offsets", path=path,
                                     tensor=name) from None
    kind = DTYPES.get(code) if isinstance(code, str) else None
    if kind is None:
        raise UnsupportedError(f"unknown safetensors dtype {code!r}", path=path, tensor=name)
    if type(shape) is not list or len(shape) > 64:
        raise CorruptCheckpointError(f"shape {shape!r} is not a list of non-negative integers", path=path,
                                     tensor=name)
    count = 1
    for d in shape:
        if type(d) is not int or d < 0:
            raise CorruptCheckpointError(f"shape {shape!r} is not a list of non-negative integers", path=path,
                                         tensor=name)
        count *= d
    if not (type(offsets) is list and len(offsets) == 2 and type(offsets[0]) is int and type(offsets[1]) is int
            and 0 <= offsets[0] <= offsets[1]):
        raise CorruptCheckpointError(f"data_offsets {offsets!r} are not [begin, end] with 0 <= begin <= end",
                                     path=path, tensor=name)
    need = count * kind[1]
    if need % 8 or need // 8 != offsets[1] - offsets[0]:
        raise CorruptCheckpointError(f"shape {shape} of {code} needs {need / 8:g} bytes but data_offsets span "
                                     f"{offsets[1] - offsets[0]}", path=path, tensor=name)
    return kind[0], tuple(shape), offsets[0], offsets[1]


def _read_tensor(path: str, offset: int, size: int, dtype: str, shape: tuple[int, ...], name: str):
    import numpy as np

    from ..dtypes import to_numpy

    if dtype in _SUB_BYTE:
        raise UnsupportedError(f"dtype {dtype} packs several values per byte; numpy cannot hold it", path=path,
                               tensor=name)
    try:
        dt = to_numpy(dtype)
    except TypeError:
        import ml_dtypes

        dt = np.dtype(getattr(ml_dtypes, dtype))
    buf = _zip.read_file_range(path, offset, size, tensor=name)
    return np.frombuffer(buf, dtype=dt).reshape(shape)


# --- sharded ------------------------------------------------------------------------------------------------

def _is_index(path: str) -> bool:
    return _shard_index.is_index(path, (".safetensors",))


def _named_index(path: str) -> bool:
    """Named like a shard index and not empty: read() says what is wrong with it (an empty file names nothing)."""
    return path.endswith(_INDEX_SUFFIX) and _io.getsize(path) > 0


def _read_index(path: str) -> Catalog:
    def heads(files: list[str]) -> None:  # remote shards: every header in one concurrent batch
        _io.prefetch(files, need=lambda head: 8 + int.from_bytes(head[:8], "little"))

    return _shard_index.read_index(path, FORMAT, "safetensors", lambda shard: (_read_file(shard)[0], []),
                                   prefetch=heads)
