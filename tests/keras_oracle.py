#!/usr/bin/env python
"""Write Keras weight files with real tf-keras and Keras 3, and record what the models themselves hold.

Run as a script, never imported by the test process (TensorFlow must stay out of pytest's interpreter)::

    python tests/keras_oracle.py OUTDIR

Writes the files below OUTDIR plus ``OUTDIR/reference.json``::

    {"keras_version": str, "tf_keras_version": str | null,
     "files": {id: {"path": relpath, "framework": "tf_keras" | "keras3",
                    "layers": [{"name": layer.name, "weights": [{"name": str, "shape": [int], "dtype": str,
                                                                 "key": npz key}]}],
                    "optimizer": [{"name": str, "shape": [int], "dtype": str, "key": npz key}]}}}

Weight names are ``w.name`` for tf-keras (``d1/kernel:0``) and ``w.path`` for Keras 3 (``sequential/d1/kernel``);
a layer's weights are listed in the order Keras saves them (trainable, then non-trainable). Values are in
``OUTDIR/values.npz``, bfloat16 widened to float32 (exact).
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402

VALUES: dict[str, np.ndarray] = {}


def _value(v) -> np.ndarray:
    a = np.asarray(v.numpy() if hasattr(v, "numpy") else v)
    if a.dtype.name in ("bfloat16",) or a.dtype.kind == "V":
        a = a.astype(np.float32)
    return a


def _record(var, name: str) -> dict:
    key = f"v{len(VALUES)}"
    value = _value(var)
    VALUES[key] = value
    dtype = getattr(var, "dtype", value.dtype)
    return {"name": name, "shape": list(value.shape), "dtype": str(getattr(dtype, "name", dtype)), "key": key}


def _layers(model, name_of) -> list[dict]:
    """Leaf layers (nested models flattened) with their weights in saving order."""
    out = []
    for layer in model.layers:
        if getattr(layer, "layers", None):
            out += _layers(layer, name_of)
            continue
        weights = list(layer.trainable_weights) + list(layer.non_trainable_weights)
        out.append({"name": layer.name, "weights": [_record(w, name_of(w)) for w in weights]})
    return out


def keras3_files(outdir: str, files: dict) -> str:
    import keras

    x, y = np.random.RandomState(0).rand(8, 4).astype("float32"), np.ones((8, 2), "float32")

    def trained(model):
        model.compile(optimizer="adam", loss="mse")
        model.fit(x, y, verbose=0, epochs=2)
        return model

    seq = trained(keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d1"),
                                    keras.layers.BatchNormalization(), keras.layers.Dense(2, dtype="bfloat16")]))

    def entry(path, model):
        return {"path": path, "framework": "keras3", "layers": _layers(model, lambda w: w.path),
                "optimizer": [_record(v, v.path) for v in model.optimizer.variables]}

    seq.save_weights(os.path.join(outdir, "k3.weights.h5"))
    files["k3_weights"] = entry("k3.weights.h5", seq)
    seq.save(os.path.join(outdir, "k3.keras"))
    files["k3_zip"] = entry("k3.keras", seq)
    seq.save(os.path.join(outdir, "k3_legacy.h5"))
    files["k3_legacy_h5"] = entry("k3_legacy.h5", seq)
    # max_shard_size is in GB: about 20 kB per shard, so the (64, 64) kernels land in different shards and one
    # layer's vars group is split across two files.
    wide = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, name="a"), keras.layers.Dense(64, name="b"),
                             keras.layers.Dense(8, name="c")])
    os.makedirs(os.path.join(outdir, "sharded"))
    wide.save_weights(os.path.join(outdir, "sharded", "wide.weights.json"), max_shard_size=0.00002)
    files["k3_sharded"] = {"path": "sharded/wide.weights.json", "framework": "keras3",
                           "layers": _layers(wide, lambda w: w.path), "optimizer": []}

    inner = keras.Sequential([keras.layers.Dense(2, name="inner")], name="subm")
    inp = keras.Input((4,))
    func = trained(keras.Model(inp, inner(keras.layers.Dense(3, name="d1")(inp))))
    func.save(os.path.join(outdir, "k3_nested.keras"))
    files["k3_nested"] = entry("k3_nested.keras", func)
    # Two branches (a shortcut beside a conv + norm): Keras' own layer order is not the order of the file's names
    inp = keras.Input((6, 6, 3))
    main = keras.layers.BatchNormalization(name="m_bn")(keras.layers.Conv2D(4, 3, padding="same", name="m_conv")(inp))
    short = keras.layers.Conv2D(4, 1, name="a_short")(inp)
    out = keras.layers.Dense(2, name="head")(keras.layers.Add()([main, short]))
    branches = keras.Model(inp, out)
    branches.save_weights(os.path.join(outdir, "k3_branches.weights.h5"))
    files["k3_branches"] = {"path": "k3_branches.weights.h5", "framework": "keras3",
                            "layers": _layers(branches, lambda w: w.path), "optimizer": []}
    return keras.__version__


def tf_keras_files(outdir: str, files: dict) -> str | None:
    try:
        import tf_keras
    except ImportError:
        return None
    x, y = np.random.RandomState(1).rand(8, 4).astype("float32"), np.ones((8, 2), "float32")
    model = tf_keras.Sequential([tf_keras.layers.Dense(3, input_shape=(4,), name="d1"),
                                 tf_keras.layers.BatchNormalization(), tf_keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, verbose=0, epochs=2)

    def entry(path, with_optimizer):
        return {"path": path, "framework": "tf_keras", "layers": _layers(model, lambda w: w.name),
                "optimizer": [_record(v, v.name) for v in model.optimizer.variables] if with_optimizer else []}

    model.save_weights(os.path.join(outdir, "tk.h5"))
    files["tk_weights"] = entry("tk.h5", False)
    model.save(os.path.join(outdir, "tk_full.h5"))
    files["tk_full"] = entry("tk_full.h5", True)

    # Long layer names: layer_names exceeds HDF5's 64 KiB attribute limit and is split into layer_names0, 1, ...
    many = tf_keras.Sequential([tf_keras.layers.Dense(1, input_shape=(1,), name=f"{'x' * 240}_{i}")
                                for i in range(300)])
    many.save_weights(os.path.join(outdir, "tk_split.h5"))
    files["tk_split"] = {"path": "tk_split.h5", "framework": "tf_keras", "layers": _layers(many, lambda w: w.name),
                         "optimizer": []}
    return tf_keras.__version__


def main(outdir: str) -> None:
    files: dict = {}
    keras_version = keras3_files(outdir, files)
    tf_keras_version = tf_keras_files(outdir, files)
    np.savez(os.path.join(outdir, "values.npz"), **VALUES)
    with open(os.path.join(outdir, "reference.json"), "w") as f:
        json.dump({"keras_version": keras_version, "tf_keras_version": tf_keras_version, "files": files}, f,
                  indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
