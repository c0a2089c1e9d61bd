"""Writing many similar names the way a person would: ``layer_{0..11}/attention/kernel``."""

from __future__ import annotations

import re
from collections.abc import Sequence

_NUMBER = re.compile(r"(\d+)")


def _tokens(name: str) -> tuple:
    parts = _NUMBER.split(name)
    # Odd positions hold numbers; zero-padded ones ("007") stay text so they are never rewritten as 7.
    return tuple(frozenset([int(p)]) if i % 2 and (p == "0" or not p.startswith("0")) else p
                 for i, p in enumerate(parts))


def _render_set(values: frozenset) -> str:
    vs = sorted(values)
    if len(vs) == 1:
        return str(vs[0])
    if vs == list(range(vs[0], vs[-1] + 1)):
        return f"{{{vs[0]}..{vs[-1]}}}"
    shown = ",".join(map(str, vs[:6]))
    return f"{{{shown}{',...' if len(vs) > 6 else ''}}}"


def collapse(names: Sequence[str]) -> list[tuple[str, list[int]]]:
    """Group names that differ only in their numbers; return (pattern, indices into ``names``) in first-seen order.

    >>> collapse(["layer_0/w", "layer_1/w", "layer_2/w", "head/w"])
    [('layer_{0..2}/w', [0, 1, 2]), ('head/w', [3])]
    """
    groups: list[tuple[tuple, list[int]]] = [(_tokens(n), [i]) for i, n in enumerate(names)]
    changed = True
    while changed:
        changed = False
        width = max((len(t) for t, _ in groups), default=0)
        for pos in range(1, width, 2):
            merged: dict[tuple, tuple[tuple, list[int]]] = {}
            order: list[tuple] = []
            for tokens, members in groups:
                key: tuple
                if pos < len(tokens) and isinstance(tokens[pos], frozenset):
                    key = (len(tokens), tokens[:pos], tokens[pos + 1:])
                else:
                    key = ("single", id(members))
                if key in merged:
                    old_tokens, old_members = merged[key]
                    union = old_tokens[:pos] + (old_tokens[pos] | tokens[pos],) + old_tokens[pos + 1:]
                    merged[key] = (union, old_members + members)
                    changed = True
                else:
                    merged[key] = (tokens, members)
                    order.append(key)
            groups = [merged[k] for k in order]
    out = []
    for tokens, members in groups:
        pattern = "".join(_render_set(t) if isinstance(t, frozenset) else t for t in tokens)
        out.append((pattern, sorted(members)))
    out.sort(key=lambda g: g[1][0])
    return out
