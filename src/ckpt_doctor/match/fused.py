"""Values one side keeps fused and the other in parts: an attention's query, key and value projections.

PyTorch's ``nn.MultiheadAttention`` holds them as one ``in_proj_weight`` [3E, E], timm's ViT as ``qkv``, GPT-2 as
``c_attn``, Falcon as ``query_key_value``; Keras' ``MultiHeadAttention`` and most Hugging Face ports keep three layers.
No rename makes one value of three (and the fused order is the model's own: end to end, or interleaved by head), so
these are never paired. What can be said, and is said, is that the values left over on the two sides are the same
projections: the fused values hold exactly as many numbers as the parts together, group by group.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from math import prod

_FUSED = re.compile(r"(?:^|[/._])(?:in_?proj(?:_weight|_bias)?|qkv(?:_?proj)?|c_?attn|query_?key_?value|w_?pack)"
                    r"(?:[/._]|$)", re.IGNORECASE)
_ROLE = re.compile(r"^_?(?:to_?)?(?:(q|k|v)|(query|key|value))(?:_?(?:proj|dense|linear|lin))?$|^w(q|k|v)$",
                   re.IGNORECASE)
_SEP = re.compile(r"[/.]")


def _role(segment: str) -> str | None:
    found = _ROLE.match(segment)
    if found is None:
        return None
    return next(g for g in found.groups() if g)[0].lower()


def _triples(items: list[tuple[str, tuple[int, ...]]]) -> list[tuple[list[str], int]]:
    """Groups of three names alike but for one segment, whose roles are query, key and value: (names, numbers)."""
    groups: dict[tuple, dict[str, tuple[str, int]]] = defaultdict(dict)
    for name, shape in items:
        segments = _SEP.split(name)
        for i, segment in enumerate(segments):
            role = _role(segment)
            if role is not None:
                key = (tuple(segments[:i]), tuple(segments[i + 1:]))
                groups[key].setdefault(role, (name, prod(shape)))
                break
    return [([group[r][0] for r in "qkv"], sum(group[r][1] for r in "qkv"))
            for group in groups.values() if len(group) == 3]


def hints(missing: list[tuple[str, tuple[int, ...]]], unused: list[tuple[str, tuple[int, ...]]]) -> list[str]:
    """Sentences for fused projections on one side whose parts are left over on the other: ``missing`` are the
    model variables without a value, ``unused`` the checkpoint values nobody takes, each (name, shape)."""
    out = []
    for fused_side, parts_side, fused_items, part_items in (("model", "checkpoint", missing, unused),
                                                             ("checkpoint", "model", unused, missing)):
        fused = [(name, prod(shape)) for name, shape in fused_items if _FUSED.search(name)]
        triples = _triples(part_items)
        if not fused or Counter(n for _, n in fused) != Counter(n for _, n in triples):
            continue  # every fused value must have its three parts, numbers for numbers, and nothing else
        names = [name for name, _ in fused]
        parts = [name for group, _ in triples for name in group]
        what, whats = ("variable(s)", "values") if fused_side == "model" else ("value(s)", "variables")
        out.append(f"{len(names)} {fused_side} {what} without a partner are fused query/key/value projections "
                   f"({_listed(names)}); {len(parts)} {parts_side} {whats} "
                   f"without a partner are such projections in three parts ({_listed(parts)}): each fused one holds "
                   "exactly as many numbers as a query, key and value together. No rule joins or splits values, so "
                   "none is paired: concatenate (or split) them by hand in the order and layout the fused one "
                   "expects (PyTorch's in_proj: query, key, value along the first axis), or build the model with "
                   "separate projections")
    return out


def _listed(names: list[str]) -> str:
    shown = ", ".join(f"`{n}`" for n in names[:3])
    return shown + (f", ... {len(names) - 3} more" if len(names) > 3 else "")
