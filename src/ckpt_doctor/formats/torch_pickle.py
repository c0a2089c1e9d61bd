"""PyTorch checkpoints (``torch.save``): the zip format and the legacy non-zip pickle format, read without torch.

Zip format (torch >= 1.6): ``<root>/data.pkl`` (the pickled object; tensors refer to storages by persistent id
``("storage", <storage class>, key, location, numel)``), ``<root>/data/<key>`` (raw storage bytes, stored
uncompressed), ``<root>/byteorder`` (``little``/``big``; absent means little). ``<root>`` is any name.

Legacy format (``_use_new_zipfile_serialization=False``): five pickles back to back - the magic number
0x1950A86A20F9469CFC6C, protocol version 1001, a ``sys_info`` dict, the object (persistent ids carry a sixth
field, view metadata) and the sorted list of storage keys - then, per key, an int64 element count and the raw
bytes, always little-endian.

Unpickling goes through ``_unpickler`` (an allow-list; nothing in the file is executed). Opening reads only the
pickle and the zip directory (legacy: one 8-byte count per storage); tensor bytes are read in ``read()``.

Training checkpoints (``{"model_state": ..., "optimizer": ..., "epoch": 3}``) are searched for state dicts
(string keys, tensor values). One candidate is taken as the model; several need ``subtree=`` to choose; the
tensors of optimizer state dicts (``{"state", "param_groups"}``) and anything else are listed as bookkeeping.
"""

from __future__ import annotations

import functools
import io
import math
import os
import re
import shlex

from ..catalog import COUNTER, OPTIMIZER, RNG, SLOT, VARIABLE, Catalog, TensorInfo
from ..dtypes import SAFETENSORS
from ..errors import CheckpointError, CorruptCheckpointError, TruncatedError, UnsupportedError, UsageError
from . import _shard_index, _unpickler, _zip
from ._unpickler import ITEMSIZE, UNREADABLE_DTYPES, StorageRef, TensorRef

FORMAT = "torch"
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001
_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".tar", ".pkl")
_MAX_PICKLE_BYTES = 4 << 30
_COUNTER_KEYS = frozenset({"step", "epoch", "global_step", "iteration", "iterations", "num_batches_tracked"})
# keys under which training loops save a random generator's state (accelerate: ``torch_manual_seed``,
# ``torch_cuda_manual_seed``; Lightning and others: ``rng_state``, ``cuda_rng_state``)
_RNG_KEY = re.compile(r"(?:^|_)rng(?:_|$)|(?:^|_)seed$|random_state", re.IGNORECASE)
_MAX_DEPTH = 200
# A stride-0 view (``t.expand(...)``) repeats stored values; reading it copies them out. Copies much larger than the
# stored bytes are refused, so a 4-byte storage cannot become a gigabyte.
_MAX_EXPANSION, _MAX_EXPANDED_BYTES = 64, 16 << 20


def sniff(path: str) -> bool:
    """True for a PyTorch zip checkpoint (``<root>/data.pkl``), a legacy pickle starting with torch's magic, or the
    index of a sharded set (``pytorch_model.bin.index.json``)."""
    if path.endswith(".json"):
        return _is_index(path)
    head = _zip.read_magic(path, 512)
    if head[:4] in _zip.ZIP_MAGICS:
        first = _zip.first_member_name(path)
        if first is not None and first.count("/") == 1 and first.endswith("/data.pkl"):
            return True
        try:
            return _pickle_root(_zip.open_archive(path)) is not None
        except CheckpointError:
            return path.endswith(_SUFFIXES)  # a damaged zip named like a torch file: let read() say what is wrong
    return _is_legacy(head) or (head[257:262] == b"ustar" and path.endswith(_SUFFIXES) and _is_legacy_tar(path))


