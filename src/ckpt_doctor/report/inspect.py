"""``inspect``: a checkpoint's contents as a scope tree with parameter counts and bytes per scope."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..catalog import BOOKKEEPING_KINDS, Catalog, TensorInfo
from ..formats.registry import display
from .text import human_bytes, human_count, shape_str, table


def display_name(info: TensorInfo) -> str:
    """The name a person wants to see: the object path for TF2 entries (a slot shown under its variable),
    else the key."""
    path = info.object_path or info.name
    if info.kind == "slot" and info.slot_name and "/.OPTIMIZER_SLOT/" in path:
        return path.split("/.OPTIMIZER_SLOT/", 1)[0] + "/" + info.slot_name
    return path


_STATS_CHUNK = 1 << 18  # elements converted to float64 at a time


def tensor_stats(value) -> dict | None:
    """min/max/mean/std of a numeric array (None for strings and empty arrays), in float64 a chunk at a time: memory
    stays near the array itself, not the several float64 copies of it a whole-array ``std`` makes."""
    import math

    import numpy as np

    if value.dtype == object or value.size == 0:
        return None
    flat = value.reshape(-1)

    def chunks():
        for start in range(0, flat.size, _STATS_CHUNK):
            part = flat[start:start + _STATS_CHUNK]
            if part.dtype.kind == "b":
                part = part.astype(np.uint8)
            elif part.dtype.kind == "c":
                part = np.abs(part)
            elif part.dtype.kind not in "iuf":  # bfloat16, float8 come from ml_dtypes
                part = part.astype(np.float32)
            yield part.astype(np.float64)

    low, high, total = math.inf, -math.inf, 0.0
    for part in chunks():
        low, high = float(np.minimum(low, part.min())), float(np.maximum(high, part.max()))  # NaN stays NaN
        total += float(part.sum())
    mean = total / flat.size
    squares = 0.0
    for part in chunks():
        part -= mean
        squares += float(np.dot(part, part))
    return {"min": low, "max": high, "mean": mean, "std": math.sqrt(squares / flat.size)}


def _split(name: str) -> list[str]:
    """Scopes of a name: TensorFlow separates them with '/', PyTorch and safetensors with '.'."""
    return name.split("/") if "/" in name else name.split(".")


@dataclass
class _Scope:
    params: int = 0
    nbytes: int = 0
    count: int = 0
    children: dict[str, _Scope] = field(default_factory=dict)
    tensors: list[TensorInfo] = field(default_factory=list)


def _tree(infos: list[TensorInfo]) -> _Scope:
    root = _Scope()
    for info in infos:
        node = root
        node.params += info.size
        node.nbytes += info.nbytes
        node.count += 1
        *scopes, _ = _split(display_name(info))
        for part in scopes:
            node = node.children.setdefault(part, _Scope())
            node.params += info.size
            node.nbytes += info.nbytes
            node.count += 1
        node.tensors.append(info)
    return root


def _rows(scope: _Scope, depth: int, max_depth: int | None, stats: dict, rows: list[list[str]]) -> None:
    indent = "  " * depth
    for name, child in scope.children.items():
        rows.append([f"{indent}{name}/", "", "", human_count(child.params), human_bytes(child.nbytes),
                     f"({child.count} tensors)" if child.count > 1 else ""])
        if max_depth is None or depth + 1 < max_depth:
            _rows(child, depth + 1, max_depth, stats, rows)
    for info in scope.tensors:
        extra = ""
        if info.name in stats and stats[info.name]:
            s = stats[info.name]
            extra = f"min {s['min']:.4g}  max {s['max']:.4g}  mean {s['mean']:.4g}  std {s['std']:.4g}"
        note = f"({info.partitions} partitions)" if info.partitions else ""
        if info.kind == "slot" and info.slot_name:
            note = f"slot {info.slot_name!r}"
        elif info.kind == "rng":
            note = "a random generator's state"
        rows.append([f"{indent}{_split(display_name(info))[-1]}", info.dtype, shape_str(info.shape),
                     human_count(info.size), human_bytes(info.nbytes), " ".join(x for x in (note, extra) if x)])


def render(catalog: Catalog, *, max_depth: int | None = None, stats: dict | None = None,
           values: dict | None = None) -> str:
    stats = stats or {}
    model = [t for t in catalog.values() if t.kind not in BOOKKEEPING_KINDS]
    book = [t for t in catalog.values() if t.kind in BOOKKEEPING_KINDS]
    params = sum(t.size for t in model)
    nbytes = sum(t.nbytes for t in catalog.values())
    lines = [f"{catalog.path}",
             f"  {display(catalog.format)}, {len(catalog)} entr{'y' if len(catalog) == 1 else 'ies'}, "
             f"{human_bytes(nbytes)}: {len(model)} model value{'' if len(model) == 1 else 's'} "
             f"({human_count(params)} parameters), "
             f"{len(book)} bookkeeping"]
    for note in catalog.notes:
        lines.append(f"  note: {note}")
    for missing in catalog.missing_files:
        lines.append(f"  MISSING: {missing}")
    header = ["name", "dtype", "shape", "params", "bytes", ""]
    for title, infos in (("model values", model),
                         ("bookkeeping (optimizer state, counters, random generator state, object graph)", book)):
        if not infos:
            continue
        rows = [header]
        _rows(_tree(infos), 0, max_depth, stats, rows)
        lines += ["", f"{title}:"] + ["  " + r for r in table(rows, "lllrrl")]
    if values:
        import numpy as np

        lines.append("")
        for name, value in values.items():
            lines.append(f"{display_name(catalog[name])} =")
            lines.append("  " + np.array2string(value, threshold=20, edgeitems=3, prefix="  ")  # rows line up
                         if value.dtype != object else repr(value.tolist())[:200])
    if any(t.full_name and t.object_path for t in catalog.values()):
        lines += ["", "variable names (TF1-style full_name) of object-based entries:"]
        rows = [[display_name(t), t.full_name] for t in catalog.values() if t.full_name]
        lines += ["  " + r for r in table(rows, "ll")]
    return "\n".join(lines)
