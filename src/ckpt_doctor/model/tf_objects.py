"""TF2 objects (tf.Module, Keras 3 and tf-keras models, tf.train.Checkpoint): every variable with the object path
it has in an object-based checkpoint and its TF1-style variable name.

Rather than re-implementing TensorFlow's object-graph traversal, the object is written with TensorFlow's own
``tf.train.Checkpoint.write`` to a temporary directory and read back with our reader: the paths are then exactly
the ones a real checkpoint of this model has, by construction.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter

from ..formats import open_checkpoint
from .spec import ModelSpec, VariableSpec, _strip_output_suffix


def is_trackable(obj) -> bool:
    from tensorflow.python.trackable.base import Trackable

    return isinstance(obj, Trackable)


def spec(obj, *, root: str | None = None, source: str = "") -> ModelSpec:
    import tensorflow as tf

    object_root: str | None
    if isinstance(obj, tf.train.Checkpoint):
        checkpoint, object_root = obj, ""  # its children's names are already part of every path
    else:
        checkpoint = tf.train.Checkpoint(root=obj) if not root else tf.train.Checkpoint(**{root: obj})
        object_root = root
    with tempfile.TemporaryDirectory(prefix="ckpt-doctor-spec-") as d:
        catalog = open_checkpoint(checkpoint.write(os.path.join(d, "model")))
        entries = [t for t in catalog.values() if t.kind != "object_graph"]
    order = _creation_order(obj)
    entries.sort(key=lambda t: (order.get(t.full_name, len(order)) if t.full_name is not None else len(order),
                                t.name))
    trainable, frozen = _names(obj, "trainable_variables"), _names(obj, "non_trainable_variables")
    # TF1-style names can collide (Keras 3 subclassed models name two Dense kernels "model/kernel"): such
    # variables cannot be restored by name anyway, and go by their object path.
    counts = Counter(t.full_name for t in entries)
    prefix = f"{root}/" if root else ""  # paths are relative to the model: the comparison adds the root

    def relative(path):
        return path[len(prefix):] if path and prefix and path.startswith(prefix) else path

    from . import keras_keys

    keras = keras_keys.is_keras_model(obj)
    walk = _tracked(obj if checkpoint is not obj and not root else checkpoint) if keras else None
    keras_path = _keras3_paths_by_object(obj, walk) if walk is not None else {}
    variables = [VariableSpec(name=keras_path.get(t.object_path or "") or
                              (t.full_name if t.full_name and counts[t.full_name] == 1 else (t.object_path or t.name)),
                              shape=t.shape, dtype=t.dtype,
                              object_path=relative(t.object_path), kind=t.kind, index=i,
                              aliases=tuple(relative(p) for p in t.aliases if p != t.object_path),
                              trainable=t.kind == "variable" and not (t.full_name in frozen and
                                                                     t.full_name not in trainable))
                 for i, t in enumerate(entries)]
    untracked = _untracked(obj, walk, variables) if walk is not None else []
    if untracked:  # in creation order among the others
        variables = sorted(variables + untracked, key=lambda v: (order.get(v.name, len(order)), v.index))
        for i, var in enumerate(variables):
            var.index = i
    positions, total = _positions(obj)
    for var in variables:  # where the variable is in obj.variables: what a fix can rely on across processes
        if var.name in positions:
            var.keys["position"] = f"{positions[var.name]}/{total}"  # index / len(obj.variables)
    if keras:
        by_name, aliases = keras_keys.keys(obj)
        for var in variables:
            var.keys.update(by_name.get(var.name, {}))
        owners = {v.name: v for v in variables}
        for name, where in aliases:  # a variable shared by two layers: Keras writes and loads it under each
            owner = owners.get(name)
            if owner is not None:  # named as the sharing layer's own variable would be: <layer>/<owner's leaf>
                layer = where.get("keras-h5-by-name", "").rpartition("/")[0]
                alias = f"{layer}/{owner.name.rpartition('/')[2]}" if layer else ""
                # (a wrapper layer, tfmot's quantize or prune wrappers, may repeat a weight in one walk only)
                alias = alias if alias and alias not in owners else \
                    next((where[k] for k in ("keras3", "keras-h5", "keras3-tfk") if k in where), "")
                if not alias or alias in owners:
                    continue
                owners[alias] = owner
                variables.append(VariableSpec(name=alias, shape=owner.shape, dtype=owner.dtype, kind=owner.kind,
                                              trainable=owner.trainable, index=len(variables), keys=dict(where),
                                              tied_to=owner.name))
    return ModelSpec(variables, framework="tf2", restore="object", source=source, object_root=object_root)


def _tracked(start) -> dict[str, object] | None:
    """{object path: object} for everything ``tf.train.Checkpoint`` reaches from ``start`` (the checkpoint's root
    object), paths as TensorFlow writes them: breadth first, the first path to an object wins, names escaped.
    None when TensorFlow's tracking API is not what it was (then the written variables are all there is)."""
    import tensorflow as tf

    try:
        view = tf.train.TrackableView(start)
        out: dict[str, object] = {}
        seen, queue = {id(start)}, [("", start)]
        while queue:
            path, node = queue.pop(0)
            for name, child in view.children(node).items():
                if id(child) not in seen:
                    seen.add(id(child))
                    at = (path + "/" if path else "") + name.replace(".", "..").replace("/", ".S")
                    out[at] = child
                    queue.append((at, child))
    except Exception:  # any failure of the walk means: not known
        return None
    return out