def read(path: str | os.PathLike, *, subtree: str | None = None,
         max_member_bytes: int = _zip.DEFAULT_MAX_MEMBER_BYTES) -> Catalog:
    """Open a ``torch.save`` file without torch.

    Args:
        path (`str`): the ``.pt``/``.pth``/``.bin`` file.
        subtree (`str`, *optional*): in a training checkpoint, the sub-tree holding the model's state dict, e.g.
            ``"model_state"`` or ``"models/0"`` (keys joined with ``/``). Needed when there are several candidates.
            In a flat state dict, a key prefix: ``"policy_net"`` takes ``policy_net.0.weight``, ... under their
            full names, the other keys listed as bookkeeping.
        max_member_bytes (`int`, *optional*): limit on what one compressed zip member may inflate to.

    Returns:
        A ``Catalog`` of every tensor; model weights are named by their state-dict key.

    Example:
        ``read("model.pt")["fc.weight"].read()`` is the weight as a numpy array, without importing torch.
    """
    path = os.fspath(path)
    if path.endswith(".json") and _is_index(path):
        return _read_index(path, subtree, max_member_bytes)
    head = _zip.read_magic(path, 512)
    if head[:4] in _zip.ZIP_MAGICS:
        return _read_zip(path, subtree, max_member_bytes)
    if _is_legacy(head):
        return _read_legacy(path, subtree)
    if head[257:262] == b"ustar":
        raise UnsupportedError("PyTorch's pre-1.0 tar checkpoint format is not supported (torch refuses it with "
                               "weights_only=True too); re-save it with a current torch", path=path)
    raise UnsupportedError("not a PyTorch checkpoint (neither a zip archive nor a legacy torch pickle)", path=path)


# --- sharded (``pytorch_model.bin.index.json``) --------------------------------------------------------------

_SHARD_SUFFIXES = (".bin", ".pt", ".pth")


def _is_index(path: str) -> bool:
    return _shard_index.is_index(path, _SHARD_SUFFIXES)


def _read_index(path: str, subtree: str | None, max_member_bytes: int) -> Catalog:
    """transformers' ``save_pretrained(..., safe_serialization=False)`` of a large model: each shard a flat state
    dict, the shards numbered in the state dict's order (kept: a torch file's order is its state dict's)."""
    if subtree is not None:
        raise UsageError("subtree applies to one PyTorch file; the shards of this index are flat state dicts",
                         path=path)

    def shard(shard_path: str) -> tuple[dict[str, TensorInfo], list[str]]:
        catalog = read(shard_path, max_member_bytes=max_member_bytes)
        base = os.path.basename(shard_path)
        for info in catalog.values():  # a member name (`archive/data/0`) recurs in every shard: name the shard too
            info.location = f"{base}:{info.location}"
        return dict(catalog.items()), list(catalog.notes)

    return _shard_index.read_index(path, FORMAT, "PyTorch", shard, sort=False)


# --- zip format ---------------------------------------------------------------------------------------------

def _pickle_root(archive: _zip.Archive) -> str | None:
    roots = sorted(name[:-len("/data.pkl")] for name in archive.members
                   if name.endswith("/data.pkl") and name.count("/") == 1)
    return roots[0] if len(roots) == 1 else None


def _read_zip(path: str, subtree: str | None, max_member_bytes: int) -> Catalog:
    archive = _zip.open_archive(path, max_member_bytes=max_member_bytes)
    root = _pickle_root(archive)
    if root is None:
        raise UnsupportedError("zip archive without a <root>/data.pkl: not a torch.save checkpoint", path=path)
    if f"{root}/constants.pkl" in archive.members or any(n.startswith(f"{root}/code/") for n in archive.members):
        raise UnsupportedError("this is a TorchScript archive (torch.jit.save); its pickles name compiled classes. "
                               "Its weights as a file ckpt-doctor reads: import torch; torch.save(torch.jit.load("
                               f"{os.path.basename(path)!r}, map_location='cpu').state_dict(), 'state_dict.pt')",
                               path=path)
    big_endian = False
    if f"{root}/byteorder" in archive.members:
        order = bytes(archive.read(f"{root}/byteorder", max_bytes=16)).strip()
        if order not in (b"little", b"big"):
            raise CorruptCheckpointError(f"byteorder record says {order!r}", path=path)
        big_endian = order == b"big"
    data = archive.read(f"{root}/data.pkl", max_bytes=_MAX_PICKLE_BYTES)

    def persistent_load(pid):
        kind, storage_type, key, location, numel = _pid(pid, 5, path)
        return StorageRef(key, _unpickler.storage_type(storage_type), numel, location)

    opaque: set[str] = set()
    obj = _unpickler.load(io.BytesIO(data), path=path, persistent_load=persistent_load, opaque=opaque)
    entries, notes, route = _arrange(obj, subtree, path)
    notes += _opaque_notes(opaque)

    def locate(name: str, ref: StorageRef) -> tuple[str, int]:
        member = archive.member(f"{root}/data/{ref.key}", tensor=name)
        return member.name, member.size

    def reader_for(name: str, t: TensorRef, member: str, start: int, length: int):
        def read():
            buf = archive.read_range(member, start, length, tensor=name)
            return _to_array(buf, t, big_endian, path, name)

        return read

    tensors = {}
    for name, t, kind, slot_name in entries:
        if t.storage is None:
            tensors[name] = _info(name, t, kind, slot_name, "", None, path)
            continue
        member, available = locate(name, t.storage)
        start, length = _byte_range(t, t.storage, available, path, name)
        whole = start == 0 and length == available
        tensors[name] = _info(name, t, kind, slot_name, member, reader_for(name, t, member, start, length), path,
                              checker=functools.partial(archive.check, member, tensor=name)
                              if whole and _is_contiguous(t.shape, t.stride) or t.dtype in UNREADABLE_DTYPES else None)
    return Catalog(path, FORMAT, tensors, files=(path,),
                   notes=tuple(notes + _shared_notes(entries) + _expanded_notes(entries)), state_dict_at=route)


