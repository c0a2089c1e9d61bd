"""Exact comparison of a model spec with a checkpoint, under the equivalences the frameworks themselves apply.

No guessing happens here: a model variable gets a value only if a framework's own restore would give it one.

* name-based restore (TF1 ``Saver``, PyTorch ``load_state_dict``, Keras ``by_name``): the checkpoint key equals
  the variable name (``:0`` stripped when the spec was made); against an object-based checkpoint, the entry's
  ``full_name`` equals the variable name (what TF1's ``Saver`` does when it meets a TF2 checkpoint);
* object-based restore (TF2 ``tf.train.Checkpoint``): ``<root>/<object path>/.ATTRIBUTES/VARIABLE_VALUE``; if the
  checkpoint is name-based, TF2 falls back to variable names, and so do we.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..catalog import BOOKKEEPING_KINDS, Catalog, TensorInfo
from ..errors import ModelError
from ..formats._tf_names import ObjectNode, breadth_first
from ..model.loaders import LOADERS, Loader, infer_loader
from ..model.spec import ModelSpec, VariableSpec
from .names import EMA_SUFFIX

# Model-variable outcomes.
LOADED = "loaded"
MISSING = "missing"  # no entry: keeps its initial value
SHAPE_MISMATCH = "shape_mismatch"
DTYPE_MISMATCH = "dtype_mismatch"
BLOCKED = "not_assigned"  # has a fitting value, but the load call fails before assigning it
CROSSED = "crossed"  # gets the value the file saved for another variable (TF2: reached first by another path)
# Checkpoint-entry outcomes.
USED = "used"
MISMATCHED = "mismatched"  # claimed by a variable by name, but its shape or dtype differs
UNUSED = "unused"  # a value nobody takes
BOOKKEEPING = "bookkeeping"  # optimizer state, counters, object graph: never counted as model weights

BY_KEY, BY_OBJECT_PATH, BY_FULL_NAME = "key", "object path", "variable name (full_name)"
BY_POSITION, BY_LAYER_NAME, BY_KERAS3_PATH = "layer order and position", "layer name and position", "Keras 3 path"
BY_TIE = "tie"  # no entry of its own: shares its storage with a variable that loads one (``VariableResult.via``)


@dataclass
class VariableResult:
    variable: VariableSpec
    status: str
    entry: TensorInfo | None = None
    matched_by: str | None = None
    note: str | None = None  # e.g. "PyTorch casts float16 -> float32"
    via: str | None = None  # matched_by BY_TIE: the tied variable whose entry fills this one's storage
    through: str | None = None  # TF2: the object path its value is restored through, when not its own path

    def to_json(self) -> dict[str, Any]:
        v = self.variable
        out: dict[str, Any] = {"name": v.name, "status": self.status, "kind": v.kind, "shape": list(v.shape),
                               "dtype": v.dtype}
        if v.object_path:
            out["object_path"] = v.object_path
        if v.tied_to:
            out["tied_to"] = v.tied_to
        if self.via:
            out.update(matched_by=self.matched_by, filled_through_tie_with=self.via)
        if self.entry is not None:
            out.update(checkpoint_key=self.entry.name, matched_by=self.matched_by,
                       checkpoint_shape=list(self.entry.shape), checkpoint_dtype=self.entry.dtype)
        if self.through:
            out["restored_through"] = self.through
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class EntryResult:
    entry: TensorInfo
    status: str
    variable: str | None = None  # the model variable that takes (or wanted) it

    def to_json(self) -> dict[str, Any]:
        e = self.entry
        out: dict[str, Any] = {"name": e.name, "status": self.status, "kind": e.kind, "shape": list(e.shape),
                               "dtype": e.dtype}
        for key in ("object_path", "full_name"):
            if getattr(e, key):
                out[key] = getattr(e, key)
        if self.variable:
            out["variable"] = self.variable
        return out


@dataclass
class Diagnosis:
    """Every model variable and every checkpoint entry, each with its outcome."""

    checkpoint: Catalog
    model: ModelSpec
    variables: list[VariableResult]
    entries: list[EntryResult]
    object_root: str | None = None
    notes: list[str] = field(default_factory=list)
    loader: Loader = LOADERS["saver"]
    failure: str | None = None  # what the load call raises, if it raises

    def all_notes(self) -> list[str]:
        """Its notes, then the checkpoint's and the model's (what a file or a model says of itself), once each."""
        return list(dict.fromkeys([*self.notes, *self.checkpoint.notes, *self.model.notes]))

    @property
    def assigned(self) -> list[VariableResult]:
        """The variables the load call really assigns: none when a failing call is atomic."""
        if self.failure and self.loader.atomic:
            return []
        return [r for r in self.variables if r.status == LOADED]

    def weights(self, status: str | None = None) -> list[VariableResult]:
        """Results for model weights (and buffers), optionally of one status."""
        return [r for r in self.variables if r.variable.is_weight and (status is None or r.status == status)]

    def entries_with(self, status: str) -> list[EntryResult]:
        return [r for r in self.entries if r.status == status]

    @property
    def not_loaded(self) -> list[VariableResult]:
        return [r for r in self.weights() if r.status != LOADED]

    @property
    def ok(self) -> bool:
        """True when every model weight gets its value from the checkpoint and the load call succeeds (a strict
        ``load_state_dict`` that copies every value and then raises on an unexpected key is not ok)."""
        return not self.not_loaded and self.failure is None

    def values(self) -> list[EntryResult]:
        """Checkpoint entries that are model values (optimizer state and bookkeeping excluded, used or not)."""
        return [r for r in self.entries if r.entry.kind not in BOOKKEEPING_KINDS]

    def summary(self) -> str:
        total, crossed = len(self.weights()), len(self.weights(CROSSED))
        bad = len(self.not_loaded) - crossed
        unused = len([r for r in self.values() if r.status in (UNUSED, MISMATCHED)])
        values = len(self.values())
        head = (f"{bad} of {total} model variables would keep their initial values" if bad
                else f"all {total} model variables get a value from the checkpoint" if not crossed
                else f"{total - crossed} of {total} model variables get their own value")
        if crossed:
            head += f", {crossed} get{'s' if crossed == 1 else ''} a value saved for another variable"
        return f"{head}; {unused} of {values} checkpoint values go unused"

    def counts(self) -> dict[str, int]:
        out = {s: len(self.weights(s)) for s in (LOADED, MISSING, SHAPE_MISMATCH, DTYPE_MISMATCH, BLOCKED, CROSSED)}
        out.update({f"entries_{s}": len(self.entries_with(s)) for s in (USED, MISMATCHED, UNUSED, BOOKKEEPING)})
        return out

    def to_json(self) -> dict[str, Any]:
        return {"checkpoint": self.checkpoint.path, "format": self.checkpoint.format, "model": self.model.source,
                "loader": self.loader.name, "load_call": self.loader.call, "failure": self.failure, "ok": self.ok,
                "summary": self.summary(), "counts": self.counts(), "object_root": self.object_root,
                "notes": self.notes, "variables": [r.to_json() for r in self.variables],
                "entries": [r.to_json() for r in self.entries]}


class _Index:
    """Lookups into the checkpoint: by key, by object path, by full_name."""

    def __init__(self, catalog: Catalog):
        self.by_key = catalog
        self.by_path: dict[str, TensorInfo] = {}
        self.by_full_name: dict[str, TensorInfo] = {}
        for info in catalog.values():
            for path in info.aliases or ([info.object_path] if info.object_path else []):
                self.by_path.setdefault(path, info)
            if info.full_name:
                self.by_full_name.setdefault(info.full_name, info)
        self.object_based = bool(self.by_path)

    def by_name(self, name: str) -> tuple[TensorInfo | None, str | None]:
        info = self.by_key.get(name)  # one look-up: most names are keys
        if info is not None:
            return info, BY_KEY
        if name in self.by_full_name:
            return self.by_full_name[name], BY_FULL_NAME
        if name in self.by_path:  # an object path given as a plain name
            return self.by_path[name], BY_OBJECT_PATH
        return None, None


def _join(root: str, path: str) -> str:
    return f"{root}/{path}" if root else path


def _pick_root(spec: ModelSpec, catalog: Catalog, index: _Index) -> tuple[str, str | None]:
    """The root the checkpoint attached the model under: "" or one of its root object's children."""
    top = catalog.objects[0] if catalog.objects else None
    candidates = [""] + sorted({name for name, _ in top.children} if isinstance(top, ObjectNode) else set())
    paths = [v.object_path for v in spec.variables if v.object_path]
    hits = {root: sum(_join(root, p) in index.by_path for p in paths) for root in candidates}
    best = max(candidates, key=lambda r: (hits[r], r == ""))
    note = (f"object paths compared under the checkpoint's root object `{best}/` "
            f"(as in tf.train.Checkpoint({best}=model))") if best else None
    return best, note


