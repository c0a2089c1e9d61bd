"""Metamorphic precision probe: one more drift on top of every built scenario, with the truth it implies.

    .venv/bin/python bench/scenarios/mutate.py [PART ...]     # default: every part but the held-out ones unscored

For each non-adversarial scenario and a few of its model layers (a quarter in, the middle, three quarters, the last):
  A  the layer is removed from the model: every other variable keeps its true value;
  B  the layer's values are removed from the checkpoint: the layer is new (it may take nothing), the rest as before;
  R  the layer is replaced by a new one of the same shapes under a foreign name (``novel``), where its pairs rested
     on names: the new layer may take nothing (ambiguous is fine);
  S  the layer is resized (every axis one longer): it may take nothing, the rest as before.
And once per scenario:
  I  a copy of the middle element of the model's largest numbered family inserted before it (``dense_3/``,
     ``layers.3.``), the later numbers moved on: the copy is new, the others keep their values (ambiguous is fine);
  M  that middle element removed instead, the later numbers moved back: the others keep their values (ambiguous is
     fine), the removed element's values go unused;
  D  a copy of the family's last element appended (one block more): the copy is new, the others keep their values;
  W  every model name under a wrapper scope (``module.``, ``wrapper/``);
  P  every checkpoint name under one (``model.``, ``outer/``): no pair may contradict the truth, and fewer true
     pairs than without the wrapper is printed as RECALL.
A, R, I, M, D and W are skipped for models restored by Keras' own semantics (positions, Keras 3 paths would be stale).
Prints every pair the truth contradicts that the unmutated scenario did not make. Built scenarios only (``make.py``
and the parts' ``make``); nothing is written.
"""
from __future__ import annotations

import dataclasses
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
if os.path.join(HERE, "..", "..", "src") not in sys.path:
    sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..", "..", "src")))

import score  # noqa: E402

import ckpt_doctor  # noqa: E402
from ckpt_doctor.catalog import Catalog  # noqa: E402
from ckpt_doctor.formats import open_checkpoint  # noqa: E402

KERAS_KEYS = ("position", "keras-h5", "keras3", "keras-h5-by-name")


def layer(name):
    cut = max(name.rfind("/"), name.rfind("."))
    return name[:cut] if cut > 0 else name