# --- legacy format ------------------------------------------------------------------------------------------

def _is_legacy(head: bytes) -> bool:
    # The magic number is the first pickle: PROTO n, LONG1 of 10 bytes (protocol >= 2), or text (protocols 0/1).
    if head[:1] == b"\x80" and head[2:4] == b"\x8a\x0a":
        return int.from_bytes(head[4:14], "little") == _LEGACY_MAGIC
    return head.startswith(b"L%dL\n" % _LEGACY_MAGIC) or head.startswith(b"I%d\n" % _LEGACY_MAGIC)


def _is_legacy_tar(path: str) -> bool:
    import tarfile

    try:
        with tarfile.open(path, "r:") as tar:
            return {"pickle", "storages", "tensors"} <= set(tar.getnames())
    except (tarfile.TarError, OSError, EOFError, ValueError):
        return False


def _read_legacy(path: str, subtree: str | None) -> Catalog:
    views: dict[str, StorageRef] = {}
    roots: dict[str, StorageRef] = {}
    untyped: set[str] = set()  # storage keys saved as torch.UntypedStorage: torch's legacy loader refuses them

    def persistent_load(pid):
        if isinstance(pid, tuple) and pid and _text(pid[0]) == "module":
            raise UnsupportedError("the checkpoint pickles a whole nn.Module (torch.save(model)); only state dicts "
                                   "and training checkpoints can be read safely", path=path)
        kind, storage_type, key, location, numel, view = _pid(pid, 6, path)
        dtype = _unpickler.storage_type(storage_type)
        if getattr(storage_type, "qualname", "").endswith(".UntypedStorage"):
            untyped.add(key)
        roots.setdefault(key, StorageRef(key, dtype, numel, location))
        if view is None:
            return StorageRef(key, dtype, numel, location)
        if not (isinstance(view, tuple) and len(view) == 3 and type(view[1]) is int and type(view[2]) is int
                and view[1] >= 0 and view[2] >= 0):
            raise CorruptCheckpointError(f"malformed storage view {str(view)[:80]}", path=path)
        ref = StorageRef(key, dtype, view[2], location, view_offset=view[1] * ITEMSIZE[dtype])
        views[_text(view[0])] = ref
        return ref

    try:
        f = open(path, "rb")
    except OSError as e:
        raise CheckpointError(f"cannot open: {e.strerror or e}", path=path) from None
    with f:
        size = os.fstat(f.fileno()).st_size
        stream = _unpickler.BoundedReader(f, size)
        magic = _unpickler.load(stream, path=path)
        protocol = _unpickler.load(stream, path=path)
        if magic != _LEGACY_MAGIC or protocol != _LEGACY_PROTOCOL:
            raise UnsupportedError(f"legacy torch file with protocol version {protocol!r} (this reader knows "
                                   f"{_LEGACY_PROTOCOL})", path=path)
        sys_info = _unpickler.load(stream, path=path)
        if not isinstance(sys_info, dict):
            raise CorruptCheckpointError("legacy header has no sys_info dict", path=path)
        opaque: set[str] = set()
        obj = _unpickler.load(stream, path=path, persistent_load=persistent_load, opaque=opaque)
        keys = _unpickler.load(stream, path=path)
        if not isinstance(keys, list) or not all(isinstance(k, str | bytes) for k in keys):
            raise CorruptCheckpointError("legacy storage key list is malformed", path=path)
        # Storage records: int64 element count (little-endian), then the bytes. Only the counts are read.
        offsets: dict[str, tuple[int, int]] = {}
        pos = stream.tell()
        for key in map(_text, keys):
            ref = roots.get(key)
            if ref is None:
                raise CorruptCheckpointError(f"storage {key!r} is listed but no tensor uses it", path=path)
            if pos + 8 > size:
                raise TruncatedError(f"file ends before storage {key!r}: truncated", path=path)
            f.seek(pos)
            count = int.from_bytes(f.read(8), "little", signed=True)
            nbytes = count * ITEMSIZE[ref.dtype]
            if count < 0 or pos + 8 + nbytes > size:
                raise (TruncatedError if count >= 0 else CorruptCheckpointError)(
                    f"storage {key!r} claims {count} elements ({nbytes} bytes) but the file "
                                             f"ends {size - pos - 8} bytes later: truncated", path=path)
            offsets[key] = (pos + 8, nbytes)
            pos += 8 + nbytes

    entries, notes, route = _arrange(obj, subtree, path)
    notes += _opaque_notes(opaque) + _untyped_notes(entries, untyped, path)
    tensors = {}
    for name, t, kind, slot_name in entries:
        if t.storage is None:
            tensors[name] = _info(name, t, kind, slot_name, "", None, path)
            continue
        if t.storage.key not in offsets:
            raise CorruptCheckpointError(f"tensor uses storage {t.storage.key!r}, which the file does not contain",
                                         path=path, tensor=name)
        data_start, available = offsets[t.storage.key]
        start, length = _byte_range(t, t.storage, available, path, name)
        tensors[name] = _info(name, t, kind, slot_name, f"storage {t.storage.key}",
                              _legacy_reader(path, name, t, data_start + start, length), path,
                              checker=functools.partial(_zip.check_file_range, path, data_start + start, length,
                                                        tensor=name)
                              if _is_contiguous(t.shape, t.stride) or t.dtype in UNREADABLE_DTYPES else None)
    return Catalog(path, FORMAT, tensors, files=(path,),
                   notes=tuple(notes + _shared_notes(entries) + _expanded_notes(entries)), state_dict_at=route)