def compare(catalog: Catalog, spec: ModelSpec, loader: Loader | str | None = None) -> Diagnosis:
    """Account for every model variable and every checkpoint entry, as ``loader`` (default: inferred from the
    checkpoint's format and the model) pairs them."""
    if spec.framework == "keras3" and catalog.format in ("tf-v2", "tf-v1"):
        raise ModelError("the model is a Keras 3 file: it knows its variables by their Keras paths only, while a "
                         "TensorFlow checkpoint is restored by object paths (tf.train.Checkpoint) or variable names, "
                         "which only the built model has; pass the model's builder (--model builder.py:build) or a "
                         "spec written from it (ckpt-doctor spec)", path=spec.source)
    loader = LOADERS[loader] if isinstance(loader, str) else loader or infer_loader(catalog.format, spec)
    if loader.casts_dtypes and not spec.casts_dtypes:
        spec = _with_casts(spec)
    index = _Index(catalog)
    object_mode = loader.pairs_by == "object" and index.object_based
    root, notes = spec.object_root or "", []
    if object_mode and spec.object_root is None:
        root, note = _pick_root(spec, catalog, index)
        notes += [note] if note else []
    # tf.train.Checkpoint.restore reads a name-based (TF1 Saver) file by variable names for tf-keras and tf.Module
    # variables, but assigns none of a Keras 3 model's, silently (TF 2.21, Keras 3: tests/trial2_oracle.py)
    unread = loader.pairs_by == "object" and not index.object_based and \
        any("keras3" in v.keys for v in spec.variables)
    if unread:
        notes.append("the checkpoint is name-based: tf.train.Checkpoint.restore assigns none of a Keras 3 model's "
                     "variables from it, silently (it restores tf-keras and tf.Module variables by name)")
    elif loader.pairs_by == "object" and not index.object_based:
        notes.append("the checkpoint is name-based: TF2 restores it by variable names, and so does this comparison")
    keyed = _keyed_entries(catalog, loader) if loader.pairs_by.startswith("keras") else None
    if keyed is not None and not any(loader.pairs_by in v.keys for v in spec.variables):
        if loader.pairs_by != "keras-h5-by-name":
            notes.append(f"the model gives no {loader.name} keys (a JSON spec or a non-Keras model): compared by "
                         "weight name, as load_weights(by_name=True) does")
        keyed = None
    # transformers' loaders compare names their own way: the model's names as they are against the file's with the
    # base-model prefix added or stripped (_hf_keys); TF models without the model's own scope on both sides
    hf_keys: dict[str, Callable[[str], str]] = {"hf": str, "hf-tf": _unscoped}
    hf_key = hf_keys.get(loader.name)
    if loader.name == "hf":
        keyed = _hf_keys(catalog, spec)
    elif loader.name == "hf-tf":
        keyed = {}
        for key, info in catalog.items():
            if info.kind not in BOOKKEEPING_KINDS:
                keyed.setdefault(_unscoped(key), info)
    # several paths to one variable (a Keras optimizer lists the model's by position): restore binds the first
    bindings = _bind_objects(spec, catalog, index, root) if object_mode and any(v.aliases for v in spec.variables) \
        else None
    claimed: dict[str, VariableResult] = {}
    results = []
    for var in spec.variables:
        if hf_key is not None and keyed is not None:
            entry = keyed.get(hf_key(var.name))
            how = BY_KEY if entry is not None else None
        elif keyed is not None:
            entry = keyed.get(var.keys.get(loader.pairs_by, "\0"))
            how = {"keras-h5": BY_POSITION, "keras-h5-by-name": BY_LAYER_NAME, "keras3": BY_KERAS3_PATH,
                   "keras3-tfk": BY_KERAS3_PATH}[
                loader.pairs_by] if entry is not None else None
        elif object_mode and bindings is not None:
            entry = bindings.entry.get(id(var))
            how = BY_OBJECT_PATH if entry is not None else None
        elif object_mode and var.object_path:
            entry = index.by_path.get(_join(root, var.object_path))
            how = BY_OBJECT_PATH if entry is not None else None
        elif unread:
            entry, how = None, None
        else:
            entry, how = index.by_name(var.name)
        # (from_pretrained renames the old API's keys itself, transformers' _fix_key; load_state_dict by the hook)
        legacy = _weight_norm_legacy(index, var.name) if entry is None and (
            loader.name.startswith("torch") or loader.name == "hf") else None
        if legacy is not None:
            entry, how = legacy, BY_KEY
        result = _judge(var, entry, how, spec)
        if bindings is not None and var.object_path:
            _crossed(result, index.by_path.get(_join(root, var.object_path)), bindings, root)
        if legacy is not None:
            result.note = f"from `{legacy.name}`: weight_norm's load hook renames the old API's weight_g/weight_v"
        if entry is not None:
            if entry.name in claimed:  # two variables resolve to one entry: only possible with a broken spec
                notes.append(f"{entry.name} is claimed by both {claimed[entry.name].variable.name} and {var.name}")
            claimed.setdefault(entry.name, result)
        results.append(result)
    if any(v.tied_to for v in spec.variables):
        _fill_ties(results, loader, notes)
    through = [r for r in results if r.through and r.variable.is_weight and r.status != LOADED]
    if through:
        notes.append(f"{len(through)} model variable(s) take the value at another path to them, which restore meets "
                     f"first (`{through[0].through}` for {through[0].variable.name})"
                     + (": the optimizer lists the model's trainable variables by position, and a layer added, "
                        "removed or frozen moves them. Restore the model alone (tf.train.Checkpoint(model=model)"
                        ".restore(path): the optimizer starts anew), or restore before the optimizer is built "
                        "(its variables are then reached through the model first)"
                        if "optimizer" in (through[0].through or "") else ""))
    failure = _failure(loader, results, catalog, spec, keyed if loader.name != "hf" else None)
    entries = []
    for info in catalog.values():
        taker = claimed.get(info.name)
        if taker is not None and taker.status != BLOCKED:
            status = USED if taker.status in (LOADED, CROSSED) else MISMATCHED
            entries.append(EntryResult(info, status, taker.variable.name))
        elif info.kind in BOOKKEEPING_KINDS:
            entries.append(EntryResult(info, BOOKKEEPING))
        else:
            entries.append(EntryResult(info, UNUSED))
    _averages_note(entries, claimed, notes)
    return Diagnosis(catalog, spec, results, entries, object_root=root if object_mode else None, notes=notes,
                     loader=loader, failure=failure)


