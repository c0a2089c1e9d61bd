"""``prefer_names``: the user's explicit choice of the framework's own by-name pairs where the inference ties.

``align`` abstains where equal numbered blocks could be renumbered in several ways that fit equally well: which
block is new, no file says. A user who knows the model only grew or shrank at the end may choose what the
framework's own restore call does there: load each such variable by its name. This pass makes exactly that choice
on the inference state, after ``infer`` and before rules are derived, and nothing more: no other ambiguity is
resolved and no variable takes a value its framework would not load into it."""

from __future__ import annotations

from .compare import BY_POSITION, LOADED, Diagnosis

CHOSEN = "by-name (chosen)"  # the stage of a pair this choice made (``Pair.rule``)
# The ambiguity that is a tie of equally good renumberings and nothing else (infer.py's reason, word for word).
# (A tie of structural alignments never held a by-name entry in the scenarios, and the renamed-or-new story of a
# lone layer is another matter: neither is taken.)
_TIE = "layers of this kind could be renumbered in several ways that fit equally well"


def prefer_names(state, d: Diagnosis, c_items: list) -> int:
    """Pair each model variable that is ambiguous only through a tie, and whose candidates include the entry its
    framework's restore loads into it by name (``d``'s loaded entry, not by position; as it is, not taken), with
    that entry; where the framework loads nothing into it, with the one candidate whose name is its own under the
    rules the inference applied (``module.`` dropped, TF's ``layer_4/kernel`` as ``layer.4.weight``). Another
    ambiguity left with no free candidate keeps no partner, as the framework leaves it.
    Returns how many pairs were chosen."""
    by_name = {id(r.variable): r for r in d.weights(LOADED) if r.entry is not None and r.matched_by != BY_POSITION}
    item_of = {id(c.ref): c for c in c_items}
    chosen = 0
    for key, (m, candidates, reason) in list(state.ambiguous.items()):
        if reason != _TIE:
            continue
        r = by_name.get(id(m.ref))
        if r is not None:
            c = item_of.get(id(r.entry))
            why = f"the value the framework's own restore loads into it (same {r.matched_by or 'name'})"
        else:  # names that agree under the rules the inference applied (a scope dropped, another convention)
            same = [x for x in candidates if x.key == m.key]
            c = same[0] if len(same) == 1 else None
            why = "the value of its name under the rules applied (a scope or a naming convention)"
        if c is None or c not in candidates or id(c) in state.taken_c:
            continue
        ok, transform = state.compatible(c, m)
        if not ok or r is not None and transform is not None:  # the framework's load takes the value as it is
            continue
        del state.ambiguous[key]
        state.ties.discard(key)
        state.add(c, m, transform, CHOSEN,
                  f"{why}, chosen by prefer_names (--prefer-names) where equally good renumberings tie: a choice, "
                  "not proved")
        chosen += 1
    if chosen:  # candidates the choice took are no longer free; an ambiguity with none left has no partner
        for key, (m, candidates, reason) in list(state.ambiguous.items()):
            free = [c for c in candidates if id(c) not in state.taken_c]
            if not free:
                del state.ambiguous[key]
                state.ties.discard(key)
                m.busy = False
            elif len(free) < len(candidates):
                state.ambiguous[key] = (m, free, reason)
    return chosen