def picks(layers):
    n = len(layers)
    return sorted({layers[i] for i in (n // 4, n // 2, (3 * n) // 4, n - 1) if 0 <= i < n})


TRIED = [0]  # mutations aligned


def _align(out: list, where: tuple, catalog, spec):
    """align, or None with the crash recorded in ``out`` (a crash is a finding, reported as one)."""
    TRIED[0] += 1
    try:
        return ckpt_doctor.align(catalog, spec)
    except Exception as e:  # noqa: BLE001
        out.append((*where, "ERROR", repr(e)[:200]))
        return None


def run(sid: str) -> list[tuple]:
    meta, truth, d = score.load(score.DEFAULT_OUT, sid)
    if meta.get("adversarial") or "abstain" in meta.get("tags", []):
        return []  # a must-abstain base mutated once more: two drifts at once, the truth's intent unclear
    ck, _ = score.choose_checkpoint(meta, d)
    if ck is None:
        return []
    spec_path = os.path.join(d, meta["model"])
    cat = open_checkpoint(ck)
    spec = ckpt_doctor.load_model(spec_path)
    true = {p["model"]: p["checkpoint"] for p in truth["pairs"]}
    new = set(truth.get("missing", []))
    base = ckpt_doctor.align(cat, spec)
    base_wrong = {(p.model, p.checkpoint) for p in base.pairs
                  if (p.model in true and true[p.model] != p.checkpoint) or p.model in new}
    base_rule = {p.model: p.rule for p in base.pairs}
    keras_semantics = any(k in getattr(v, "keys", {}) for v in spec.variables for k in KERAS_KEYS)
    model_layers = list(dict.fromkeys(layer(m) for m in true))
    out = []
    for kind in ("A", "B", "R", "S"):
        if kind in ("A", "R") and keras_semantics:
            continue  # positional keys would be stale: Keras' own semantics cannot be mutated this way
        for L in picks(model_layers):
            gone_m = {m for m in true if layer(m) == L}
            if kind == "A":
                spec2 = dataclasses.replace(spec, variables=[v for v in spec.variables if v.name not in gone_m])
                cat2 = cat
                gone_c = set()
            elif kind == "S":  # the layer resized (every axis one longer): a new layer under the old name
                spec2 = dataclasses.replace(spec, variables=[
                    dataclasses.replace(v, shape=tuple(n + 1 for n in v.shape)) if v.name in gone_m else v
                    for v in spec.variables])
                cat2 = cat
                gone_c = set()
            elif kind == "R":  # the layer replaced by a new one of the same shapes under a foreign name
                if any(base_rule.get(m, "structure") not in (None, "prefix", "numbering", "conventions")
                       for m in gone_m):
                    continue  # paired by structure where names share nothing: a renamed layer is invisible
                sep = "/" if "/" in L else "."
                head, _, last = L.rpartition(sep)
                new_layer = (head + sep if head else "") + "novel"
                if any(layer(v.name) == new_layer for v in spec.variables):
                    continue
                spec2 = dataclasses.replace(spec, variables=[
                    dataclasses.replace(v, name=new_layer + v.name[len(L):], object_path=None) if v.name in gone_m
                    else v for v in spec.variables])
                cat2 = cat
                gone_c = set()
                gone_m = {new_layer + m[len(L):] for m in gone_m}
            else:
                gone_c = {true[m] for m in gone_m}
                cat2 = Catalog(cat.path, cat.format, {k: v for k, v in cat.items() if k not in gone_c},
                               files=cat.files, objects=cat.objects, state_dict_at=cat.state_dict_at)
                spec2 = spec
            a = _align(out, (sid, kind, L), cat2, spec2)
            for p in a.pairs if a is not None else ():
                if (p.model, p.checkpoint) in base_wrong:
                    continue
                if kind in ("B", "R", "S") and p.model in gone_m:
                    what = {"B": "its value was removed", "R": "a new layer", "S": "resized"}[kind]
                    out.append((sid, kind, L, p.model, f"{p.checkpoint} ({what}) [{p.rule}]"))
                elif p.model in true and true[p.model] != p.checkpoint:
                    out.append((sid, kind, L, p.model, f"{p.checkpoint} != {true[p.model]} [{p.rule}]"))
                elif p.model in new:
                    out.append((sid, kind, L, p.model, f"{p.checkpoint} (new in the model) [{p.rule}]"))
    if not keras_semantics:  # I: a layer inserted into a numbered family of the model, later numbers moved on
        for family, at in _families(list(true)):
            renamed, inserted = _insert(spec.variables, family, at)
            spec2 = dataclasses.replace(spec, variables=renamed + inserted)
            back = {v.name: old.name for v, old in zip(renamed, spec.variables, strict=True)}
            a = _align(out, (sid, "I", family), cat, spec2)
            fresh = {v.name for v in inserted}
            for p in a.pairs if a is not None else ():
                m = back.get(p.model, p.model)
                if (m, p.checkpoint) in base_wrong:
                    continue
                if p.model in fresh:
                    out.append((sid, "I", family, p.model, f"{p.checkpoint} (inserted: new) [{p.rule}]"))
                elif m in true and true[m] != p.checkpoint:
                    out.append((sid, "I", family, p.model, f"{p.checkpoint} != {true[m]} [{p.rule}]"))
            # D: a copy of the family's last element appended (a deeper model: one more block): it is new
            renamed, appended = _append(spec.variables, family)
            a = _align(out, (sid, "D", family), cat, dataclasses.replace(spec, variables=renamed + appended))
            fresh = {v.name for v in appended}
            for p in a.pairs if a is not None else ():
                if (p.model, p.checkpoint) in base_wrong:
                    continue
                if p.model in fresh:
                    out.append((sid, "D", family, p.model, f"{p.checkpoint} (appended: new) [{p.rule}]"))
                elif p.model in true and true[p.model] != p.checkpoint:
                    out.append((sid, "D", family, p.model, f"{p.checkpoint} != {true[p.model]} [{p.rule}]"))
            # M: that element removed from the model instead, the later numbers moved back (a block removed from a
            # loop-built model): every other variable keeps its true value, the removed one's values go unused
            kept, back = _remove(spec.variables, family, at)
            a = _align(out, (sid, "M", family), cat, dataclasses.replace(spec, variables=kept))
            for p in a.pairs if a is not None else ():
                m = back[p.model]
                if (m, p.checkpoint) not in base_wrong and m in true and true[m] != p.checkpoint:
                    out.append((sid, "M", family, p.model, f"{p.checkpoint} != {true[m]} [{p.rule}]"))
    for kind in ("W", "P"):  # a wrapper scope around every name of one side: one rule explains it
        if kind == "W" and keras_semantics or kind == "P" and (cat.objects or cat.format.startswith("keras")):
            continue  # (Keras paths and object graphs name by structure, not by a prefix a user adds)
        if kind == "W":
            wrap = "module." if spec.framework == "torch" else "wrapper/"
            spec2 = dataclasses.replace(spec, variables=[dataclasses.replace(
                v, name=wrap + v.name, object_path=None, tied_to=wrap + v.tied_to if v.tied_to else None)
                for v in spec.variables])  # (a tie names its owner: wrapped too)
            cat2 = cat
        else:
            wrap = "model." if cat.format in ("torch", "safetensors") else "outer/"
            cat2 = Catalog(cat.path, cat.format, {wrap + k: dataclasses.replace(
                v, name=wrap + k, slot_of=wrap + v.slot_of if v.slot_of else None)  # (a slot names its variable)
                for k, v in cat.items()}, state_dict_at=cat.state_dict_at)
            spec2 = spec
        a = _align(out, (sid, kind, wrap), cat2, spec2)
        if a is None:
            continue
        for p in a.pairs:
            m = p.model[len(wrap):] if kind == "W" else p.model
            c = p.checkpoint[len(wrap):] if kind == "P" else p.checkpoint
            if (m, c) in base_wrong:
                continue
            if m in true and true[m] != c:
                out.append((sid, kind, wrap, p.model, f"{p.checkpoint} != {true[m]} [{p.rule}]"))
            elif m in new:
                out.append((sid, kind, wrap, p.model, f"{p.checkpoint} (new in the model) [{p.rule}]"))
        lost = sum(1 for p in base.pairs if p.model in true and true[p.model] == p.checkpoint)
        kept = sum(1 for p in a.pairs if (p.model[len(wrap):] if kind == "W" else p.model) in true)
        if kept < lost:
            out.append((sid, kind, wrap, "RECALL", f"{kept} pairs with the wrapper, {lost} without"))
    return out


_NUMBERED = re.compile(r"(?:(?<=[/.])|^)([A-Za-z][A-Za-z0-9]*)([_.])(\d+)(?=[/.])")


def _families(names: list[str]) -> list[tuple[str, int]]:
    """Numbered families of model layers (``dense_3/``, ``layers.3.``): (the name up to the number, the number a
    new element is inserted at, the middle one), for families of three or more numbers; one per scenario."""
    numbers: dict[str, set[int]] = {}
    for n in names:
        for found in _NUMBERED.finditer(n):
            numbers.setdefault(n[:found.start(3)], set()).add(int(found.group(3)))
    found = sorted(((len(v), k) for k, v in numbers.items() if len(v) >= 3), reverse=True)
    return [(k, sorted(numbers[k])[len(numbers[k]) // 2]) for _, k in found[:1]]


def _insert(variables: list, family: str, at: int) -> tuple[list, list]:
    """The model with a copy of element ``at`` inserted before it (the copy takes its number; it and the later ones
    move on by one): (the variables renamed, in their order; the inserted copies)."""
    def moved(name: str) -> str | None:
        if not name.startswith(family):
            return None
        rest = name[len(family):]
        digits = re.match(r"\d+", rest)
        if digits is None or rest[digits.end():digits.end() + 1] not in ("/", ".") or int(digits.group()) < at:
            return None
        return f"{family}{int(digits.group()) + 1}{rest[digits.end():]}"

    renamed = [dataclasses.replace(v, name=moved(v.name), object_path=None) if moved(v.name) else v
               for v in variables]
    inserted = [dataclasses.replace(v, name=f"{family}{at}{v.name[len(family) + len(str(at)):]}", object_path=None)
                for v in variables if v.name.startswith(f"{family}{at}") and
                v.name[len(family) + len(str(at)):][:1] in ("/", ".")]
    return renamed, inserted


def _append(variables: list, family: str) -> tuple[list, list]:
    """The model with a copy of the family's last element appended under the next number: (the variables, the
    copies)."""
    found = [(int(m.group(1)), v) for v in variables
             if (m := re.match(re.escape(family) + r"(\d+)(?=[/.])", v.name))]
    last = max(n for n, _ in found)
    return list(variables), [dataclasses.replace(v, name=f"{family}{last + 1}{v.name[len(family) + len(str(last)):]}",
                                                 object_path=None) for n, v in found if n == last]


def _remove(variables: list, family: str, at: int) -> tuple[list, dict]:
    """The model without element ``at`` of ``family``, the later elements numbered one lower: (the variables left,
    in their order; {new name: old name})."""
    def number(name: str) -> tuple[int, str] | None:
        if not name.startswith(family):
            return None
        rest = name[len(family):]
        digits = re.match(r"\d+", rest)
        if digits is None or rest[digits.end():digits.end() + 1] not in ("/", "."):
            return None
        return int(digits.group()), rest[digits.end():]

    kept, back = [], {}
    for v in variables:
        found = number(v.name)
        if found is not None and found[0] == at:
            continue
        name = f"{family}{found[0] - 1}{found[1]}" if found is not None and found[0] > at else v.name
        kept.append(dataclasses.replace(v, name=name, object_path=None) if name != v.name else v)
        back[name] = v.name
    return kept, back


def main():
    args = sys.argv[1:]
    parts = args or ["constructed", "thirdparty", "heldout", "heldout2", "heldout3", "heldout4", "heldout5",
                     "heldout6"]
    ids = [i for part in parts if part in score.PARTS for i in score.PARTS[part]] or args
    t0 = time.time()
    bad = []
    for sid in ids:
        found = run(sid)
        bad += found
        for f in found:
            print(*f, sep=" | ", flush=True)
    wrong = [f for f in bad if f[3] != "RECALL"]  # (RECALL lines are pairs lost to a wrapper, not wrong ones)
    by = {(f[0], f[1], f[2]) for f in wrong}
    took = time.time() - t0
    print(f"{len(wrong)} wrong pairs in {len(by)} of {TRIED[0]} mutations ({len(bad) - len(wrong)} wrapper recall "
          f"lines apart), {len(ids)} scenarios, {took:.0f} s")


if __name__ == "__main__":
    main()