def _averages_note(entries: list[EntryResult], claimed: dict, notes: list[str]) -> None:
    """Unused values that are tf.train.ExponentialMovingAverage's averages of values the model loads: a training
    checkpoint read by an evaluation graph without the averages. Loading the variables is what was asked; that the
    averages are there, and how TensorFlow restores them instead, is worth saying."""
    averaged = [e.entry.name for e in entries if e.status == UNUSED and e.entry.name.endswith(EMA_SUFFIX)
                and (owner := claimed.get(e.entry.name[:-len(EMA_SUFFIX)])) is not None and owner.status == LOADED]
    if averaged:
        notes.append(f"{len(averaged)} unused value(s) are moving averages of variables the model loads "
                     f"(`{averaged[0]}`{', ...' if len(averaged) > 1 else ''}: tf.train.ExponentialMovingAverage); to "
                     "evaluate with the averages, restore them in place of the variables: "
                     "tf.compat.v1.train.Saver(ema.variables_to_restore())")


def _fill_ties(results: list[VariableResult], loader: Loader, notes: list[str]) -> None:
    """Tied variables share one storage: whatever value reaches one of them reaches all.

    ``load_state_dict`` copies each key present into the shared tensor in the model's state_dict order (not the
    file's), so the last one present wins (PyTorch 2.13, tests/test_tied.py); Keras writes a variable shared by two
    layers under each of them and loads it from each, the later layer last (Keras 3.15, tf-keras 2.21); other calls
    restore the one variable once. ``from_pretrained`` re-ties every alias to its owner after loading: with the owner
    loaded, the aliases hold its value; with only an alias in the file, the result depends on the class
    (transformers 4.46: classes loading by copy, GPT-2 and T5, fill the owner; classes loading by assignment, BART,
    keep the owner's initial value and re-tie the alias to it), and so does which of two differing values wins:
    nothing is claimed there."""
    # the calls that write every name present, in the model's order (checked with real PyTorch and Keras)
    writes_each = loader.name.startswith("torch") or loader.pairs_by.startswith("keras")
    groups: dict[str, list[VariableResult]] = {}
    for r in results:
        groups.setdefault(r.variable.tied_to or r.variable.name, []).append(r)
    for members in groups.values():
        given = [r for r in members if r.status == LOADED and r.entry is not None]
        if len(members) < 2 or not given:
            continue
        owner = members[0] if members[0].variable.tied_to is None else None
        if loader.name == "hf":
            if owner is None or owner.entry is None or owner.status != LOADED:
                if owner is not None and owner.status == MISSING:
                    notes.append(f"{owner.variable.name} has no value under its own name, its tied alias "
                                 f"{given[0].variable.name} has: from_pretrained re-ties the alias to it after "
                                 "loading, and whether the value survives depends on the model class (transformers "
                                 "4.46: GPT-2 and T5 keep it, BART does not); load_state_dict fills it (--load-with "
                                 "torch)")
                continue
            source, key = owner, owner.entry.name
        else:
            source, key = given[-1], given[-1].entry.name  # type: ignore[union-attr]  # given: with an entry
        for r in members:
            if r.status == MISSING:
                r.status, r.matched_by, r.via = LOADED, BY_TIE, source.variable.name
                r.note = f"filled through the tie: same storage as {source.variable.name} (`{key}`)"
            elif r.status == LOADED and r.entry is not None and r is not source and writes_each:
                r.note = (f"same storage as {source.variable.name}, which the load writes after it: holds "
                          f"`{key}`'s value (equal unless the file's two values differ)")