def _untyped_notes(entries, untyped: set[str], path: str) -> list[str]:
    """The legacy format has storage classes for the older dtypes only; torch.save(_use_new_zipfile_serialization=
    False) writes the others (uint16/32/64, float8, complex32, ...) as torch.UntypedStorage, which torch.load's
    legacy path cannot read back (``UntypedStorage has no attribute 'dtype'``). The bytes are intact and read here."""
    hit = [(name, t.dtype) for name, t, _, _ in entries if t.storage is not None and t.storage.key in untyped]
    if not hit:
        return []
    shown = ", ".join(name for name, _ in hit[:5]) + (" ..." if len(hit) > 5 else "")
    names = sorted({d for _, d in hit})
    read = "" if any(d in UNREADABLE_DTYPES for d in names) else "; their values are read here"
    copy = (f"; `ckpt-doctor rewrite {shlex.quote(path)} -o COPY.safetensors` writes a copy that "
            "safetensors.torch.load_file reads") if all(d in SAFETENSORS for d in names) else ""
    return [f"torch.load cannot read this legacy-format file back: {len(hit)} tensor(s) of dtype {', '.join(names)} "
            f"({shown}) are saved with an untyped storage, which its legacy loader refuses (AttributeError: "
            f"'UntypedStorage' has no attribute 'dtype'){read}{copy}"]


def _legacy_reader(path: str, name: str, t: TensorRef, start: int, length: int):
    def read():
        return _to_array(_zip.read_file_range(path, start, length, tensor=name), t, False, path, name)

    return read


# --- shared -------------------------------------------------------------------------------------------------

def _text(value) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)


def _pid(pid, fields: int, path: str) -> tuple:
    if not isinstance(pid, tuple) or not pid or _text(pid[0]) != "storage":
        raise CorruptCheckpointError(f"unexpected persistent id {str(pid)[:80]}", path=path)
    if len(pid) != fields:
        raise CorruptCheckpointError(f"storage persistent id has {len(pid)} fields, expected {fields}", path=path)
    key, location, numel = pid[2], pid[3], pid[4]
    if not isinstance(key, str | bytes) or type(numel) is not int or numel < 0:
        raise CorruptCheckpointError(f"malformed storage persistent id {str(pid)[:80]}", path=path)
    return ("storage", pid[1], _text(key), _text(location), numel, *pid[5:])