def _keras3_paths_by_object(obj, walk: dict[str, object]) -> dict[str, str]:
    """{object path in the checkpoint: the Keras 3 variable's path} for a Keras 3 model. Keras 3 variables carry
    TensorFlow names that repeat within a subclassed model (every Dense kernel is ``net/kernel``); their Keras path
    (``net/body/b0/kernel``) is unique and what the user sees."""
    from . import keras_keys

    if not keras_keys.is_keras3(obj):
        return {}
    by_id = {}
    for v in obj.weights:
        by_id[id(v)] = by_id[id(getattr(v, "value", v))] = keras_keys.variable_name(v)
    out = {path: by_id[id(o)] for path, o in walk.items() if id(o) in by_id}
    return out if len(set(out.values())) == len(out) else {}


def _untracked(obj, walk: dict[str, object], variables: list[VariableSpec]) -> list[VariableSpec]:
    """The weights of a Keras model that ``tf.train.Checkpoint`` does not write: Keras 3 layers kept in a list
    inside a layer are not reached by TensorFlow's tracking (keras-hub's encoders hold their blocks so). Keras' own
    ``save_weights`` / ``load_weights`` reach them by their Keras path, so they are variables of the model: named
    by that path, with no object path (an object-based restore leaves them as they are)."""
    from . import keras_keys
    from .tf_graph import dtype_name

    try:
        live = list(obj.weights)  # not .variables: seed generator states are no weights, and no save writes them
    except Exception:  # an unbuilt model: the written variables only
        return []
    reached = {id(o) for o in walk.values()}
    taken = {v.name for v in variables}
    out: list[VariableSpec] = []
    for v in live:
        if id(v) in reached or id(getattr(v, "value", None)) in reached:
            continue
        name = keras_keys.variable_name(v)
        if name in taken:
            continue
        taken.add(name)
        out.append(VariableSpec(name=name, shape=tuple(int(d) for d in v.shape),
                                dtype=v.dtype if isinstance(v.dtype, str) else dtype_name(v.dtype),
                                trainable=bool(getattr(v, "trainable", True)), index=len(variables) + len(out)))
    return out


def _names(obj, attribute: str) -> set[str]:
    """Every name a variable in ``obj.<attribute>`` may carry in a checkpoint (TF name, Keras 3 path, the TF
    variable behind a Keras 3 variable)."""
    out: set[str] = set()
    try:
        variables = list(getattr(obj, attribute, ()) or ())
    except Exception:  # unbuilt models may fail to list their variables
        return out
    for v in variables:
        for candidate in (getattr(v, "name", None), getattr(v, "path", None),
                          getattr(getattr(v, "value", None), "name", None)):
            if isinstance(candidate, str):
                out.add(_strip_output_suffix(candidate))
    return out


def _creation_order(obj) -> dict[str, int]:
    try:
        variables = list(getattr(obj, "variables", ()) or ())
    except Exception:  # some objects compute .variables lazily and may fail before being built
        return {}
    order: dict[str, int] = {}
    for v in variables:
        order.setdefault(_strip_output_suffix(getattr(v, "path", None) or v.name), len(order))
        order.setdefault(_strip_output_suffix(v.name), len(order) - 1)
    return order


def _positions(obj) -> tuple[dict[str, int], int]:
    """({name: index in obj.variables} for names that occur once, len(obj.variables)). Keras 3 layers may own
    variables of one path twice (seed generator states): they have no position, but they count."""
    try:
        variables = list(getattr(obj, "variables", ()) or ())
    except Exception:
        return {}, 0
    seen: dict[str, list[int]] = {}
    for i, v in enumerate(variables):
        for name in {_strip_output_suffix(getattr(v, "path", None) or v.name), _strip_output_suffix(v.name)}:
            seen.setdefault(name, []).append(i)
    return {name: at[0] for name, at in seen.items() if len(at) == 1}, len(variables)