_WEIGHT_NORM = {"parametrizations.weight.original0": "weight_g", "parametrizations.weight.original1": "weight_v"}


def _weight_norm_legacy(index: _Index, name: str) -> TensorInfo | None:
    """``torch.nn.utils.parametrizations.weight_norm`` registers a load hook: a state dict of the old API
    (``<module>.weight_g`` and ``<module>.weight_v``, both present) loads into ``parametrizations.weight.original0``
    and ``original1``. The entry such a variable takes, else None."""
    for tail, old in _WEIGHT_NORM.items():
        if name == tail or name.endswith("." + tail):
            base = name[:len(name) - len(tail)]
            g, v = index.by_name(base + "weight_g")[0], index.by_name(base + "weight_v")[0]
            if g is not None and v is not None:
                return g if old == "weight_g" else v
    return None


def _with_casts(spec: ModelSpec) -> ModelSpec:
    from dataclasses import replace

    return replace(spec, casts_dtypes=True)


def _keyed_entries(catalog: Catalog, loader: Loader) -> dict[str, TensorInfo]:
    """The checkpoint's model values under the key ``loader`` pairs them by."""
    out: dict[str, TensorInfo] = {}
    if loader.pairs_by in ("keras3", "keras3-tfk"):
        return {info.name: info for info in catalog.values() if info.kind not in BOOKKEEPING_KINDS}
    layers: dict[str, list[TensorInfo]] = {}  # in the file's layer_names order
    for info in catalog.values():
        if info.kind in BOOKKEEPING_KINDS:
            continue
        # (a name the rules changed is read as the model's: its layer is the one the new name gives)
        location = (info.location if info.location and not info.renamed_from else info.name
                    ).removeprefix("model_weights/")
        layers.setdefault(location.split("/", 1)[0], []).append(info)
    for rank, (layer, infos) in enumerate(layers.items()):
        for i, info in enumerate(infos):
            out[f"{rank}/{i}" if loader.pairs_by == "keras-h5" else f"{layer}/{i}"] = info
    return out