def _byte_range(t: TensorRef, storage: StorageRef, available: int, path: str, name: str) -> tuple[int, int]:
    """[start, start+length) of the bytes of ``storage`` (``t.storage``) this tensor's elements occupy; checked
    against ``available``."""
    itemsize = ITEMSIZE[t.dtype]
    if math.prod(t.shape) == 0:
        return storage.view_offset, 0
    span = 1 + sum((d - 1) * s for d, s in zip(t.shape, t.stride, strict=False))
    start = storage.view_offset + t.offset * itemsize
    length = span * itemsize
    limit = min(available, storage.view_offset + storage.nbytes)
    if start + length > limit:
        raise CorruptCheckpointError(f"tensor of shape {list(t.shape)} (strides {list(t.stride)}, offset {t.offset}) "
                                     f"needs storage bytes [{start}, {start + length}) but storage {storage.key!r} "
                                     f"has {limit}", path=path, tensor=name)
    return start, length


def _info(name: str, t: TensorRef, kind: str, slot_name: str | None, location: str, reader, path: str,
          checker=None) -> TensorInfo:
    """``checker``: checks the stored bytes without building the value (CRC where the format has one), streaming
    them through a small buffer; also for values of a dtype numpy has no equivalent for (complex32, quint4x2, ...),
    which are verified like the others, only never read."""
    if reader is None or t.dtype in UNREADABLE_DTYPES:
        why = "a meta tensor has no data" if t.storage is None else f"dtype {t.dtype} has no numpy equivalent"

        def reader():
            raise UnsupportedError(f"cannot read this value: {why}", path=path, tensor=name)

    return TensorInfo(name=name, dtype=t.dtype, shape=t.shape, nbytes=math.prod(t.shape) * ITEMSIZE[t.dtype],
                      kind=kind, slot_name=slot_name, location=location, _reader=reader,
                      _checker=checker if t.storage is not None else None)


def _to_array(buf: bytearray | memoryview, t: TensorRef, big_endian: bool, path: str, name: str):
    import numpy as np

    dt = _numpy_dtype(t.dtype, path, name)
    flat = np.frombuffer(buf, dtype=dt)
    if big_endian and dt.itemsize > 1 and flat.size:
        component = dt.itemsize // 2 if t.dtype.startswith("complex") else dt.itemsize
        np.frombuffer(buf, dtype=f"u{component}").byteswap(inplace=True)
    if math.prod(t.shape) == 0:
        arr = np.zeros(t.shape, dtype=dt)
    elif flat.size == math.prod(t.shape) and _is_contiguous(t.shape, t.stride):
        arr = flat.reshape(t.shape)
    else:  # a view: strided, offset, expanded (stride 0) or transposed
        want = math.prod(t.shape) * dt.itemsize
        if want > max(_MAX_EXPANSION * len(buf), _MAX_EXPANDED_BYTES):
            raise UnsupportedError(f"an expanded view: {want} bytes of values from {len(buf)} stored bytes; refusing "
                                   f"to materialise more than {_MAX_EXPANSION}x its storage", path=path, tensor=name)
        arr = np.lib.stride_tricks.as_strided(flat, shape=t.shape, strides=[s * dt.itemsize for s in t.stride],
                                              writeable=False).copy()
    if t.conj:
        arr = np.conj(arr)
    if t.neg:
        arr = np.negative(arr)
    return arr


def _is_contiguous(shape: tuple[int, ...], stride: tuple[int, ...]) -> bool:
    expected = 1
    for d, s in zip(reversed(shape), reversed(stride), strict=False):
        if d != 1 and s != expected:
            return False
        expected *= d
    return True


def _numpy_dtype(name: str, path: str, tensor: str):
    from ..dtypes import to_numpy

    try:
        return to_numpy(name)
    except TypeError:
        import ml_dtypes
        import numpy as np

        if hasattr(ml_dtypes, name):
            return np.dtype(getattr(ml_dtypes, name))
        raise UnsupportedError(f"dtype {name} has no numpy equivalent", path=path, tensor=tensor) from None


