"""Which checkpoint value goes into which model variable, decided before anything is assigned.

Three ways to pair, by ``rules``:

* ``None``: the framework's own semantics, exactly as ``diagnose`` reports them (no renaming);
* a ``Rules`` (or rule file): the checkpoint's names mapped by the rules first, then the framework's semantics;
* ``"auto"``: the alignment engine's proven pairs only; ambiguous variables are never assigned.

Optimizer slots follow their variables: a model slot ``<var><suffix>`` takes ``<checkpoint key of var><suffix>``.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass, field

from ..catalog import BOOKKEEPING_KINDS, OBJECT_GRAPH, Catalog, TensorInfo
from ..match.compare import DTYPE_MISMATCH, LOADED, SHAPE_MISMATCH, Diagnosis
from ..match.names import ATTRIBUTE_SUFFIX, parse_reshape, parse_transform, strip_name
from ..match.rules import Rules
from ..model.spec import ModelSpec, VariableSpec

AUTO = "auto"


@dataclass
class Assignment:
    variable: VariableSpec
    entry: TensorInfo
    transform: str | None = None  # axis permutation applied to the checkpoint value ("transpose", "permute(...)")
    how: str = "name"  # why this pair: "name", "rules", "inferred (<stage>)", "slot of <variable>"
    through_tie: bool = False  # shares storage with an assigned variable: never assigned itself, only read back

    @property
    def cast(self) -> bool:
        return self.entry.dtype != self.variable.dtype


@dataclass
class Unpaired:
    variable: VariableSpec
    reason: str
    entry: TensorInfo | None = None


@dataclass
class Plan:
    catalog: Catalog
    spec: ModelSpec
    assignments: list[Assignment]
    unpaired: list[Unpaired]
    rules: Rules | None = None
    object_root: str | None = None
    notes: list[str] = field(default_factory=list)

    def used_keys(self) -> set[str]:
        return {a.entry.name for a in self.assignments}


def make_plan(catalog: Catalog, spec: ModelSpec, rules, *, load_with=None, prefix_rule: Rules | None = None,
              prefer_names: bool = False) -> Plan:
    """Pair every model variable it can; ``prefix_rule`` (Hugging Face base-model prefix) applies when rules
    is None, as ``from_pretrained`` would apply it; ``prefer_names`` is ``align``'s (with ``"auto"`` only)."""
    if isinstance(rules, (str, os.PathLike)) and rules != AUTO:
        rules = Rules.load(rules)
    if rules is None and prefix_rule is not None:
        rules = prefix_rule
    if rules == AUTO:
        plan = _auto(catalog, spec, load_with, prefer_names)
    elif rules is None:
        plan = _from_diagnosis(_diagnose(catalog, spec, load_with), {}, "name")
    elif isinstance(rules, Rules):
        view, origin = _renamed(catalog, spec, rules)
        plan = _from_diagnosis(_diagnose(view, spec, load_with), origin, "rules")
        plan.catalog, plan.rules = catalog, rules
    else:
        raise TypeError(f"rules must be 'auto', a Rules, a rule file path or None, not {type(rules).__name__}")
    _pair_bookkeeping(plan, catalog)
    _pair_slots(plan, catalog)
    _pair_ties(plan)
    return plan


def _diagnose(catalog: Catalog, spec: ModelSpec, load_with) -> Diagnosis:
    from ..api import diagnose

    if load_with is not None and "load_with" in inspect.signature(diagnose).parameters:
        return diagnose(catalog, spec, load_with=load_with)
    return diagnose(catalog, spec)


def _from_diagnosis(d: Diagnosis, origin: dict[str, tuple[TensorInfo, str | None]], how: str) -> Plan:
    assignments, unpaired = [], []
    for r in d.variables:
        entry, transform = r.entry, None
        if entry is not None and entry.name in origin:
            entry, transform = origin[entry.name]
        if r.status == LOADED and entry is not None:
            assignments.append(Assignment(r.variable, entry, transform, how))
        elif r.status == SHAPE_MISMATCH and r.entry is not None and entry is not None:  # _judge gives the entry
            unpaired.append(Unpaired(r.variable, f"shape mismatch: checkpoint {list(r.entry.shape)} "
                                                 f"({entry.name}), model {list(r.variable.shape)}", entry))
        elif r.status == DTYPE_MISMATCH and entry is not None:
            unpaired.append(Unpaired(r.variable, f"dtype mismatch: checkpoint {entry.dtype} ({entry.name}), model "
                                                 f"{r.variable.dtype}; the framework does not cast", entry))
        else:
            unpaired.append(Unpaired(r.variable, "no checkpoint value under its name"))
    return Plan(d.checkpoint, d.model, assignments, unpaired, object_root=d.object_root, notes=d.all_notes())