def _hf_keys(catalog: Catalog, spec: ModelSpec) -> dict[str, TensorInfo]:
    """Checkpoint keys as transformers' from_pretrained sees them: ``LayerNorm.gamma/beta`` renamed to
    ``weight/bias``, then the base-model prefix added (task model from a base file) or stripped (base model
    from a task file)."""
    out: dict[str, TensorInfo] = {}
    p = spec.base_model_prefix or ""
    keys = [k for k, info in catalog.items() if info.kind not in BOOKKEEPING_KINDS]
    has_prefix = bool(p) and any(k.startswith(p) for k in keys)
    expects_prefix = bool(p) and any(v.name.startswith(p + ".") for v in spec.variables)
    for key in keys:
        new = key
        if "LayerNorm" in new:
            new = new.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias")
        if expects_prefix and not has_prefix:
            new = f"{p}.{new}"
        elif has_prefix and not expects_prefix and new.startswith(p + "."):
            new = new[len(p) + 1:]
        out.setdefault(new, catalog[key])
    return out


def _unscoped(name: str) -> str:
    """A transformers TF weight's name as its sharded loader compares it: without the model's own scope (the first,
    ``tf_bert_for_masked_lm/``) and without a ``:0``."""
    name = name[:-2] if name.endswith(":0") else name
    return name.split("/", 1)[1] if "/" in name else name