# --- finding the state dict in a training checkpoint --------------------------------------------------------

def _is_optimizer(node) -> bool:
    return isinstance(node, dict) and "state" in node and "param_groups" in node


def _is_state_dict(node) -> bool:
    if not isinstance(node, dict) or not node or _is_optimizer(node):
        return False
    tensors = 0
    for key, value in node.items():
        if not isinstance(key, str):
            return False
        if isinstance(value, TensorRef):
            tensors += not _is_rng(key, value)  # (a dict of generator states is no model's)
        elif not key.endswith("_extra_state"):
            return False
    return tensors > 0


def _is_rng(key, ref: TensorRef) -> bool:
    """A random generator's state saved as bytes (``torch.get_rng_state()``) under the key training loops give it."""
    return ref.dtype == "uint8" and bool(_RNG_KEY.search(str(key)))


def _children(node):
    if isinstance(node, dict):
        return [(_text(k), v) for k, v in node.items()]
    if isinstance(node, list | tuple):
        return [(str(i), v) for i, v in enumerate(node)]
    return []


_SKIP = object()


def _walk(node, prefix: tuple[str, ...], visit, seen: set[int], path: str, ctx=None, depth: int = 0) -> None:
    """Depth-first over dicts, lists and tuples; ``visit(node, prefix, ctx)`` returns the children's ctx or _SKIP."""
    if depth > _MAX_DEPTH:
        raise CorruptCheckpointError(f"checkpoint object nests deeper than {_MAX_DEPTH} levels", path=path)
    if id(node) in seen:
        return
    if isinstance(node, dict | list | tuple):
        seen.add(id(node))
    ctx = visit(node, prefix, ctx)
    if ctx is _SKIP:
        return
    for key, child in _children(node):
        _walk(child, prefix + (key,), visit, seen, path, ctx, depth + 1)


def _candidates(obj, path: str) -> list[tuple[str, int]]:
    """Sub-trees that look like a model's state dict: (path, number of tensors)."""
    found: list[tuple[str, int]] = []

    def visit(node, prefix, ctx):
        if _is_optimizer(node):
            return _SKIP
        if _is_state_dict(node):
            found.append(("/".join(prefix), sum(isinstance(v, TensorRef) for v in node.values())))
            return _SKIP
        return None

    _walk(obj, (), visit, set(), path)
    return found


def _resolve(obj, subtree: str, path: str):
    node = obj
    parts = subtree.split("/") if subtree else []
    for i, part in enumerate(parts):
        match = [child for key, child in _children(node) if key == part]
        if not match:
            prefix = "/".join(parts[i:]).rstrip(".") + "."
            taken = {k: v for k, v in node.items() if _text(k).startswith(prefix)} if _is_state_dict(node) else {}
            if taken and i and len(taken) < len(node):
                # a printed fix indexes the file down to a state dict and loads all of it but what it names unused
                where = "/".join(parts[:i])
                raise UsageError(f"{prefix!r} is a key prefix of part of the state dict at {where!r}, which a "
                                 f"fix would load whole: choose --subtree {where} (the keys outside the model are "
                                 "then listed unused, and the fix drops them)", path=path)
            if taken:  # a key prefix in a flat state dict (`policy_net` of `policy_net.0.weight`), full names kept
                return taken, parts[:i], prefix
            options = ", ".join(repr(p) if p else "the whole file (no --subtree)"
                                for p, _ in _candidates(obj, path)) or "none found"
            near = _near_prefixes(node, parts[i]) if _is_state_dict(node) else []
            hint = f"; key prefixes near {parts[i]!r}: {', '.join(near)}" if near else ""
            what = "sub-tree or key prefix" if _is_state_dict(node) else "sub-tree"
            raise UsageError(f"no {what} {subtree!r} in this checkpoint (state-dict candidates: {options}){hint}",
                             path=path)
        node = match[0]
    if isinstance(node, TensorRef):  # taken as a "state dict" of one tensor, everything else would be bookkeeping
        options = ", ".join(repr(p) for p, _ in _candidates(obj, path) if p) or "none: leave it out"
        raise UsageError(f"sub-tree {subtree!r} is a tensor, not a state dict (state-dict candidates: {options})",
                         path=path, tensor=subtree)
    return node, parts, None