def rules_namespace(catalog: Catalog, spec: ModelSpec, rules: Rules) -> str:
    """Which names of ``catalog`` the ``rules`` speak of (``apply_rules``' namespace): a TF2 checkpoint's object
    paths, or its TF1 names for a model restored by name; a Keras 3 file's layer names where the rules change more
    entries by them than by key; else keys."""
    if any(t.object_path for t in catalog.values()):
        return "object" if spec.restore == "object" else "full_name"
    return "full_name" if layer_names_fit(catalog, rules) else "key"


def layer_names_fit(catalog: Catalog, rules: Rules) -> bool:
    """Whether ``rules`` name a Keras 3 file's values by their owning layers' own names (full_name, `conv/vars/0`,
    in which `align` infers and writes them) rather than by key (`layers/conv2d/vars/0`): they change more entries
    so."""
    if not rules.rules or not any(i.full_name and i.full_name != strip_name(i.name) for i in catalog.values()):
        return False
    changed = dict.fromkeys(("key", "full_name"), 0)
    for info in catalog.values():
        for namespace in changed:
            source = (info.full_name if namespace == "full_name" else None) or strip_name(info.name)
            mapped = rules.apply(source, len(info.shape))
            changed[namespace] += mapped.dropped or mapped.name != source or mapped.transform not in (None, "none")
    return changed["full_name"] > changed["key"]


def _renamed(catalog: Catalog, spec: ModelSpec, rules: Rules) -> tuple[Catalog, dict]:
    """The checkpoint under the rules, and for each renamed key its original entry and value transform."""
    from ..match.rules import apply_rules

    namespace = rules_namespace(catalog, spec, rules)
    view = apply_rules(catalog, rules, namespace)
    origin = {}
    for info in catalog.values():
        if info.kind in BOOKKEEPING_KINDS:
            continue
        source = (info.object_path if namespace == "object" else info.full_name if namespace == "full_name"
                  else None) or strip_name(info.name)
        mapped = rules.apply(source, len(info.shape))
        if not mapped.dropped:
            key = mapped.name + ATTRIBUTE_SUFFIX if namespace == "object" else mapped.name
            origin[key] = (info, mapped.transform if mapped.transform not in (None, "none") else None)
    return view, origin


def _auto(catalog: Catalog, spec: ModelSpec, load_with, prefer_names: bool = False) -> Plan:
    from ..api import align

    alignment = align(catalog, spec, load_with=load_with, prefer_names=prefer_names)
    by_name = {v.name: v for v in spec.variables}
    assignments, unpaired, paired = [], [], set()
    for p in alignment.pairs:
        var, entry = by_name[p.model], catalog[p.checkpoint]
        paired.add(p.model)
        shape = _transformed_shape(entry.shape, p.transform)
        if tuple(shape) != tuple(var.shape) and not _unit_reshape(shape, var.shape):
            unpaired.append(Unpaired(var, f"shape mismatch: checkpoint {list(shape)} ({entry.name}), model "
                                          f"{list(var.shape)}", entry))
        elif entry.dtype != var.dtype and not spec.casts_dtypes:
            unpaired.append(Unpaired(var, f"dtype mismatch: checkpoint {entry.dtype} ({entry.name}), model "
                                          f"{var.dtype}; the framework does not cast", entry))
        else:
            assignments.append(Assignment(var, entry, p.transform, "name" if p.exact else f"inferred ({p.rule})"))
    for name in alignment.zeros:  # PyTorch's b_hh beside a Keras recurrent bias loaded into b_ih
        var = by_name[name]
        paired.add(name)
        assignments.append(Assignment(var, _zeros(var), None, "zero: b_ih holds the Keras bias, their sum"))
    for a in alignment.ambiguous:
        paired.add(a.model)
        unpaired.append(Unpaired(by_name[a.model], f"ambiguous, never guessed: {a.reason} (candidates: "
                                                   f"{', '.join(a.candidates[:4])})"))
    for var in spec.variables:
        if var.name not in paired and var.is_weight:
            unpaired.append(Unpaired(var, "no checkpoint value pairs with it"))
    d = alignment.diagnosis
    plan = Plan(catalog, spec, assignments, unpaired, rules=alignment.rules, object_root=d.object_root,
                notes=d.all_notes() + list(alignment.sentences))
    # bookkeeping (optimizer state, counters) is not aligned: it restores under the framework's own names
    exact = {r.variable.name: r.entry for r in d.variables if r.status == LOADED and r.entry is not None}
    taken = plan.used_keys()
    for var in spec.variables:
        if var.name in paired:
            continue
        if not var.is_weight and var.name in exact and exact[var.name].name not in taken:
            plan.assignments.append(Assignment(var, exact[var.name], None, "name"))
        elif not var.is_weight and var.name not in exact:
            plan.unpaired.append(Unpaired(var, "no checkpoint value under its name"))
    return plan