def _layer_of(key: str) -> str:
    return key.rsplit("/", 1)[0]


def _failure(loader: Loader, results: list[VariableResult], catalog: Catalog, spec: ModelSpec,
             keyed: dict[str, TensorInfo] | None) -> str | None:
    """What the load call raises, and the variables it never reaches (status BLOCKED)."""
    weights = [r for r in results if r.variable.is_weight]
    bad = [r for r in weights if r.status != LOADED]
    if keyed is not None and loader.pairs_by == "keras-h5":
        # (Keras counts a layer's every variable, counters too: tfmot's wrappers keep only a pruning_step in some)
        listed = [r for r in results if "keras-h5" in r.variable.keys]
        model_layers = {_layer_of(r.variable.keys["keras-h5"]) for r in listed}
        file_layers = {_layer_of(k) for k in keyed}
        if len(model_layers) != len(file_layers):
            _block(weights)
            return (f"ValueError: Layer count mismatch ... Model expected {len(model_layers)} layers, found "
                    f"{len(file_layers)} saved layers; nothing is assigned")
        for layer in sorted(model_layers, key=int):
            want = sum(_layer_of(r.variable.keys["keras-h5"]) == layer for r in listed)
            have = sum(_layer_of(k) == layer for k in keyed)
            if want != have:
                _block(weights)
                return (f"ValueError: Weight count mismatch for layer #{layer}: it expects {want} weight(s), the "
                        f"file has {have}; nothing is assigned")
        ordered = sorted(weights, key=lambda r: tuple(int(x) for x in r.variable.keys.get("keras-h5", "0/0")
                                                      .split("/")))
        first = next((i for i, r in enumerate(ordered) if r.status != LOADED), None)
        if first is None:
            return None
        _block(ordered[first + 1:])
        return (f"load_weights raises at {ordered[first].variable.name} ({ordered[first].status.replace('_', ' ')}); "
                "the variables before it are assigned, the rest are not")
    if keyed is not None and loader.pairs_by == "keras3-tfk":  # tf-keras: layer by layer in its walk's order
        walk: dict[tuple[int, str], list[VariableResult]] = {}
        for r in weights:
            if "keras3-tfk" in r.variable.keys:
                keys = r.variable.keys
                walk.setdefault((int(keys["keras3-tfk-layer"]), _layer_of(keys["keras3-tfk"])), []).append(r)
        layers = sorted(walk.items(), key=lambda kv: kv[0][0])
        for n, ((_, layer), members) in enumerate(layers):
            members.sort(key=lambda r: int(r.variable.keys["keras3-tfk"].rsplit("/", 1)[1]))
            have = sum(_layer_of(k) == layer for k in keyed)
            first = 0 if have != len(members) else next((i for i, r in enumerate(members) if r.status != LOADED),
                                                        None)
            if first is None:
                continue
            at = members[first]
            _block(members[first + (have == len(members)):] + [r for _, rest in layers[n + 1:] for r in rest])
            if have != len(members):
                return (f"ValueError at layer {layer}: it expects {len(members)} variable(s), the file has {have}; "
                        "the layers before it are assigned, the rest are not")
            return (f"ValueError at {at.variable.name} ({at.status.replace('_', ' ')}); what came before it "
                    "is assigned, the rest is not")
        return None
    if keyed is not None and loader.pairs_by == "keras3":
        by_layer: dict[str, list[VariableResult]] = {}
        for r in weights:
            if "keras3" in r.variable.keys:
                by_layer.setdefault(_layer_of(r.variable.keys["keras3"]), []).append(r)
        failed = 0
        for layer, members in by_layer.items():
            have = sum(_layer_of(k) == layer for k in keyed)
            if have != len(members):
                failed += 1
                if have:
                    _block(members)
                else:
                    for r in members:
                        r.status, r.entry, r.matched_by = MISSING, None, None
                continue
            members.sort(key=lambda r: int(r.variable.keys["keras3"].rsplit("/", 1)[1]))
            first = next((i for i, r in enumerate(members) if r.status != LOADED), None)
            if first is not None:
                failed += 1
                _block(members[first + 1:])
        return (f"ValueError at the end: A total of {failed} objects could not be loaded; every other object is "
                "assigned") if failed else None
    through = [r.variable.name for r in weights if r.matched_by == BY_TIE]
    if through and loader.name == "torch" and not bad:  # load_state_dict knows nothing of ties
        return (f"RuntimeError: Missing key(s) in state_dict: {', '.join(through[:3])}{' ...' * (len(through) > 3)}, "
                "after copying every value (tied: their storage is filled all the same; strict=False loads quietly)")
    if not bad:
        if loader.name == "torch":
            extra = [e for e in catalog.values() if e.kind not in BOOKKEEPING_KINDS and
                     e.name not in {r.entry.name for r in results if r.entry is not None}]
            if extra:
                return f"RuntimeError: Unexpected key(s) in state_dict ({len(extra)}), after copying every value"
        return None
    missing = [r for r in bad if r.status == MISSING]
    mismatched = [r for r in bad if r.status not in (MISSING, CROSSED)]
    if loader.name == "keras-h5-by-name" and mismatched:
        _block(weights)  # every shape is checked before the one batch assignment
        return (f"ValueError: Shape mismatch in layer {mismatched[0].variable.keys.get(loader.name, '?').split('/')[0]}"
                " before anything is assigned (skip_mismatch=True skips that weight instead)")
    if loader.name in ("saver", "init_from_checkpoint"):
        kind = "NotFoundError" if loader.name == "saver" and missing else "ValueError" if missing else "an error"
        return (f"{kind} on the first {'missing' if missing else 'mismatched'} variable listed below; the call "
                "assigns nothing")
    if loader.name.startswith("torch"):
        if mismatched or loader.strict:
            return "RuntimeError: Error(s) in loading state_dict, after copying every other value"
        return None
    if loader.name == "hf" and mismatched:
        return "RuntimeError: size mismatch, unless from_pretrained(..., ignore_mismatched_sizes=True)"
    if loader.name == "checkpoint" and mismatched:
        return "ValueError: Received incompatible tensor; values bound before it stay assigned"
    if loader.name == "checkpoint" and len(bad) == len(weights) and catalog.variables():
        return ("nothing but the root object matches a value: tf-keras load_weights(prefix) raises AssertionError "
                "(Nothing except the root object matched a checkpointed value), assigning nothing; "
                "tf.train.Checkpoint(...).restore(path) restores nothing, silently (status.assert_consumed() raises)")
    return None


