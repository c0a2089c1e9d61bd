"""``diagnose``: the headline first, then each group of problems, with repeated structure collapsed."""

from __future__ import annotations

from collections import Counter

from ..catalog import BOOKKEEPING_KINDS, SLOT
from ..match.compare import (
    BLOCKED,
    BOOKKEEPING,
    BY_TIE,
    CROSSED,
    DTYPE_MISMATCH,
    LOADED,
    MISMATCHED,
    MISSING,
    SHAPE_MISMATCH,
    UNUSED,
    Diagnosis,
)
from .collapse import collapse
from .text import shape_str, table

_LIMIT = 40  # rows per group before "... and N more"
_PAIRS_BY = {"name": "variable name", "object": "object path", "keras-h5": "order of the layers with weights, then "
             "position", "keras-h5-by-name": "layer name, then position", "keras3": "object tree path, then position "
             "within the layer", "keras3-tfk": "object tree path, then position within the layer"}


def _grouped(items: list, name_of, describe) -> list[str]:
    """Rows for ``items``, names with repeated structure collapsed; shapes shown when the group agrees."""
    rows = []
    for pattern, members in collapse([name_of(x) for x in items]):
        group = [items[i] for i in members]
        details = {describe(x) for x in group}
        detail = details.pop() if len(details) == 1 else "various shapes"
        count = f"({len(group)})" if len(group) > 1 else ""
        rows.append([pattern, detail, count])
    lines = ["  " + r for r in table(rows[:_LIMIT], "lll")]
    if len(rows) > _LIMIT:
        lines.append(f"  ... and {len(rows) - _LIMIT} more")
    return lines


def render(d: Diagnosis, alignment=None) -> str:
    n, weights = len(d.model.variables), sum(v.is_weight for v in d.model.variables)
    # the counts below are of weights: say how many of the model's variables are (the rest: counters, slots)
    of_them = f", {weights} of them weights" if weights != n else ""
    lines = [f"checkpoint: {d.checkpoint.path} ({d.checkpoint.format})",
             f"model:      {d.model.source or d.model.framework} ({n} variables{of_them}, {d.model.framework})",
             f"loaded by:  {d.loader.call} (--load-with {d.loader.name}; pairs by {_PAIRS_BY[d.loader.pairs_by]})",
             "", d.summary()[0].upper() + d.summary()[1:] + "."]
    if d.failure:
        lines.append(f"The load call fails: {d.failure}.")
    for note in d.all_notes():
        lines.append(f"note: {note}")

    def var_name(r):
        return _with_root(d.object_root, r.variable.object_path) if d.object_root is not None and \
            r.variable.object_path else r.variable.name

    missing = d.weights(MISSING)
    if missing:
        lines += ["", f"Model variables with no value in the checkpoint (they keep their initial values): "
                      f"{len(missing)}"]
        lines += _grouped(missing, var_name, lambda r: f"{r.variable.dtype} {shape_str(r.variable.shape)}")
    blocked = d.weights(BLOCKED)
    if blocked:
        lines += ["", f"Model variables with a fitting value that the failing call never assigns: {len(blocked)}"]
        lines += _grouped(blocked, var_name, lambda r: f"{r.variable.dtype} {shape_str(r.variable.shape)}")
    for status, title in ((SHAPE_MISMATCH, "Shape differs between checkpoint and model"),
                          (DTYPE_MISMATCH, "Dtype differs between checkpoint and model")):
        bad = d.weights(status)
        if bad:
            lines += ["", f"{title} (restore fails, or skips them when made lenient): {len(bad)}"]
            lines += _grouped(bad, var_name, lambda r: f"checkpoint {r.entry.dtype} {shape_str(r.entry.shape)} vs "
                                                       f"model {r.variable.dtype} {shape_str(r.variable.shape)}")
    crossed = d.weights(CROSSED)
    if crossed:
        lines += ["", f"Model variables that get the value saved for another variable: {len(crossed)} (restore "
                      "reaches them first through another path; the value their own path holds goes elsewhere or "
                      "nowhere)"]
        rows = [[var_name(r), "<-", f"`{r.entry.full_name or r.entry.name}`", "via", f"`{r.through}`"]
                for r in crossed[:_LIMIT] if r.entry is not None]
        lines += ["  " + row for row in table(rows, "lllll")]
        if len(crossed) > _LIMIT:
            lines.append(f"  ... and {len(crossed) - _LIMIT} more")
    unused = d.entries_with(UNUSED)
    if unused:
        lines += ["", f"Checkpoint values no model variable takes: {len(unused)}"]
        lines += _grouped(unused, lambda r: r.entry.object_path or r.entry.name,
                          lambda r: f"{r.entry.dtype} {shape_str(r.entry.shape)}")
    loaded = d.weights(LOADED)
    casts = [r for r in loaded if r.entry is not None and r.entry.dtype != r.variable.dtype]
    lines += ["", f"Loaded: {len(loaded)} of {len(d.weights())} model variables"
              + (f" ({len(casts)} with a dtype cast)" if casts else "") + "."]
    if missing and loaded:  # before the tie tables, whose rows would otherwise seem to go on
        lines += _grouped(loaded, var_name, lambda r: f"{r.variable.dtype} {shape_str(r.variable.shape)}")[:10]
    tied = [r for r in loaded if r.matched_by == BY_TIE]
    if tied:
        lines += [f"  of them filled through a tie, with no value under their own name: {len(tied)} (in the model "
                  "they share the storage of the variable named: the same tensor or variable)"]
        lines += ["  " + row for row in table([[r.variable.name, "<-", r.via or ""] for r in tied[:_LIMIT]], "lll")]
    overwritten = _overwritten(d, loaded)
    if overwritten:
        lines += [f"  of them overwritten through a tie: {len(overwritten)} (they share storage with a variable the "
                  "load writes later, whose value in the file differs from theirs: they end with its value)"]
        lines += ["  " + row for row in table([[r.variable.name, "ends as", f"`{key}`"]
                                              for r, key in overwritten[:_LIMIT]], "lll")]
    model_book = [r for r in d.variables if not r.variable.is_weight]
    # every bookkeeping entry of the file (as inspect counts them), whether a model variable took it or not
    book = [r for r in d.entries
            if r.status == BOOKKEEPING or r.entry is not None and r.entry.kind in BOOKKEEPING_KINDS]
    if book or model_book:
        kinds = Counter(r.entry.kind for r in book)
        parts = [f"{n} {k.replace('_', ' ')}" + ("s" if n > 1 and not k.endswith("state") else "")
                 for k, n in sorted(kinds.items())]
        lines += ["", f"Not counted as model weights: {len(book)} checkpoint entries of optimizer state and "
                      f"bookkeeping ({', '.join(parts) or 'none'})"
                  + (f"; the model has {len(model_book)} such variables, "
                     f"{sum(r.status == LOADED for r in model_book)} found" if model_book else "") + "."]
    averages = [r for r in book if r.entry.kind == SLOT and r.entry.slot_name == "average"]
    if averages:  # Keras 3 optimizer(use_ema=True): what inference usually wants is there, not in the weights
        lines.append(f"{len(averages)} of the optimizer's slots are moving averages of weights (Keras use_ema=True), "
                     "not the weights: restored with the optimizer, "
                     "optimizer.finalize_variable_values(model.trainable_variables) puts them in the weights.")
    mismatched = d.entries_with(MISMATCHED)
    if mismatched and not (d.weights(SHAPE_MISMATCH) or d.weights(DTYPE_MISMATCH)):
        lines.append(f"{len(mismatched)} checkpoint entries are claimed by optimizer variables of another shape.")
    if alignment is not None:
        lines += _why(alignment)
    return "\n".join(lines)


