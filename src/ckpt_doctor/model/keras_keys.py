"""The keys Keras weight files pair a model's variables by, computed from the live model.

Legacy HDF5 (tf-keras, and Keras 3's legacy ``.h5`` path): layers that have weights, in ``model.layers`` order,
are zipped with the file's layers that have weights; within a layer, ``trainable_weights + non_trainable_weights``
by position (``keras-h5`` key ``<rank>/<i>``; ``by_name=True``: ``<layer name>/<i>``).
Keras 3 ``.weights.h5`` / ``.keras``: Keras's own saving walk is run with a store that records which variable it
would write at which path (``layers/dense/vars/0``), so the paths are Keras's by construction.
"""

from __future__ import annotations

import sys
from collections import defaultdict

from .spec import _strip_output_suffix


def variable_name(v) -> str:
    return _strip_output_suffix(getattr(v, "path", None) or v.name)


def is_keras_model(obj) -> bool:
    return callable(getattr(obj, "load_weights", None)) and hasattr(obj, "layers")


def is_keras3(model) -> bool:
    """A Keras 3 model, subclasses defined anywhere included (keras-hub backbones, a user's ``class M(keras.Model)``
    in ``__main__``): some class it derives from is Keras 3's own."""
    return _derives(model, "keras.")


def _derives(model, package: str) -> bool:
    return any(c.__module__.startswith(package) for c in type(model).__mro__)


def keys(model) -> tuple[dict[str, dict[str, str]], list[tuple[str, dict[str, str]]]]:
    """({variable name: {loader: key}}, aliases) for a built Keras model (tf-keras or Keras 3).

    A variable shared by two layers (a tied output embedding) is written under each of them and loaded into from
    each: its first occurrence is the variable's key, the others are ``aliases``, (variable name, {loader: key}) in
    the order Keras writes them (the k-th extra occurrence of each loader's walk together)."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    extra: dict[str, list[dict[str, str]]] = defaultdict(list)

    def add(name: str, loader: str, key: str) -> None:
        if loader not in out[name]:
            out[name][loader] = key
            return
        rows = extra[name]  # the k-th extra occurrence under each loader goes to row k
        k = sum(1 for row in rows if loader in row)
        rows += [{} for _ in range(k + 1 - len(rows))]
        rows[k][loader] = key

    rank = 0
    for layer in model.layers:
        weights = list(layer.trainable_weights) + list(layer.non_trainable_weights)
        if not weights:
            continue
        for i, w in enumerate(weights):
            add(variable_name(w), "keras-h5", f"{rank}/{i}")
            add(variable_name(w), "keras-h5-by-name", f"{layer.name}/{i}")
        rank += 1
    if _derives(model, "tf_keras."):
        # tf-keras reads a Keras 3 file by the same paths but stops at the first layer that fails: its own loader,
        # with the layer's place in the walk, which is the order it loads in
        layers: dict[str, int] = {}
        for path, v in _tf_keras_paths(model).items():
            add(variable_name(v), "keras3-tfk", path)
            add(variable_name(v), "keras3-tfk-layer", str(layers.setdefault(path.rsplit("/vars/", 1)[0], len(layers))))
    else:
        for path, v in _keras3_paths(model).items():
            add(variable_name(v), "keras3", path)
    return dict(out), [(name, row) for name, rows in extra.items() for row in rows]


def _keras3_paths(model) -> dict:
    """{path: variable} as Keras 3's ``save_weights`` would write them; {} for other models."""
    if not is_keras3(model):
        return {}
    try:
        from keras.src.saving import saving_lib
    except ImportError:
        return {}
    found: dict = {}

    class Recorder(saving_lib.H5IOStore):  # _save_state accepts only its own store types
        def __init__(self):
            self.path = ""

        def make(self, path, metadata=None):
            self.path = path
            return self

        def __setitem__(self, key, value):
            if hasattr(value, "assign"):  # a variable (quantised layers may store computed tensors)
                found[f"{self.path}/vars/{key}" if self.path else f"vars/{key}"] = value

        def close(self):
            pass

        def __bool__(self):
            return True

    try:
        saving_lib._save_state(model, weights_store=Recorder(), assets_store=None, inner_path="",
                               visited_saveables=set())
    except Exception:  # Keras internals changed: no keras3 keys, the comparison says so
        return {}
    return found


def _tf_keras_paths(model) -> dict:
    """tf-keras's saving walk (``save_weights('w.weights.h5')``, and ``load_weights`` of a Keras 3 file) stores each
    layer's ``v.numpy()``, not the variable: the variable is the walked object's weight at that position, found
    through the walk's frame (checked by shape)."""
    try:
        from tf_keras.src.saving import saving_lib
    except ImportError:
        return {}
    found: dict = {}

    class Slots(dict):
        def __init__(self, path, owner):
            super().__init__()
            self.path, self.owner = path, owner

        def __setitem__(self, key, value):
            weights = list(getattr(self.owner, "_trainable_weights", [])) + \
                list(getattr(self.owner, "_non_trainable_weights", []))
            i = int(key)
            if i < len(weights) and tuple(weights[i].shape) == tuple(getattr(value, "shape", ())):
                found[f"{self.path}/vars/{key}" if self.path else f"vars/{key}"] = weights[i]

    class Recorder:
        def make(self, path):
            return Slots(path, sys._getframe(1).f_locals.get("trackable"))  # _save_state(trackable, ...)

        def __bool__(self):
            return True

    try:
        saving_lib._save_state(model, weights_store=Recorder(), assets_store=None, inner_path="",
                               visited_trackables=set())
    except Exception:  # tf-keras internals changed: no keras3 keys, the comparison says so
        return {}
    return found