def _block(results: list[VariableResult]) -> None:
    for r in results:
        if r.status == LOADED:
            r.status = BLOCKED


@dataclass
class _Bound:
    """What tf.train.Checkpoint restores into each variable, by id: the entry, and the path it came through."""

    entry: dict[int, TensorInfo] = field(default_factory=dict)
    path: dict[int, str] = field(default_factory=dict)
    taker: dict[str, VariableSpec] = field(default_factory=dict)  # entry name -> the variable it is restored into

    def bind(self, var: VariableSpec, info: TensorInfo, path: str) -> None:
        self.entry[id(var)], self.path[id(var)], self.taker[info.name] = info, path, var


def _bind_objects(spec: ModelSpec, catalog: Catalog, index: _Index, root: str) -> _Bound:
    """What ``tf.train.Checkpoint.restore`` pairs when variables have more than one path: it walks the file's object
    graph breadth first and binds each saved object to the live object at the same path, once. A saved value
    already bound to another variable is not restored again (TF warns of inconsistent references), and a variable
    restored once is not restored again. So a variable the optimizer lists at a shorter path
    (``optimizer/_trainable_variables/2``) takes the value saved there, even where the model's own path holds
    another (TF 2.21, Keras 3; tests/test_object_aliases.py runs the restore)."""
    live: dict[str, VariableSpec] = {}
    for var in spec.variables:
        for path in (var.object_path, *var.aliases):
            if path:
                live.setdefault(_join(root, path), var)
    out = _Bound()
    for path in _breadth_first(catalog):
        found, at = index.by_path.get(path), live.get(path)
        if found is not None and at is not None and found.name not in out.taker and id(at) not in out.entry:
            out.bind(at, found, path)
    for var in spec.variables:  # slot variables: restored with their variable, not reached as children
        own = _join(root, var.object_path) if var.object_path and id(var) not in out.entry else None
        info = index.by_path.get(own) if own is not None else None
        if own is not None and info is not None and info.name not in out.taker:
            out.bind(var, info, own)
    return out


