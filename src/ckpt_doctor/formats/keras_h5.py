"""Keras weight files: tf.keras 2 / Keras 3 legacy HDF5, Keras 3 ``.weights.h5``, ``.keras`` zips, sharded
``.weights.json``. Needs h5py (``pip install ckpt-doctor[keras]``), imported only when such a file is opened.

Legacy HDF5 (``save_weights('x.h5')``; full models ``model.save('m.h5')`` keep it under ``/model_weights`` with
optimizer state in ``/optimizer_weights``): the weights group's attribute ``layer_names`` (split into
``layer_names0``, ``layer_names1``, ... when longer than HDF5's 64 KiB attribute limit) lists the layers in model
order; each layer group's ``weight_names`` lists its weights, each a dataset at ``<layer>/<weight name>``. Entries
are named by weight name without ``:0`` (``dense/kernel``), optimizer entries as ``optimizer_weights/<name>``.

Keras 3 ``.weights.h5``: each object's variables are datasets ``0``, ``1``, ... in a ``vars`` group at the object's
path (``layers/dense/vars/0``; list items are named by snake-cased class name, not by ``layer.name``); the ``vars``
group's ``name`` attribute is the object's own name. Variable names are not recorded. Entries are named by path;
``full_name`` shows the owner's name (``d1/vars/0``), which is where a renamed layer shows.

``.keras``: a zip of ``config.json``, ``metadata.json`` and ``model.weights.h5`` (read in place from the zip).
Opening reads only HDF5 metadata (and checks that every contiguous dataset fits in the file); values are read by
``TensorInfo.read()``.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import math
import os
import re
import time

from ..catalog import COUNTER, OPTIMIZER, SLOT, VARIABLE, Catalog, TensorInfo
from ..dtypes import FROM_NUMPY
from ..errors import CheckpointError, CorruptCheckpointError, MissingExtraError, MissingShardError, UnsupportedError
from . import _shard_index, _zip

FORMAT_H5 = "keras-h5"
FORMAT_KERAS3 = "keras3-weights"
FORMAT_ZIP = "keras-zip"
FORMAT_TRANSFORMERS = "keras-h5-transformers"  # transformers' sharded TF weights: loaded by name, not layer order
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_KERAS_ZIP_MEMBERS = ("metadata.json", "config.json", "model.weights.h5", "model.weights.npz")
_MAX_JSON = 64 << 20
_MAX_NOTE_LAYERS = 40
_COUNTER_NAMES = frozenset({"iter", "iteration", "iterations"})
# numpy kind + itemsize -> canonical dtype name.
_DTYPES = FROM_NUMPY
_ML_DTYPES = {"bfloat16": 2, "float8_e4m3fn": 1, "float8_e5m2": 1, "float8_e4m3fnuz": 1, "float8_e5m2fnuz": 1,
              "float8_e4m3b11fnuz": 1, "float8_e8m0fnu": 1, "int4": 1, "uint4": 1}
_INDEX = re.compile(r"^\d+$")
# Top-level groups of a Keras 3 .weights.h5 (2.13/2.14 used _layer_checkpoint_dependencies instead of layers).
_KERAS3_ROOTS = ("layers", "vars", "optimizer", "_layer_checkpoint_dependencies")


def sniff(path: str) -> bool:
    """True for an HDF5 file, a ``.keras`` zip or a sharded Keras ``.weights.json``."""
    head = _zip.read_magic(path, 8)
    if head == HDF5_MAGIC:
        return True
    if head[:4] in _zip.ZIP_MAGICS:
        first = _zip.first_member_name(path)
        if first is not None:
            return first in _KERAS_ZIP_MEMBERS
        try:
            names = set(_zip.open_archive(path).names())
        except CheckpointError:
            return path.endswith(".keras")
        return "config.json" in names and bool(names & {"model.weights.h5", "model.weights.npz"})
    return path.endswith(".json") and (_sharded_index(path) is not None or _shard_index.is_index(path, (".h5",)))


def read(path: str | os.PathLike) -> Catalog:
    """Open a Keras weights file: ``.h5``/``.hdf5`` (tf.keras 2 or Keras 3 legacy), ``.weights.h5``, ``.keras``,
    or a sharded ``.weights.json``.

    Args:
        path (`str`): the file.

    Returns:
        A ``Catalog``: legacy files by weight name (``dense/kernel``), Keras 3 files by variable path
        (``layers/dense/vars/0``); optimizer state is bookkeeping.

    Example:
        ``[t.name for t in read("model.h5").variables()]`` lists the layers' weights (h5py needed).
        ['dense/kernel', 'dense/bias']
    """
    path = os.fspath(path)
    head = _zip.read_magic(path, 8)
    if head[:4] in _zip.ZIP_MAGICS:
        return _read_keras_zip(path)
    if head != HDF5_MAGIC and path.endswith(".json"):
        if _shard_index.is_index(path, (".h5",)):
            return _read_tf_sharded(path)
        index = _sharded_index(path)
        if index is None:
            raise UnsupportedError("a JSON file, but not a sharded Keras weights index (no weight_map of .h5 "
                                   "shards)", path=path)
        return _read_sharded(path, index)
    source = _Source(path)
    with source.open() as f:
        fmt, tensors, notes = _read_h5(f, source)
    return Catalog(path, fmt, tensors, files=(path,), notes=tuple(notes))


def _h5py():
    try:
        import h5py
    except ImportError:
        raise MissingExtraError("reading Keras HDF5 files needs h5py: pip install ckpt-doctor[keras]") from None
    return h5py


_H5_ERRORS = (OSError, RuntimeError, KeyError, ValueError, TypeError, IndexError, UnicodeDecodeError, OverflowError,
              SystemError)


class _Source:
    """Where the HDF5 bytes are: a file, or a member of a ``.keras`` zip. ``open()`` gives an h5py.File."""

    def __init__(self, path: str, archive: _zip.Archive | None = None, member: str = ""):
        self.path, self.archive, self.member = path, archive, member
        self.size = archive.member(member).size if archive is not None else os.path.getsize(path)
        self.display = f"{path}!{member}" if member else path
        self.strings: dict | None = None  # variable-length string attributes, read in a guarded child process

    @contextlib.contextmanager
    def open(self, tensor: str | None = None):
        h5py = _h5py()
        if self.strings is None:
            self.strings = _string_attributes(self)
        token = _STRINGS.set(self.strings)
        fileobj = self.archive.open_member(self.member, tensor=tensor) if self.archive is not None else None
        try:
            try:
                f = h5py.File(fileobj if fileobj is not None else self.path, "r")
            except _H5_ERRORS as e:  # the file-object driver raises OverflowError for impossible offsets
                raise CorruptCheckpointError(f"not a readable HDF5 file: {e}", path=self.display,
                                             tensor=tensor) from None
            with f:
                try:
                    yield f
                except CheckpointError as e:
                    if e.path is None:
                        e.path = self.display
                    raise
                except _H5_ERRORS as e:  # libhdf5 reports damage from wherever it meets it: links, attributes, data
                    raise CorruptCheckpointError(f"damaged HDF5 file: {type(e).__name__}: {e}", path=self.display,
                                                 tensor=tensor) from None
        finally:
            _STRINGS.reset(token)
            if fileobj is not None:
                fileobj.close()


def _read_h5(f, source: _Source) -> tuple[str, dict[str, TensorInfo], list[str]]:
    if _has_attr_list(f, "layer_names"):
        if _is_tf_shard(f, source):
            return (FORMAT_TRANSFORMERS, *_tf_shard(f, source))
        return (FORMAT_H5, *_legacy(f, f, None, source))
    weights = _child(f, "model_weights", source)
    if _is_group(weights) and _has_attr_list(weights, "layer_names"):
        return (FORMAT_H5, *_legacy(f, weights, _child(f, "optimizer_weights", source), source))
    if not any(k in f for k in _KERAS3_ROOTS):
        raise UnsupportedError("an HDF5 file, but not Keras weights (no layer_names, model_weights, layers or vars "
                               "group)", path=source.display)
    tensors, notes = _keras3(f, source)
    return FORMAT_KERAS3, tensors, notes


# --- legacy layout ------------------------------------------------------------------------------------------

def _legacy(f, weights, optimizer, source: _Source) -> tuple[dict[str, TensorInfo], list[str]]:
    layer_names = _attr_list(weights, "layer_names", source)
    version = _text(_attr(weights, "keras_version") or _attr(f, "keras_version") or "")
    backend = _text(_attr(weights, "backend") or _attr(f, "backend") or "")
    notes = [f"Keras {version or '?'} ({backend or '?'}) HDF5 weights: {len(layer_names)} layers in layer_names "
             "order, which is how tf.keras matches them to a model unless by_name=True"]
    tensors: dict[str, TensorInfo] = {}
    assumed: list[str] = []
    groups = list(layer_names) + (["top_level_model_weights"] if "top_level_model_weights" in weights else [])
    for layer in groups:
        group = _child(weights, layer, source)
        if not _is_group(group):
            raise CorruptCheckpointError(f"layer_names lists {layer!r} but there is no such group", path=source.display)
        for weight in _attr_list(group, "weight_names", source):
            key = _strip_index(weight)
            if key in tensors:
                key = f"{layer}/{key}"
            ds = _child(group, weight, source, key)
            if not _is_dataset(ds):
                raise CorruptCheckpointError(f"layer {layer!r} lists weight {weight!r} but has no such dataset",
                                             path=source.display, tensor=key)
            tensors[key] = _info(ds, key, VARIABLE, source, assumed)
    if optimizer is not None:
        names = _attr_list(optimizer, "weight_names", source)
        model_keys = set(tensors)
        for weight in names:
            key = "optimizer_weights/" + _strip_index(weight)
            ds = _child(optimizer, weight, source, key)
            if not _is_dataset(ds):
                raise CorruptCheckpointError(f"optimizer_weights lists {weight!r} but has no such dataset",
                                             path=source.display, tensor=key)
            kind, slot_of, slot_name = _optimizer_kind(_strip_index(weight), model_keys)
            info = _info(ds, key, kind, source, assumed)
            info.slot_of, info.slot_name = slot_of, slot_name
            tensors[key] = info
    if _attr(f, "model_config") is not None:
        layers = _config_layers(_json_attr(_attr(f, "model_config")))
        if layers:
            notes.append("model_config layers: " + layers)
    if assumed:
        notes.append(f"{len(assumed)} dataset(s) are untagged 2-byte opaque values, read as bfloat16 (how Keras "
                     f"stores it): {', '.join(assumed[:3])}{' ...' if len(assumed) > 3 else ''}")
    return tensors, notes


# --- transformers' sharded TF weights (``tf_model.h5.index.json``) --------------------------------------------
# TFPreTrainedModel.save_pretrained(max_shard_size=...): each shard's ``layer_names`` attribute lists the weights
# themselves (``bert/embeddings/LayerNorm/beta:0``, datasets at those paths); the index names them under the model's
# own scope too (``tf_bert_model/bert/...:0``), as the unsharded ``tf_model.h5`` does.

def _is_tf_shard(f, source: _Source) -> bool:
    names = _attr_list(f, "layer_names", source)
    return bool(names) and _is_dataset(_child(f, names[0], source))  # Keras lists layer groups there


def _tf_shard(f, source: _Source) -> tuple[dict[str, TensorInfo], list[str]]:
    return {key: info for _, key, info in _tf_weights(f, source)}, [
        "a shard of transformers' sharded TF weights (layer_names lists the weights themselves); "
        "TFPreTrainedModel.from_pretrained loads them by name"]


def _tf_weights(f, source: _Source) -> list[tuple[str, str, TensorInfo]]:
    """(name as stored, with its `:0`; name without it; the tensor) of each weight of a transformers TF shard."""
    out = []
    assumed: list[str] = []
    for weight in _attr_list(f, "layer_names", source):
        key = _strip_index(weight)
        ds = _child(f, weight, source, key)
        if not _is_dataset(ds):
            raise CorruptCheckpointError(f"layer_names lists weight {weight!r} but there is no such dataset",
                                         path=source.display, tensor=key)
        out.append((weight, key, _info(ds, key, VARIABLE, source, assumed)))
    return out


def _read_tf_sharded(path: str) -> Catalog:
    """The set behind ``tf_model.h5.index.json``, named as the unsharded ``tf_model.h5`` names its weights (the
    model's scope first: ``tf_bert_model/bert/...``), shard by shard, each in the order its layer_names lists."""
    index = _shard_index.parse_json(path)[0]
    names = list(index["weight_map"]) if isinstance(index, dict) and isinstance(index.get("weight_map"), dict) else []
    scopes = {n.split("/", 1)[0] for n in names}
    if len(scopes) != 1 or not all("/" in n for n in names):
        raise CorruptCheckpointError("a transformers TF shard index names its weights under one model scope "
                                     f"(tf_bert_model/...); this one has {len(scopes)}", path=path)
    scope = scopes.pop()

    def shard(shard_path: str) -> tuple[dict[str, TensorInfo], list[str]]:
        source = _Source(shard_path)
        with source.open() as f:
            weights = _tf_weights(f, source)
        base = os.path.basename(shard_path)
        for _, _, info in weights:
            info.location = f"{base}:{info.location}"
        return {f"{scope}/{weight}": info for weight, _, info in weights}, []  # the index's spelling

    catalog = _shard_index.read_index(path, FORMAT_TRANSFORMERS, "transformers TF", shard, sort=False)
    renamed = {}
    for name, info in catalog.items():
        info.name = _strip_index(name)
        renamed[info.name] = info
    unlisted = {f: tuple(_strip_index(n) for n in names) for f, names in catalog.unlisted.items()}
    return Catalog(path, FORMAT_TRANSFORMERS, renamed, files=catalog.files, missing_files=catalog.missing_files,
                   notes=("transformers' sharded TF weights (tf_model.h5.index.json): "
                          "TFPreTrainedModel.from_pretrained loads them by name",) + catalog.notes, unlisted=unlisted)


def _strip_index(name: str) -> str:
    return re.sub(r":\d+$", "", name)


def _optimizer_kind(name: str, model_keys: set[str]) -> tuple[str, str | None, str | None]:
    """Classify an optimizer weight: counter, slot of a model weight (``Adam/m/dense/kernel``,
    ``Adam/dense/kernel/m``, Keras 3 ``adam/sequential_dense_kernel_momentum``) or other optimizer state."""
    parts = name.split("/")
    if parts[-1] in _COUNTER_NAMES:
        return COUNTER, None, None
    for i in range(1, len(parts)):  # <optimizer>/<slot>/<variable>
        if "/".join(parts[i:]) in model_keys:
            return SLOT, "/".join(parts[i:]), parts[i - 1]
    for j in range(len(parts) - 1):  # <optimizer>/<variable>/<slot>
        if "/".join(parts[j:-1]) in model_keys:
            return SLOT, "/".join(parts[j:-1]), parts[-1]
    flat = {k.replace("/", "_"): k for k in model_keys}
    last = parts[-1]
    for cut in [m.start() for m in re.finditer("_", last)][::-1]:  # <optimizer>/<variable_with_underscores>_<slot>
        if last[:cut] in flat:
            return SLOT, flat[last[:cut]], last[cut + 1:]
    return OPTIMIZER, None, None


# --- Keras 3 layout -----------------------------------------------------------------------------------------

def _natural(name: str):
    return (0, int(name), "") if _INDEX.match(name) else (1, 0, name)


def _keras3(f, source: _Source, owners: dict[str, str] | None = None) -> tuple[dict[str, TensorInfo], list[str]]:
    """Every dataset by path. ``owners`` collects each ``vars`` group's ``name`` attribute (a sharded file may
    keep it in another shard than the variables); full_name is set from it where this file has it."""
    tensors: dict[str, TensorInfo] = {}
    assumed: list[str] = []
    single = owners is None
    owners = {} if owners is None else owners
    created: dict[str, int] = {}  # dataset path -> its object header address
    groups: dict[str, int] = {}  # group path -> its object header address

    def walk(group, prefix: str) -> None:
        if prefix.endswith("vars/") and _attr(group, "name") is not None:
            owners[prefix[:-1]] = _text(_attr(group, "name"))
        for key in sorted(group, key=_natural):
            path = f"{prefix}{key}"
            item = _child(group, key, source, path)
            if _is_group(item):
                address = _address(item) if single else None
                if address is not None:
                    groups[path] = address
                walk(item, path + "/")
            elif _is_dataset(item):
                address = _address(item) if single else None
                if address is not None:
                    created[path] = address
                top = path.split("/", 1)[0]
                kind = OPTIMIZER if top == "optimizer" else VARIABLE
                if kind == OPTIMIZER and path == "optimizer/vars/0" and item.shape == () and item.dtype.kind in "iu":
                    kind = COUNTER  # optimizer.iterations comes first
                tensors[path] = _info(item, path, kind, source, assumed)

    walk(f, "")
    _name_owners(tensors, owners)
    if single and len(created) == len(tensors):
        for rank, path in enumerate(_write_order(created, groups)):
            tensors[path].written = rank
    notes = []
    if tensors:
        notes.append("Keras 3 weights: variables are stored by position (vars/0, vars/1, ...) under each object's "
                     "path; variable names are not recorded, full_name shows the owning layer's own name")
    if assumed:
        notes.append(f"{len(assumed)} dataset(s) are untagged 2-byte opaque values, read as bfloat16")
    return tensors, notes


_NUMBERED_LAYER = re.compile(r"^(?P<family>.*?)(?:_(?P<n>\d+))?/vars/\d+$")


def _write_order(created: dict[str, int], groups: dict[str, int] | None = None) -> list[str]:
    """Dataset paths in write order (``created``, ``groups``: each dataset's and group's object header address):
    layers by the latest header among their datasets, their ``vars`` group and their own group (HDF5 may reuse
    freed space earlier in the file for a header, never later; all four datasets of a MobileNetV2's last
    projection norm may sit in such space, its layer group not), each layer's variables by position. Keras numbers
    the paths of one layer class in the order it walks the layers (``batch_normalization``,
    ``batch_normalization_1``, ...): a layer whose place still breaks that numbering is put right after the layer
    numbered before it."""
    by_layer: dict[str, list[str]] = {}
    for path in sorted(created, key=_natural):
        by_layer.setdefault(path.rsplit("/vars/", 1)[0], []).append(path)
    groups = groups or {}

    def latest(layer: str) -> int:  # a reused slot is always earlier than the writer's position
        return max([created[p] for p in by_layer[layer]] + [groups.get(layer, -1), groups.get(layer + "/vars", -1)])

    layers = {la: by_layer[la] for la in sorted(by_layer, key=latest)}
    place = {layer: float(i) for i, layer in enumerate(layers)}
    families: dict[str, list[tuple[int, str]]] = {}
    for layer, paths in layers.items():
        found = _NUMBERED_LAYER.match(paths[0])
        if found:
            families.setdefault(found["family"], []).append((int(found["n"] or 0), layer))
    for members in families.values():
        members.sort()
        keep = _increasing([place[layer] for _, layer in members])
        top = -1.0  # the latest place of the layers numbered before
        for i, (_, layer) in enumerate(members):
            if i not in keep:
                place[layer] = top + 0.5 / (i + 2)
            top = max(top, place[layer])
    return [p for layer in sorted(layers, key=lambda la: place[la]) for p in layers[layer]]


def _increasing(values: list[float]) -> set[int]:
    """Indices of one longest strictly increasing subsequence (patience sorting, O(n log n))."""
    import bisect

    tails: list[float] = []
    tail_index: list[int] = []
    parent = [-1] * len(values)
    for i, v in enumerate(values):
        k = bisect.bisect_left(tails, v)
        if k == len(tails):
            tails.append(v)
            tail_index.append(i)
        else:
            tails[k], tail_index[k] = v, i
        parent[i] = tail_index[k - 1] if k else -1
    out, i = set(), tail_index[-1] if tail_index else -1
    while i >= 0:
        out.add(i)
        i = parent[i]
    return out


def _address(obj) -> int | None:
    """Where HDF5 put the object's header: dataset headers are allocated in one file as datasets are created, so
    their addresses give the order Keras wrote the variables (its ``model.layers`` walk; raw data offsets do not:
    small values are pooled); None if unknown."""
    try:
        return int(_h5py().h5o.get_info(obj.id).addr)
    except (AttributeError, OSError, RuntimeError, TypeError, ValueError):
        return None


def _name_owners(tensors: dict[str, TensorInfo], owners: dict[str, str]) -> None:
    for path, info in tensors.items():
        group, _, index = path.rpartition("/")
        if info.full_name is None and group in owners and _INDEX.match(index):
            info.full_name = f"{owners[group]}/vars/{index}"


# --- datasets -----------------------------------------------------------------------------------------------

def _child(group, name: str, source: _Source, tensor: str | None = None):
    """``group[name]``, None if there is no such link; an object HDF5 refuses to open is a CorruptCheckpointError
    (HDF5 itself rejects e.g. a contiguous dataset whose shape does not match its stored size)."""
    try:
        if name not in group:
            return None
        return group[name]
    except (KeyError, OSError, ValueError, RuntimeError) as e:
        raise CorruptCheckpointError(f"cannot open {group.name.rstrip('/')}/{name}: {e}", path=source.display,
                                     tensor=tensor) from None


def _is_group(item) -> bool:
    return item is not None and hasattr(item, "keys") and not hasattr(item, "shape")


def _is_dataset(item) -> bool:
    return item is not None and hasattr(item, "shape") and hasattr(item, "dtype")


def _dtype_of(ds, assumed: list[str], name: str) -> str:
    dt = ds.dtype
    tag = _attr(ds, "dtype")
    if tag is not None:
        tag = _text(tag)
        if tag in _ML_DTYPES and dt.itemsize == _ML_DTYPES[tag]:
            return tag
    key = f"{dt.kind}{dt.itemsize}"
    if key in _DTYPES:
        return _DTYPES[key]
    if dt.kind == "V" and dt.itemsize == 2 and not dt.fields:
        assumed.append(name)
        return "bfloat16"
    if dt.kind == "O" or dt.kind in "SU":
        return "string"
    return dt.name


def _info(ds, name: str, kind: str, source: _Source, assumed: list[str]) -> TensorInfo:
    shape = tuple(int(d) for d in ds.shape) if ds.shape is not None else ()
    dtype = _dtype_of(ds, assumed, name)
    itemsize = ds.dtype.itemsize
    nbytes = math.prod(shape) * itemsize
    _check_fits(ds, shape, nbytes, source, name)
    return TensorInfo(name=name, dtype=dtype, shape=shape, nbytes=nbytes, kind=kind,
                      location=ds.name.lstrip("/"), _reader=_reader(source, ds.name, name, dtype, shape))


def _check_fits(ds, shape: tuple[int, ...], nbytes: int, source: _Source, name: str) -> None:
    """A contiguous dataset's declared shape must match the bytes it stores, and they must lie inside the file."""
    h5py = _h5py()
    if nbytes > 1 << 48:
        raise CorruptCheckpointError(f"dataset declares shape {list(shape)} ({nbytes} bytes): impossible",
                                     path=source.display, tensor=name)
    try:
        layout = ds.id.get_create_plist().get_layout()
        if layout == h5py.h5d.CHUNKED:
            # Unwritten chunks read back as the fill value: a shape grown after writing goes unnoticed by h5py.
            expected = math.prod(-(-d // c) for d, c in zip(shape, ds.chunks, strict=False))
            written = ds.id.get_num_chunks()
            if written < expected:
                raise CorruptCheckpointError(f"dataset {ds.name} declares shape {list(shape)} ({expected} chunks) "
                                             f"but stores only {written} chunk(s): the rest would read as fill "
                                             "values", path=source.display, tensor=name)
            return
        if layout != h5py.h5d.CONTIGUOUS:
            return  # compact: the values live in the object header, HDF5 checks their size
        offset = ds.id.get_offset()
        stored = ds.id.get_storage_size()
    except (OSError, ValueError, RuntimeError, KeyError) as e:
        raise CorruptCheckpointError(f"cannot inspect dataset {ds.name}: {e}", path=source.display,
                                     tensor=name) from None
    if offset is None:
        if nbytes:
            raise CorruptCheckpointError(f"dataset {ds.name} declares shape {list(shape)} but no data was ever "
                                         "written", path=source.display, tensor=name)
        return
    if stored != nbytes or offset + nbytes > source.size:
        raise CorruptCheckpointError(f"dataset {ds.name} declares shape {list(shape)} ({nbytes} bytes) but stores "
                                     f"{stored} bytes at offset {offset} of a {source.size}-byte file",
                                     path=source.display, tensor=name)


def _reader(source: _Source, h5path: str, name: str, dtype: str, shape: tuple[int, ...]):
    def read():
        import numpy as np

        with source.open(tensor=name) as f:
            ds = _child(f, h5path, source, name)
            if not _is_dataset(ds):
                raise CorruptCheckpointError(f"dataset {h5path} has disappeared", path=source.display, tensor=name)
            try:
                value = np.asarray(ds[()])
            except (OSError, ValueError, TypeError, RuntimeError, KeyError) as e:
                raise CorruptCheckpointError(f"cannot read dataset {h5path}: {e}", path=source.display,
                                             tensor=name) from None
        if tuple(value.shape) != shape:
            raise CorruptCheckpointError(f"dataset {h5path} read as shape {list(value.shape)}, expected "
                                         f"{list(shape)}", path=source.display, tensor=name)
        if dtype in _ML_DTYPES and value.dtype.kind == "V":
            import ml_dtypes

            return value.view(getattr(ml_dtypes, dtype))
        if not value.dtype.isnative:
            value = value.astype(value.dtype.newbyteorder("="))
        return value

    return read


# --- attributes ---------------------------------------------------------------------------------------------

def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        return _text(value.item())
    return str(value)


def _attr(obj, name: str):
    """An attribute's value if it is text (or an empty array); None if absent. The type and size are checked before
    the value is read: libhdf5 can crash on a damaged variable-length attribute of another type. Variable-length
    strings live in the global heap, where damage can make libhdf5 loop or allocate gigabytes: they are read in a
    child process with a time and memory limit (``_string_attributes``), never here."""
    if name not in obj.attrs:
        return None
    h5py = _h5py()
    aid = h5py.h5a.open(obj.id, name.encode())
    kind = _check_text_attribute(h5py, aid, obj.name, name)
    strings = _STRINGS.get()
    if kind == "vlen" and strings is not None:
        key = f"{obj.name}\x00{name}"
        if key not in strings:
            raise CorruptCheckpointError(f"attribute {name} of {obj.name} could not be read: damaged HDF5 global heap "
                                         f"({strings.get('', 'no value')})")
        return strings[key]
    return obj.attrs[name]


def _check_text_attribute(h5py, aid, owner: str, name: str) -> str:
    """'vlen', 'fixed' or 'empty'; anything else, or too large, is a CorruptCheckpointError."""
    tid, shape = aid.get_type(), aid.shape or ()
    cls = tid.get_class()
    if len(shape) > 1 or (shape and shape[0] > _MAX_ATTR_ITEMS):
        raise CorruptCheckpointError(f"attribute {name} of {owner} has shape {list(shape)}")
    if shape and shape[0] == 0:
        return "empty"
    if cls != h5py.h5t.STRING:
        raise CorruptCheckpointError(f"attribute {name} of {owner} is not text (HDF5 type class {cls})")
    if tid.is_variable_str():
        return "vlen"
    if tid.get_size() * (shape[0] if shape else 1) > _MAX_ATTR_BYTES:
        raise CorruptCheckpointError(f"attribute {name} of {owner} declares {tid.get_size()}-byte strings of shape "
                                     f"{list(shape)}: more than {_MAX_ATTR_BYTES} bytes")
    return "fixed"


_STRINGS: contextvars.ContextVar[dict | None] = contextvars.ContextVar("keras_h5_strings", default=None)
_MAX_ATTR_ITEMS, _MAX_ATTR_BYTES = 1 << 24, 256 << 20
_CHILD_SECONDS, _CHILD_MEMORY = 2.0, 1 << 30  # (CPU seconds: a healthy small file needs milliseconds)


def _string_attributes(source: _Source) -> dict | None:
    """Every variable-length string attribute of the file, read in a forked child with a timeout and an
    address-space limit: {"<object path>\\0<attribute>": value}. None where fork is unavailable (then values are
    read in-process, unguarded). A child that fails, hangs or runs out of memory yields only what it finished,
    plus "" -> the reason."""
    if not hasattr(os, "fork"):
        return None
    import select
    import signal

    # A damaged heap makes libhdf5 loop on the CPU: the limit is the child's CPU time, which a busy machine does not
    # use up (a wall-clock limit called healthy files damaged under load); the wall clock only ends a blocked child.
    cpu = round(min(60.0, _CHILD_SECONDS + source.size / (64 << 20)))  # big files may hold many attributes
    seconds = 4 * cpu + 30
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns
        try:
            os.close(r)
            _limit_memory(_CHILD_MEMORY)
            _limit_cpu(cpu)
            data = memoryview(json.dumps(_collect_strings(source)).encode())
            while data:
                data = data[os.write(w, data):]
        finally:
            os._exit(0)
    os.close(w)
    chunks, deadline, reason = [], time.monotonic() + seconds, ""
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                reason = f"reading the string attributes did not finish in {seconds} s"
                break
            if select.select([r], [], [], left)[0]:
                chunk = os.read(r, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        os.close(r)
        _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
        reason = f"reading the string attributes used more than {cpu} s of CPU"
    try:
        found = json.loads(b"".join(chunks).decode("utf-8", "surrogateescape")) if chunks else {}
    except ValueError:
        found = {}
    strings = {k: _from_json(v) for k, v in found.get("values", {}).items()}
    strings[""] = reason or found.get("error") or "reading string attributes failed (out of memory?)"
    return strings


def _limit_cpu(seconds: int) -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))  # SIGXCPU at the soft limit ends the child
    except (OSError, ValueError, ImportError):
        pass


def _limit_memory(extra: int) -> None:
    try:
        import resource

        with open("/proc/self/statm") as f:
            current = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (current + extra, current + extra))
    except (OSError, ValueError, ImportError):
        pass


def _collect_strings(source: _Source) -> dict:
    """In the child: walk every object and read its variable-length string attributes."""
    h5py = _h5py()
    values: dict[str, object] = {}
    out: dict[str, object] = {"values": values}
    _STRINGS.set(None)
    try:
        with h5py.File(source.archive.open_member(source.member) if source.archive is not None else source.path,
                       "r") as f:
            objects = [f]

            def collect(_name, obj) -> None:  # returning None lets visititems go on
                objects.append(obj)

            f.visititems(collect)
            for obj in objects:
                for name in list(obj.attrs):
                    try:
                        aid = h5py.h5a.open(obj.id, name.encode("utf-8", "surrogateescape"))
                        if _check_text_attribute(h5py, aid, obj.name, name) == "vlen":
                            values[f"{obj.name}\x00{name}"] = _to_json(obj.attrs[name])
                    except CheckpointError:
                        continue  # the parent's own checks report it
    except Exception as e:  # noqa: BLE001 - reported to the parent as text; it raises its own error
        out["error"] = f"{type(e).__name__}: {str(e)[:200]}"
    return out


def _to_json(value):
    if isinstance(value, bytes):
        return {"b": value.decode("latin1")}
    if isinstance(value, str):
        return value
    if hasattr(value, "tolist"):
        return {"a": [_to_json(v) for v in (value.tolist() if value.shape else [value.item()])],
                "scalar": not value.shape}
    return str(value)


def _from_json(value):
    if isinstance(value, dict) and "b" in value:
        return value["b"].encode("latin1")
    if isinstance(value, dict) and "a" in value:
        import numpy as np

        items = [_from_json(v) for v in value["a"]]
        arr = np.empty(len(items), dtype=object)
        arr[:] = items
        return arr.reshape(()) if value.get("scalar") else arr
    return value


def _has_attr_list(group, name: str) -> bool:
    return name in group.attrs or f"{name}0" in group.attrs


def _attr_list(group, name: str, source: _Source) -> list[str]:
    """An attribute holding a list of names, reassembled from ``name0``, ``name1``, ... if it was split."""
    try:
        if name in group.attrs:
            chunks = [_attr(group, name)]
        else:
            chunks, i = [], 0
            while f"{name}{i}" in group.attrs:
                chunks.append(_attr(group, f"{name}{i}"))
                i += 1
    except (OSError, ValueError, TypeError) as e:
        raise CorruptCheckpointError(f"cannot read attribute {name} of {group.name}: {e}", path=source.display) \
            from None
    out: list[str] = []
    for chunk in chunks:
        if isinstance(chunk, bytes | str):
            out.append(_text(chunk))
        elif hasattr(chunk, "tolist"):
            values = chunk.tolist()
            out += [_text(v) for v in (values if isinstance(values, list) else [values])
                    if isinstance(v, bytes | str)]
    return out


def _json_attr(value):
    try:
        return json.loads(_text(value))
    except (ValueError, RecursionError):
        return None


def _config_layers(config) -> str:
    """"name (Class), ..." from a model config, for a note."""
    if not isinstance(config, dict):
        return ""
    inner = config.get("config")
    if not isinstance(inner, dict) or not isinstance(inner.get("layers"), list):
        return ""
    layers = inner["layers"]
    names = []
    for layer in layers:
        if isinstance(layer, dict):
            cfg = layer.get("config")
            if not isinstance(cfg, dict):
                cfg = {}
            names.append(f"{cfg.get('name', layer.get('name', '?'))} ({layer.get('class_name', '?')})")
    shown = ", ".join(names[:_MAX_NOTE_LAYERS])
    more = f", ... ({len(names) - _MAX_NOTE_LAYERS} more)" if len(names) > _MAX_NOTE_LAYERS else ""
    return f"{inner.get('name', '?')} ({config.get('class_name', '?')}): {shown}{more}"


# --- .keras zip and sharded weights -------------------------------------------------------------------------

def _read_keras_zip(path: str) -> Catalog:
    archive = _zip.open_archive(path)
    notes: list[str] = []
    if "metadata.json" in archive.members:
        meta = _json_bytes(archive.read("metadata.json", max_bytes=_MAX_JSON))
        if isinstance(meta, dict):
            notes.append(f"saved by Keras {meta.get('keras_version', '?')} on {meta.get('date_saved', '?')}")
    if "config.json" in archive.members:
        layers = _config_layers(_json_bytes(archive.read("config.json", max_bytes=_MAX_JSON)))
        if layers:
            notes.append("config.json layers: " + layers)
    if "model.weights.h5" not in archive.members:
        if "model.weights.npz" in archive.members:
            raise UnsupportedError(".keras file with model.weights.npz (weights saved as NumPy) is not supported",
                                   path=path)
        raise CorruptCheckpointError(".keras file without model.weights.h5", path=path)
    source = _Source(path, archive, "model.weights.h5")
    with source.open() as f:
        _, tensors, h5notes = _read_h5(f, source)
    return Catalog(path, FORMAT_ZIP, tensors, files=(path,), notes=tuple(notes + h5notes))


def _json_bytes(data) -> object:
    try:
        return json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _sharded_index(path: str) -> dict | None:
    try:
        if os.path.getsize(path) > _MAX_JSON or _zip.read_magic(path, 1) != b"{":
            return None
        with open(path, "rb") as fh:
            index = _json_bytes(fh.read())
    except OSError:
        return None
    if not isinstance(index, dict):
        return None
    weight_map = index.get("weight_map")
    if not isinstance(weight_map, dict) or not weight_map:
        return None
    for shards in weight_map.values():
        if not isinstance(shards, list) or not all(isinstance(s, str) and s.endswith(".h5") for s in shards):
            return None
    return index


def _read_sharded(path: str, index: dict) -> Catalog:
    directory = os.path.dirname(path)
    shards: list[str] = []
    for shard_list in index["weight_map"].values():
        for shard in shard_list:
            if os.path.isabs(shard) or ".." in shard.replace("\\", "/").split("/"):
                raise CorruptCheckpointError(f"weight_map points outside the checkpoint's directory: {shard!r}",
                                             path=path)
            if shard not in shards:
                shards.append(shard)
    files = tuple(os.path.join(directory, s) for s in shards)
    missing = tuple(f for f in files if not os.path.exists(f))
    tensors: dict[str, TensorInfo] = {}
    notes: list[str] = []
    owners: dict[str, str] = {}
    for shard_path in files:
        if shard_path in missing:
            continue
        source = _Source(shard_path)
        with source.open() as f:
            found, shard_notes = _keras3(f, source, owners)
        for name, info in found.items():
            if name in tensors:
                raise CorruptCheckpointError(f"variable is stored in two shards: {tensors[name].location} and "
                                             f"{os.path.basename(shard_path)}", path=path, tensor=name)
            info.location = f"{os.path.basename(shard_path)}:{info.location}"
            tensors[name] = info
        notes = notes or shard_notes
    _name_owners(tensors, owners)
    if missing:
        notes.insert(0, f"{len(missing)} shard(s) missing; their variables cannot be listed")
        if not tensors:
            raise MissingShardError(f"every shard of this index is missing: {', '.join(missing)}", path=path)
    ordered = dict(sorted(tensors.items(), key=lambda kv: [_natural(p) for p in kv[0].split("/")]))
    return Catalog(path, FORMAT_KERAS3, ordered, files=(path, *files), missing_files=missing, notes=tuple(notes))