def _overwritten(d: Diagnosis, loaded: list) -> list[tuple]:
    """(result, key whose value it ends with) for the loaded variables whose storage a later name of their tie
    overwrites: calls that write every name present do so in the model's order (match/compare.py _fill_ties)."""
    if not (d.loader.name.startswith("torch") or d.loader.pairs_by.startswith("keras")):
        return []
    groups: dict[str, list] = {}
    for r in loaded:
        if r.entry is not None and r.matched_by != BY_TIE:
            groups.setdefault(r.variable.tied_to or r.variable.name, []).append(r)
    later = [(r, given[-1].entry) for given in groups.values() for r in given[:-1] if r.entry is not given[-1].entry]
    return [(r, last.name) for r, last in later if _differ(r.entry, last)]


def _differ(a, b) -> bool:
    """Whether two checkpoint values differ (a file saved from tied weights holds equal ones); unreadable: yes."""
    import numpy as np

    from ..errors import CheckpointError

    try:
        return not np.array_equal(a.read(), b.read())
    except CheckpointError:
        return True


def _why(a) -> list[str]:
    from ..match.fixes import layer_story
    from .align import fix_code, needs_fix, other_shapes

    lines = ["", "Why:"]
    story = layer_story(a.diagnosis, a) if a.diagnosis.failure or not a.diagnosis.ok else []
    # names an index lists whose values no file holds (a missing shard, or a shard without them)
    listed = {n for names in a.diagnosis.checkpoint.unlisted.values() for n in names}
    lost = [m for m in a.missing if m in listed]
    # Keras files pair by layer order, not by name: the layer story replaces name-based explanations
    lines += [f"  - {s}" for s in (story or a.sentences)] or ([] if a.tied or a.ambiguous or lost else [
        "  - no renaming explains the differences (see `ckpt-doctor align` for candidates)"])
    if lost:
        lines.append(f"  - {len(lost)} model variable(s) are listed by the checkpoint's index, but no file holds "
                     f"their values (e.g. `{lost[0]}`: a shard is missing, or lacks them): the checkpoint is "
                     "incomplete, and no renaming fixes that")
    if a.tied:
        lines.append(f"  - {len(a.tied)} tied variable(s) have no key of their own: the tie fills them, but a strict "
                     "load_state_dict reports them as missing keys")
    if a.ambiguous:
        first = a.ambiguous[0]
        lines.append(f"  - {len(a.ambiguous)} model variable(s) have candidate values that nothing proves to be "
                     f"theirs; nothing is guessed for them (e.g. `{first.model}`: {first.reason}; see "
                     "`ckpt-doctor align`)")
    differ = other_shapes(a)
    absent = [m for m in a.missing if m not in set(differ) and m not in listed and m not in a.resized]
    if differ:
        lines.append(f"  - {len(differ)} model variable(s) are in the checkpoint under their own names with another "
                     "shape or dtype: it was saved from a model of another size or configuration; no renaming "
                     "fixes that, so no fix is printed")
    if absent and not story:  # for Keras files the layer-order story says which variables are new
        lines.append(f"  - {len(absent)} model variable(s) have no counterpart in the checkpoint at all")
    if needs_fix(a):
        label, code = fix_code(a)
        hint = "" if label == "TF2 / Keras" else "; `ckpt-doctor align ... -o rules.yaml` writes the rules"
        lines += ["", f"Fix ({label}{hint}):"]
        lines += ["  " + line for line in code.splitlines()]
    return lines


def _with_root(root: str | None, path: str) -> str:
    return f"{root}/{path}" if root else path