def _breadth_first(catalog: Catalog) -> list[str]:
    """Every path of the file's object graph, in the order TensorFlow's restore walks them (``breadth_first``)."""
    nodes = tuple(n for n in catalog.objects if isinstance(n, ObjectNode))
    if not nodes or len(nodes) != len(catalog.objects):
        return [p for info in catalog.values() for p in info.aliases]
    return [path for _, path in breadth_first(nodes)]


def _crossed(result: VariableResult, own: TensorInfo | None, bindings: _Bound, root: str) -> None:
    """Say where a value restored through another path came from; a value saved for another variable (the one its
    own path holds, or one of another name) is marked as such."""
    var, path, entry = result.variable, bindings.path.get(id(result.variable)), result.entry
    mine = _join(root, var.object_path or "")
    if entry is not None and path is not None and path != mine:
        saved_for = entry.full_name or entry.name
        result.through = path
        result.note = (f"restored through `{path}`, which tf.train.Checkpoint reaches before `{mine}` (breadth "
                       f"first): it holds the value saved for `{saved_for}`")
        if result.status == LOADED and (own.name != entry.name if own is not None else saved_for != var.name):
            result.status = CROSSED
    elif entry is None and own is not None and own.name in bindings.taker:
        other = bindings.taker[own.name]
        result.note = (f"its value `{own.name}` is restored into `{other.name}` first (reached through "
                       f"`{bindings.path[id(other)]}`); TensorFlow restores a saved value into one variable only")


def _judge(var: VariableSpec, entry: TensorInfo | None, how: str | None, spec: ModelSpec) -> VariableResult:
    if entry is None:
        return VariableResult(var, MISSING)
    if tuple(entry.shape) != tuple(var.shape):
        return VariableResult(var, SHAPE_MISMATCH, entry, how)
    if entry.dtype != var.dtype:
        if spec.casts_dtypes and "string" not in (entry.dtype, var.dtype):
            return VariableResult(var, LOADED, entry, how, note=f"cast from {entry.dtype} to {var.dtype} on load")
        return VariableResult(var, DTYPE_MISMATCH, entry, how)
    return VariableResult(var, LOADED, entry, how)