def _zeros(var: VariableSpec) -> TensorInfo:
    """A value of zeros for ``var``, read like a checkpoint entry (named as none is: ``<zeros>``)."""
    import numpy as np

    from ..dtypes import to_numpy

    dtype = to_numpy(var.dtype)
    shape = tuple(var.shape)
    return TensorInfo(name="<zeros>", dtype=var.dtype, shape=shape, nbytes=int(np.prod(shape)) * dtype.itemsize,
                      _reader=lambda: np.zeros(shape, dtype))


def _pair_bookkeeping(plan: Plan, catalog: Catalog) -> None:
    """Optimizer state and counters are not aligned: they follow the weights' rules (a renamed scope renames
    its ``num_batches_tracked`` and slots too)."""
    if not plan.rules or not any(u.variable.kind != "variable" and not u.variable.is_weight for u in plan.unpaired):
        return
    namespace = rules_namespace(catalog, plan.spec, plan.rules)
    taken = plan.used_keys()
    mapped: dict[str, TensorInfo] = {}
    for info in catalog.values():
        if info.kind in BOOKKEEPING_KINDS and info.name not in taken:
            source = (info.object_path if namespace == "object" else info.full_name if namespace == "full_name"
                      else None) or strip_name(info.name)
            new = plan.rules.rename(source)
            if new is not None:
                mapped.setdefault(new, info)
    keep = []
    for u in plan.unpaired:
        var = u.variable
        found = mapped.get(var.object_path if namespace == "object" and var.object_path else var.name)
        if var.is_weight or found is None or tuple(found.shape) != tuple(var.shape) or found.name in taken:
            keep.append(u)
            continue
        plan.assignments.append(Assignment(var, found, None, "rules"))
        taken.add(found.name)
    plan.unpaired = keep


def _pair_slots(plan: Plan, catalog: Catalog) -> None:
    """Model slots not yet paired take the checkpoint slot of the entry their variable takes."""
    by_model = {a.variable.name: a for a in plan.assignments}
    taken = plan.used_keys()
    by_stripped = {strip_name(k): info for k, info in catalog.items()}
    keep = []
    for u in plan.unpaired:
        var = u.variable
        primary = _primary(var.name, by_model) if var.kind == "slot" else None
        if primary is None:
            keep.append(u)
            continue
        a = by_model[primary]
        suffix = var.name[len(primary):]
        candidates = [strip_name(a.entry.name) + suffix]
        if a.entry.object_path:
            candidates.append(a.entry.object_path + suffix)
        info = next((by_stripped[c] for c in candidates if c in by_stripped and by_stripped[c].name not in taken), None)
        if info is None or tuple(_transformed_shape(info.shape, a.transform)) != tuple(var.shape):
            keep.append(u)
            continue
        plan.assignments.append(Assignment(var, info, a.transform, f"slot of {primary}"))
        taken.add(info.name)
    plan.unpaired = keep


def _pair_ties(plan: Plan) -> None:
    """A variable tied to assigned ones (``VariableSpec.tied_to``: the same storage) holds the value written into
    that storage last, in the model's order, as ``load_state_dict`` writes it: it is read back, never assigned."""
    assigned = {a.variable.name: a for a in plan.assignments}
    last: dict[str, Assignment] = {}
    for v in plan.spec.variables:
        if v.name in assigned:
            last[v.tied_to or v.name] = assigned[v.name]
    keep = []
    for u in plan.unpaired:
        a = last.get(u.variable.tied_to or u.variable.name)
        if a is None:
            keep.append(u)
            continue
        plan.assignments.append(Assignment(u.variable, a.entry, a.transform, f"through the tie with {a.variable.name}",
                                           through_tie=True))
    plan.unpaired = keep


def _primary(name: str, by_model: dict) -> str | None:
    cut = name.rfind("/")
    while cut > 0:
        if name[:cut] in by_model:
            return name[:cut]
        cut = name.rfind("/", 0, cut)
    return None


def _transformed_shape(shape, transform: str | None) -> tuple[int, ...]:
    if transform and "+" in transform:  # steps (``transpose+reshape(..)``), in their order
        for step in transform.split("+"):
            perm = parse_transform(step)
            shape = parse_reshape(step) or (tuple(shape[i] for i in perm) if perm else tuple(shape))
        return tuple(shape)
    perm = parse_transform(transform) if transform else None
    return tuple(shape[i] for i in perm) if perm else tuple(shape)


def _unit_reshape(a, b) -> bool:
    """Shapes that differ only by axes of length 1 (PyTorch takes a [1] value into a 0-d parameter)."""
    return [d for d in a if d != 1] == [d for d in b if d != 1]


def entry_statuses(plan: Plan) -> dict[str, str]:
    """Checkpoint key -> used / unused / bookkeeping."""
    used = plan.used_keys()
    out = {}
    for key, info in plan.catalog.items():
        if key in used:
            out[key] = "used"
        elif info.kind in BOOKKEEPING_KINDS or info.kind == OBJECT_GRAPH:
            out[key] = "bookkeeping"
        else:
            out[key] = "unused"
    return out
