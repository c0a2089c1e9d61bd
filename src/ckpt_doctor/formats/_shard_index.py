"""Sharded checkpoints behind a JSON index, as Hugging Face saves them: ``model.safetensors.index.json`` and
``pytorch_model.bin.index.json`` hold ``{"metadata": {...}, "weight_map": {tensor name: shard file}}``, the shards
beside the index. The format's reader opens each shard; this module checks the index against them (a shard that
does not hold what the index puts in it, tensors it does not list, tensors no shard holds, missing shards) and
assembles one ``Catalog`` of what the shards hold, as ``from_pretrained`` loads every tensor of each shard the index
names.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable

from ..catalog import Catalog, TensorInfo
from ..errors import CorruptCheckpointError, MissingShardError
from . import _io, _zip

MAX_INDEX_BYTES = 100 << 20
SHARD_NUMBER = re.compile(r"-(\d{5})-of-(\d{5})\.[^/\\]+$")  # `model-00002-of-00006.safetensors`


def parse_json(path: str, limit: int = MAX_INDEX_BYTES) -> tuple[object, str]:
    """(the document, "") or (None, why it could not be read)."""
    try:
        if _io.getsize(path) > limit:
            return None, f"larger than {limit} bytes"
        with _io.open_file(path) as f:
            return json.loads(f.read().decode("utf-8")), ""
    except (OSError, ValueError, RecursionError) as e:  # ValueError: bad UTF-8, bad JSON, integers too long to parse
        return None, str(e) or type(e).__name__


def is_index(path: str, shard_suffixes: tuple[str, ...]) -> bool:
    """A JSON file whose ``weight_map`` names only shards ending in one of ``shard_suffixes``."""
    if not path.endswith(".json") or _zip.read_magic(path, 1) != b"{":
        return False
    index = parse_json(path)[0]
    weight_map = index.get("weight_map") if isinstance(index, dict) else None
    return isinstance(weight_map, dict) and bool(weight_map) and all(
        isinstance(v, str) and v.endswith(shard_suffixes) for v in weight_map.values())


def read_index(path: str, fmt: str, what: str, read_shard: Callable[[str], tuple[dict[str, TensorInfo], list[str]]],
               *, sort: bool = True, prefetch: Callable[[list[str]], None] | None = None) -> Catalog:
    """The catalog of a sharded set: ``read_shard(file)`` gives one shard's tensors (and notes worth keeping);
    ``what`` names the index kind in messages (``safetensors``). ``sort``: names sorted (as ``safe_open`` lists
    them), else in shard order and each shard's own order (a state dict's, split by ``save_pretrained``);
    ``prefetch(files)`` first, with the shards that exist (remote ones: their heads in one batch)."""
    index, why = parse_json(path)
    if index is None:
        raise CorruptCheckpointError(f"a {what} shard index by its name, but its JSON cannot be read ({why}): "
                                     "cut short or damaged", path=path)
    if not isinstance(index, dict) or not isinstance(index.get("weight_map"), dict):
        raise CorruptCheckpointError(f"not a {what} index (no weight_map)", path=path)
    weight_map: dict[str, str] = index["weight_map"]
    directory = _io.dirname(path)
    shards: dict[str, list[str]] = {}
    for name, shard in weight_map.items():
        if not isinstance(shard, str) or os.path.isabs(shard) or ".." in shard.replace("\\", "/").split("/"):
            raise CorruptCheckpointError(f"weight_map points outside the checkpoint's directory: {shard!r}",
                                         path=path, tensor=name)
        shards.setdefault(shard, []).append(name)
    if not sort:  # save_pretrained numbers its shards in state-dict order
        shards = dict(sorted(shards.items(), key=lambda item: _shard_order(item[0])))
    files = tuple(_io.join(directory, s) for s in shards)
    missing = tuple(f for f in files if not _io.exists(f))
    if prefetch is not None:
        prefetch([f for f in files if f not in missing])
    tensors: dict[str, TensorInfo] = {}
    notes: list[str] = []
    elsewhere: dict[str, str] = {}  # a tensor the index puts in a shard that lacks it -> that shard
    unlisted_by_index: dict[str, list[str]] = {}  # shard -> the tensors it holds that the index does not list
    for shard, names in shards.items():
        shard_path = _io.join(directory, shard)
        if shard_path in missing:
            continue
        found, shard_notes = read_shard(shard_path)
        notes += [f"{shard}: {n}" for n in shard_notes if f"{shard}: {n}" not in notes]
        listed = set(names)
        elsewhere.update((name, shard) for name in names if name not in found)
        # from_pretrained (and accelerate, and load_state_dict of each shard) loads every tensor of each shard it
        # opens, whatever the index lists: a tensor in another shard than the index says is read from there
        for name in (names if sort else [n for n in found if n in listed]):
            if name in found:
                tensors[name] = found[name]
        extra = [n for n in found if n not in listed and n not in tensors]
        for name in extra:
            tensors[name] = found[name]
        if extra:
            unlisted_by_index[shard] = extra
    # from_pretrained takes the index's list as what the checkpoint holds: a tensor it lists that no shard holds
    # is neither loaded nor reported missing, and its variable keeps its initial value without a word
    lacking: dict[str, list[str]] = {}
    for name, shard in elsewhere.items():
        if name not in tensors:
            lacking.setdefault(_io.join(directory, shard), []).append(name)
    if lacking:
        names = sorted(n for found in lacking.values() for n in found)
        notes.append(f"the index lists {len(names)} tensor(s) that no shard holds: "
                     f"{', '.join(names[:5])}{' ...' if len(names) > 5 else ''} (from_pretrained counts them as "
                     "loaded and says nothing: their variables keep their initial values)")
    moved = [n for n in elsewhere if n in tensors]
    for shard, extra in unlisted_by_index.items():
        extra = [n for n in extra if n not in elsewhere]
        if extra:
            notes.append(f"{shard} holds {len(extra)} tensor(s) the index does not list: "
                         f"{', '.join(sorted(extra)[:5])}{' ...' if len(extra) > 5 else ''} (read: from_pretrained "
                         "loads every tensor of each shard, though its warning calls them newly initialized)")
    if moved:
        shown = ", ".join(f"{n} ({elsewhere[n]})" for n in sorted(moved)[:5]) + (" ..." if len(moved) > 5 else "")
        notes.append(f"the index puts {len(moved)} tensor(s) in another shard than the one holding them: {shown} "
                     "(read from the shard that holds them, as from_pretrained does)")
    if missing:
        lost = sum(len(names) for shard, names in shards.items() if _io.join(directory, shard) in missing)
        notes.insert(0, f"{len(missing)} shard(s) missing: {lost} tensor(s) cannot be listed (dtype and shape live "
                        "in the shard)")
        if not tensors:
            raise MissingShardError(f"every shard of this index is missing: {', '.join(missing)}", path=path)
    unlisted = {_io.join(directory, s): tuple(n) for s, n in shards.items() if _io.join(directory, s) in missing}
    unlisted.update((f, tuple(n)) for f, n in lacking.items())
    return Catalog(path, fmt, dict(sorted(tensors.items())) if sort else tensors, files=(path, *files),
                   missing_files=missing, notes=tuple(notes), unlisted=unlisted)


def _shard_order(shard: str) -> tuple:
    numbered = SHARD_NUMBER.search(shard)
    return (0, int(numbered[1]), shard) if numbered else (1, 0, shard)