def _near_prefixes(node: dict, wanted: str, limit: int = 5) -> list[str]:
    """The state dict's key prefixes (every dotted start of a key) nearest to ``wanted``, closest first."""
    import difflib

    prefixes = {".".join(_text(k).split(".")[:n]) for k in node for n in range(1, _text(k).count(".") + 1)}
    near = difflib.get_close_matches(wanted.rstrip("."), prefixes, n=limit, cutoff=0.5)
    return near or sorted(p for p in prefixes if "." not in p)[:limit]


def _route(obj, parts: tuple[str, ...]) -> tuple[str | int | bytes, ...]:
    """The keys of a sub-tree as ``torch.load`` gives them (list positions as ints), for code that indexes it."""
    out: list[str | int | bytes] = []
    node = obj
    for part in parts:
        if isinstance(node, dict):
            key = next(k for k in node if _text(k) == part)
            out.append(key if isinstance(key, str | int | bytes) else part)
            node = node[key]
        else:
            out.append(int(part))
            node = node[int(part)]
    return tuple(out)


def _zero3_placeholders(obj, model) -> list[str]:
    """DeepSpeed's ``mp_rank_00_model_states.pt`` of a ZeRO stage 3 run holds each partitioned parameter as an empty
    placeholder: the values are spread over the ``zero_pp_rank_*_optim_states.pt`` files beside it."""
    if not isinstance(obj, dict) or "ds_version" not in obj or not isinstance(model, dict):
        return []
    empty = [k for k, v in model.items() if isinstance(v, TensorRef) and 0 in v.shape]
    if not empty:
        return []
    return [f"a DeepSpeed ZeRO-3 save: {len(empty)} of the {len(model)} values in 'module' are empty placeholders "
            f"(shape [0]: {', '.join(map(str, empty[:3]))}{' ...' if len(empty) > 3 else ''}); the weights are "
            "partitioned over the zero_pp_rank_*_optim_states.pt files beside it. One state dict of them: the "
            "zero_to_fp32.py DeepSpeed saved in the checkpoint directory, or import torch; from "
            "deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint; "
            "torch.save(get_fp32_state_dict_from_zero_checkpoint(DIR), 'pytorch_model.bin'), DIR holding the "
            "'latest' file and the global_step directories"]


def _arrange(obj, subtree: str | None, path: str) -> tuple[list[tuple[str, TensorRef, str, str | None]], list[str],
                                                           tuple[str | int | bytes, ...] | None]:
    """Name and classify every tensor: (name, ref, kind, slot_name) in checkpoint order, plus notes, plus where the
    model's state dict sits in ``obj`` (keys as torch.load gives them; None: no state dict found)."""
    notes: list[str] = []
    model = None
    model_path: tuple[str, ...] = ()  # read only when a model sub-tree was found
    if isinstance(obj, TensorRef):
        return [("tensor", obj, VARIABLE, None)], ["the file holds a single tensor, listed as 'tensor'"], None
    if subtree is not None:
        model, parts, key_prefix = _resolve(obj, subtree.strip("/"), path)
        model_path = tuple(p for p in parts if p)
        if key_prefix is None:
            notes.append(f"model state dict taken from sub-tree {subtree!r} (subtree=); other tensors are listed as "
                         "bookkeeping with their full path")
        else:
            notes.append(f"model state dict: the keys starting with {key_prefix!r} (subtree=), under their full "
                         "names; the other tensors are listed as bookkeeping")
    elif _is_state_dict(obj):
        model, model_path = obj, ()
    else:
        candidates = _candidates(obj, path)
        if len(candidates) > 1:
            listed = ", ".join(f"{p!r} ({n} tensors)" for p, n in candidates)
            raise UsageError(f"this training checkpoint holds several state dicts: {listed}; choose one with "
                             f"subtree=..., e.g. open_checkpoint(path, subtree={candidates[0][0]!r}), or "
                             f"--subtree {candidates[0][0]} on the command line", path=path)
        if candidates:
            model_path = tuple(candidates[0][0].split("/")) if candidates[0][0] else ()
            model = _resolve(obj, candidates[0][0], path)[0]
            notes.append(f"training checkpoint: model state dict taken from sub-tree {candidates[0][0]!r} (the only "
                         "candidate); other tensors are listed as bookkeeping with their full path")
            notes += _zero3_placeholders(obj, model)
        elif isinstance(obj, dict) and {"state", "param_groups"} <= set(obj):
            notes.append("an optimizer's state_dict (torch.optim: state, param_groups): optimizer state only, no "
                         "model weights; those are saved apart (accelerate's save_state: model.safetensors or "
                         "pytorch_model.bin beside optimizer.bin)")
        elif isinstance(obj, dict | list | tuple):
            notes.append("no state dict found in this object: tensors are named by their path in it")

    entries: list[tuple[str, TensorRef, str, str | None]] = []
    names: set[str] = set()

    def add(name: str, ref: TensorRef, kind: str, slot_name: str | None = None) -> None:
        if name in names:
            name = f"{name}#{len(entries)}"
        names.add(name)
        entries.append((name, ref, kind, slot_name))

    in_model: set[int] = set()
    if model is not None:
        def visit_model(node, prefix, ctx):
            if isinstance(node, TensorRef):
                in_model.add(id(node))
                add("/".join(prefix) or "tensor", node, VARIABLE)  # Catalog marks num_batches_tracked
            return None

        _walk(model, (), visit_model, set(), path)
        if not entries:
            raise CheckpointError(f"sub-tree {'/'.join(model_path)!r} holds no tensors", path=path)

    def visit_rest(node, prefix, under_optimizer):
        if node is model:
            return _SKIP
        if isinstance(node, TensorRef) and id(node) not in in_model:
            last = prefix[-1] if prefix else "tensor"
            if last in _COUNTER_KEYS:
                kind, slot = COUNTER, None
            elif _is_rng(last, node):
                kind, slot = RNG, None  # a generator's state as bytes (torch.get_rng_state()), not a model value
            elif under_optimizer:
                kind, slot = SLOT, last
            elif model is None:
                kind, slot = VARIABLE, None
            else:
                kind, slot = OPTIMIZER, None
            add("/".join(prefix) or "tensor", node, kind, slot)
        return bool(under_optimizer or _is_optimizer(node))

    _walk(obj, (), visit_rest, set(), path)
    return entries, notes, None if model is None else _route(obj, model_path)


