"""TensorFlow worker: builds TF1 graphs, tf_keras (Keras 2) and Keras 3 models and tf.Modules, writes their
checkpoints with TensorFlow and their specs with ckpt-doctor (see common.py for the protocol).

Run only by make.py, in its own process: ``python tf_side.py JOBS.json``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402

common.ensure_src_on_path()

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import ckpt_doctor  # noqa: E402

v1 = tf.compat.v1
tf.get_logger().setLevel("ERROR")


@dataclass
class Built:
    entries: list[tuple[str, str, Any]]  # (logical id "layer:role", kind, variable)
    assign: Callable[[list[tuple[Any, np.ndarray]]], None]
    save: Callable[[str], str]  # directory -> checkpoint prefix
    spec: Callable[[], Any]  # -> ckpt_doctor.ModelSpec
    name_candidates: Callable[[Any], list[str]]
    writer: str  # how the checkpoint is written (source side)
    model_desc: str = ""  # what the model is (target side)


def _strip(name: str) -> str:
    head, sep, tail = name.rpartition(":")
    return head if sep and tail.isdigit() else name


# ---------------------------------------------------------------------------------------------------------
# TF1: tf.compat.v1 graph, get_variable in variable scopes, tf.compat.v1.train.Saver

def _leaf_vars(e):
    leaf = e["leaf"]
    if leaf == "dense":
        out = [("kernel", [e["in"], e["out"]], "w")]
        return out + ([("bias", [e["out"]], "b")] if e.get("bias", True) else [])
    if leaf == "conv":
        return [("kernel", [e["k"], e["k"], e["cin"], e["cout"]], "w"), ("bias", [e["cout"]], "b")]
    if leaf == "bn":
        c = e["c"]
        return [("gamma", [c], "g"), ("beta", [c], "b"), ("moving_mean", [c], "mean"), ("moving_variance", [c], "var")]
    if leaf == "ln":
        return [("gamma", [e["d"]], "g"), ("beta", [e["d"]], "b")]
    if leaf == "emb":
        return [(None if e.get("raw") else "embeddings", [e["n"], e["d"]], "emb")]
    if leaf == "var":
        return [(None, e["shape"], e["role"])]
    raise ValueError(f"TF1 builder: unsupported leaf {leaf!r}")


def tf1_vars(arch):
    graph = tf.Graph()
    entries = []
    opened: list[tuple[str, Any]] = []  # scopes kept open between entries, as TF1 code nests `with` blocks

    def close_to(n):
        while len(opened) > n:
            opened.pop()[1].__exit__(None, None, None)

    with graph.as_default():
        for e in arch:
            parts = e["path"].split("/")
            raw = e["leaf"] == "var" or (e["leaf"] == "emb" and e.get("raw"))
            scopes = parts[:-1] if raw else parts
            keep = 0
            while (keep < min(len(opened), len(scopes)) and opened[keep][0] == scopes[keep]
                   and not scopes[keep].endswith("*")):
                keep += 1
            close_to(keep)
            for comp in scopes[keep:]:
                if comp.endswith("*"):  # TF's own auto-numbering: dense, dense_1, ...
                    cm = v1.variable_scope(None, default_name=comp[:-1])
                else:
                    cm = v1.variable_scope(comp)
                cm.__enter__()
                opened.append((comp, cm))
            for vname, shape, role in _leaf_vars(e):
                trainable = role not in ("mean", "var")
                var = v1.get_variable(parts[-1] if vname is None else vname, shape=shape, dtype=tf.float32,
                                      initializer=v1.zeros_initializer(), trainable=trainable)
                kind = e.get("kind", e["leaf"])
                entries.append((f"{e['lid']}:{role}", kind, var))
        close_to(0)

    session = v1.Session(graph=graph)
    with graph.as_default():
        session.run(v1.global_variables_initializer())

    def assign(pairs):
        with graph.as_default():
            for var, value in pairs:
                var.load(value, session)

    def save(directory):
        with graph.as_default():
            saver = v1.train.Saver()
            return saver.save(session, os.path.join(directory, "model.ckpt"), write_meta_graph=False)

    return Built(entries, assign, save, lambda: ckpt_doctor.load_model(graph), lambda v: [v.op.name],
                 writer="tf.compat.v1.train.Saver (TF1 graph)", model_desc="TF1 graph (tf.compat.v1 variable scopes)")


# ---------------------------------------------------------------------------------------------------------
# Keras (tf_keras = Keras 2, or Keras 3), eager or graph mode

KERAS_KIND = {"Dense": "dense", "Conv2D": "conv", "BatchNormalization": "bn", "LayerNormalization": "ln",
              "Embedding": "emb", "LSTM": "lstm", "GRU": "gru"}


def keras_layers(K, layers):
    out = []
    for d in layers:
        t, name = d["t"], d.get("name")
        if t == "dense":
            layer = K.layers.Dense(d["units"], name=name)
        elif t == "conv":
            layer = K.layers.Conv2D(d["filters"], d["k"], padding="same", name=name)
        elif t == "bn":
            layer = K.layers.BatchNormalization(name=name)
        elif t == "ln":
            layer = K.layers.LayerNormalization(name=name)
        elif t == "emb":
            layer = K.layers.Embedding(d["n"], d["d"], name=name)
        elif t == "lstm":
            layer = K.layers.LSTM(d["units"], name=name)
        elif t == "gru":
            layer = K.layers.GRU(d["units"], name=name)
        elif t == "relu":
            layer = K.layers.ReLU()
        elif t == "gap":
            layer = K.layers.GlobalAveragePooling2D()
        else:
            raise ValueError(f"Keras builder: unsupported layer {t!r}")
        out.append((layer, d.get("lid")))
    return out


def _subclass_model(K, layers):
    class Net(K.Model):
        def __init__(self):
            super().__init__()
            self._order = []
            for layer, _ in layers:
                setattr(self, layer.name, layer)
                self._order.append(layer.name)

        def call(self, x):
            for name in self._order:
                x = getattr(self, name)(x)
            return x

    return Net()


def keras_net(layers, input_shape, save=None, decoys=0, graph=False, spec="model", subclass=False, keras3=False):
    if keras3:
        import keras as K
    else:
        import tf_keras as K
    K.backend.clear_session()
    stack = ExitStack()
    g = None
    if graph:
        g = tf.Graph()
        stack.enter_context(g.as_default())
    with stack:
        for _ in range(decoys):  # layers of an earlier model in the same session: later names get suffixes
            K.layers.Dense(1)
        made = keras_layers(K, layers)
        if subclass:
            model = _subclass_model(K, made)
            model(tf.zeros([1, *input_shape]))
        else:
            model = K.Sequential([K.Input(shape=tuple(input_shape))] + [layer for layer, _ in made])
        entries = []
        for layer, lid in made:
            if lid is None:
                continue
            kind = KERAS_KIND[type(layer).__name__]
            for w in layer.weights:
                base = _strip(w.name).rsplit("/", 1)[-1]
                role = "bsum" if kind in ("lstm", "gru") and base == "bias" else common.ROLE_BY_NAME[base]
                entries.append((f"{lid}:{role}", kind, w))
        session = None
        if graph:
            session = v1.Session(graph=g)
            session.run(v1.global_variables_initializer())

    def assign(pairs):
        with g.as_default() if graph else ExitStack():
            for var, value in pairs:
                if graph:
                    var.load(value, session)
                else:
                    var.assign(value)

    def save_fn(directory):
        prefix = os.path.join(directory, "model.ckpt")
        if graph:
            with g.as_default():
                return v1.train.Saver().save(session, prefix, write_meta_graph=False)
        if save == "save_weights":
            model.save_weights(prefix)
            return prefix
        if save == "h5":  # tf_keras legacy HDF5 (save_weights('x.h5'))
            model.save_weights(os.path.join(directory, "model.h5"))
            return os.path.join(directory, "model.h5")
        if save == "weights.h5":  # Keras 3
            model.save_weights(os.path.join(directory, "model.weights.h5"))
            return os.path.join(directory, "model.weights.h5")
        if save and save.startswith("ckpt:"):
            return tf.train.Checkpoint(**{save[5:]: model}).write(prefix)
        raise ValueError(f"Keras builder: unknown save mode {save!r}")

    def spec_fn():
        if graph:
            return ckpt_doctor.load_model(g)
        if spec.startswith("ckpt:"):
            return ckpt_doctor.load_model(tf.train.Checkpoint(**{spec[5:]: model}))
        return ckpt_doctor.load_model(model)

    def names(v):
        return [_strip(v.name), getattr(v, "path", None) or ""]

    what = f"{'Keras 3' if keras3 else 'tf_keras'} {'subclassed model' if subclass else 'Sequential'}"
    how = "v1.train.Saver of graph-mode " if graph else (f"{save} of " if save else "")
    desc = f"{'graph-mode ' if graph else ''}{what}" + (f" in tf.train.Checkpoint({spec[5:]}=...)"
                                                        if spec.startswith("ckpt:") else "")
    return Built(entries, assign, save_fn, spec_fn, names, writer=how + what, model_desc=desc)


# ---------------------------------------------------------------------------------------------------------
# tf.Module

def tf_module(arch, name, save="ckpt:root"):
    root = tf.Module(name=name)
    entries = []
    for e in arch:
        parent = root
        for comp in e["path"].split("/"):
            child = getattr(parent, comp, None)
            if child is None:
                with parent.name_scope:
                    child = tf.Module(name=comp)
                setattr(parent, comp, child)
            parent = child
        with parent.name_scope:
            for vname, shape, role in _leaf_vars(e):
                var = tf.Variable(tf.zeros(shape), name=vname, trainable=role not in ("mean", "var"))
                setattr(parent, vname, var)
                entries.append((f"{e['lid']}:{role}", e["leaf"], var))

    def assign(pairs):
        for var, value in pairs:
            var.assign(value)

    def save_fn(directory):
        prefix = os.path.join(directory, "model.ckpt")
        ckpt = tf.train.Checkpoint(root=root) if save == "ckpt:root" else tf.train.Checkpoint(**{save[5:]: root})
        return ckpt.write(prefix)

    return Built(entries, assign, save_fn, lambda: ckpt_doctor.load_model(root), lambda v: [_strip(v.name)],
                 writer=f"tf.train.Checkpoint ({save}) of a tf.Module", model_desc="tf.Module")


BUILDERS = {"tf1_vars": tf1_vars, "keras_net": keras_net, "tf_module": tf_module}


# ---------------------------------------------------------------------------------------------------------

def read_h5(path: str) -> dict:
    """Every weight of a Keras HDF5 file (read with h5py), under the entry names of the format's convention:
    legacy files (``layer_names``/``weight_names`` attributes) by weight name without ``:0`` (``dense/kernel``),
    Keras 3 ``.weights.h5`` by dataset path (``layers/dense/vars/0``)."""
    import h5py

    out = {}
    with h5py.File(path, "r") as f:
        root = f["model_weights"] if "model_weights" in f else f
        if "layer_names" in root.attrs:
            for layer in root.attrs["layer_names"]:
                group = root[layer.decode() if isinstance(layer, bytes) else layer]
                for wn in group.attrs["weight_names"]:
                    wn = wn.decode() if isinstance(wn, bytes) else wn
                    out[_strip(wn)] = group[wn][()]
        else:
            def visit(name, obj):
                if isinstance(obj, h5py.Dataset):
                    out[name] = obj[()]
            f.visititems(visit)
    return out


def finish_source(built: Built, scenario: str, directory: str) -> dict:
    values = {lid: common.distinctive_value(scenario, lid, var.shape) for lid, _, var in built.entries}
    if len(values) != len(built.entries):
        raise AssertionError("duplicate logical ids on the source side")
    built.assign([(var, values[lid]) for lid, _, var in built.entries])
    ckpt_dir = os.path.join(directory, "ckpt")
    os.makedirs(ckpt_dir, exist_ok=True)
    prefix = built.save(ckpt_dir)
    if prefix.endswith(".h5"):
        stored, other = read_h5(prefix), []
    else:
        reader = tf.train.load_checkpoint(prefix)  # TensorFlow's own reader
        dtypes = reader.get_variable_to_dtype_map()
        stored = {key: reader.get_tensor(key) for key, dt in dtypes.items() if dt != tf.string}
        other = sorted(k for k, dt in dtypes.items() if dt == tf.string)
    keys, unmatched = common.tie_keys(values, stored)
    other = sorted(unmatched + other)
    return {"framework": "tf", "layout": "tf", "writer": built.writer,
            "checkpoint": [os.path.relpath(prefix, directory)],
            "keys": keys, "kinds": {lid: kind for lid, kind, _ in built.entries},
            "shapes": {lid: list(values[lid].shape) for lid in values}, "other_keys": other}


def finish_target(built: Built, directory: str) -> dict:
    spec = built.spec()
    path = os.path.join(directory, "model.spec.json")
    spec.save(path)
    spec_names = {v.name: v for v in spec.variables}
    names = {}
    for lid, _, var in built.entries:
        found = [n for n in built.name_candidates(var) if n in spec_names]
        if len(found) < 1:
            raise AssertionError(f"{lid}: none of {built.name_candidates(var)} is a variable of the spec")
        names[lid] = found[0]
    if len(set(names.values())) != len(names):
        raise AssertionError("two logical ids resolve to one model variable")
    other = sorted(n for n in spec_names if n not in set(names.values()))
    for n in other:
        if spec_names[n].is_weight:
            raise AssertionError(f"model weight {n} carries no logical id")
    return {"framework": "tf", "layout": "tf", "writer": built.model_desc, "spec": "model.spec.json", "names": names,
            "kinds": {lid: kind for lid, kind, _ in built.entries},
            "shapes": {lid: [int(d) for d in var.shape] for lid, _, var in built.entries}, "other_names": other}


if __name__ == "__main__":
    sys.exit(common.run_jobs(BUILDERS, finish_source, finish_target))