# The start of the note that says torch.load needs weights_only=False for this file (match/fixes.py looks for it).
WEIGHTS_ONLY_REFUSES = "torch.load(weights_only=True) refuses this file"


def _opaque_notes(opaque: set[str]) -> list[str]:
    if not opaque:
        return []
    numpy = sorted(n for n in opaque if n.split(".", 1)[0] == "numpy")
    records = sorted(set(opaque) - set(numpy))
    held = [f"{', '.join(records)} (hyperparameters, read here as inert records)"] * bool(records) + \
        [f"numpy values ({', '.join(numpy)}), which torch's weights-only unpickler does not allow"] * bool(numpy)
    return [f"{WEIGHTS_ONLY_REFUSES}: it holds {' and '.join(held)}; torch.load needs weights_only=False, which "
            "runs the file's pickle: only for a file you trust"]


def _expanded_notes(entries) -> list[str]:
    """Views whose listed size is far beyond the bytes behind them (see _MAX_EXPANSION): say so next to the size."""
    big = []
    for name, t, _, _ in entries:
        n = math.prod(t.shape)
        if t.storage is not None and n:
            stored = (1 + sum((d - 1) * st for d, st in zip(t.shape, t.stride, strict=False))) * ITEMSIZE[t.dtype]
            if n * ITEMSIZE[t.dtype] > max(_MAX_EXPANSION * stored, _MAX_EXPANDED_BYTES):
                big.append(name)
    if not big:
        return []
    shown = ", ".join(big[:5]) + (" ..." if len(big) > 5 else "")
    return [(f"{len(big)} tensor(s) are expanded views (stride 0) of much smaller storages: the sizes listed are the "
             f"views', and reading them is refused: {shown}")]


def _shared_notes(entries) -> list[str]:
    by_storage: dict[str, list[str]] = {}
    for name, t, _, _ in entries:
        if t.storage is not None and math.prod(t.shape):
            by_storage.setdefault(t.storage.key, []).append(name)
    shared = [names for names in by_storage.values() if len(names) > 1]
    if not shared:
        return []
    examples = "; ".join(" = ".join(names[:3]) + (" ..." if len(names) > 3 else "") for names in shared[:5])
    more = f" (and {len(shared) - 5} more groups)" if len(shared) > 5 else ""
    return [f"{sum(map(len, shared))} tensors share a storage with another tensor (tied weights or views): "
            f"{examples}{more}"]
