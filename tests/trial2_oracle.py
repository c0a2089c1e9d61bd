#!/usr/bin/env python
"""Oracle for tests/test_trial2_*.py: what a second new user did with real PyTorch, written down.

    python tests/trial2_oracle.py OUTDIR torch   # writes OUTDIR/torch.json
    python tests/trial2_oracle.py OUTDIR tf      # writes OUTDIR/tf.json
    python tests/trial2_oracle.py OUTDIR keras3  # writes OUTDIR/keras3.json

hp.ckpt: a training checkpoint as PyTorch Lightning (< 2) and many scripts save it: the state dict beside its
hyperparameters as an ``argparse.Namespace`` (pesto-pitch ships the same with omegaconf configs); whether
``torch.load``'s default (weights_only=True) reads it; the fix diagnose prints for the model wrapped in
DataParallel, executed verbatim, and which values then arrived.

wn.pt: a state dict saved from a model with the old ``torch.nn.utils.weight_norm`` (``weight_g``/``weight_v``, as
torchfcpe ships it); wn.spec.json: the same model built with ``torch.nn.utils.parametrizations.weight_norm``
(``parametrizations.weight.original0/1``); whether its strict load_state_dict of wn.pt succeeds and every value
arrives (PyTorch's weight-norm load hook renames the keys).

tf: a TF1 graph of auto-numbered layers (batch_normalization, batch_normalization_1, ...; conv2d, ...) saved by
Saver (shift/model.ckpt-1), as musicnn ships its weights; the same graph with one more batch_normalization in
front, so every later number shifts by one and the new layer takes the first name with another shape; the fix
diagnose prints for it, executed verbatim in a session, and which variables then hold which checkpoint value.

keras3: a TF1 Saver checkpoint (nb/model.ckpt-1: dense/kernel, dense/bias) and a Keras 3 functional model whose
variables have exactly those paths (nb.spec.json); whether tf.train.Checkpoint(model=model).restore(prefix), TF's
name-based restore, assigns them (with tf-keras it does; with Keras 3 it silently assigns nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

OUT, FAMILY = sys.argv[1], sys.argv[2]
os.makedirs(OUT, exist_ok=True)


def _printed_fix(path: str, model) -> str:
    import ckpt_doctor
    from ckpt_doctor.report.diagnose import render

    d = ckpt_doctor.diagnose(path, model)
    lines = render(d, ckpt_doctor.align(d.checkpoint, d.model, load_with=d.loader.name)).split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith("Fix (")), None)
    if start is None:
        return ""
    block = []
    for line in lines[start + 1:]:
        if line and not line.startswith("  "):
            break
        block.append(line[2:])
    return "\n".join(block)


def _run_printed_fix(path: str, model) -> str | None:
    import torch

    try:
        exec(_printed_fix(path, model), {"model": model, "torch": torch})
    except Exception:
        return traceback.format_exc()[-2000:]
    return None


SIZES = [1, 8, 8, 16]
BUILDER = f"""
import tensorflow as tf

def build(inserted=True):  # layers as tf.compat.v1.layers names them: the first unnumbered, then _1, _2, ...
    sizes = ([4] if inserted else []) + {SIZES!r}
    for i, n in enumerate(sizes):
        with tf.compat.v1.variable_scope("batch_normalization" + (f"_{{i}}" if i else "")):
            for leaf in ("gamma", "beta", "moving_mean", "moving_variance"):
                tf.compat.v1.get_variable(leaf, [n], initializer=tf.compat.v1.random_uniform_initializer())
    for i, n in enumerate({SIZES!r}):
        tf.compat.v1.get_variable("conv2d" + (f"_{{i}}" if i else "") + "/kernel", [3, 3, n, n],
                                  initializer=tf.compat.v1.random_uniform_initializer())
"""


def tf_part() -> dict:
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    builder = os.path.join(OUT, "shift_model.py")
    with open(builder, "w") as f:
        f.write(BUILDER)
    sys.path.insert(0, OUT)
    import shift_model

    prefix = os.path.join(OUT, "shift", "model.ckpt-1")
    with tf.Graph().as_default():
        shift_model.build(inserted=False)
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            tf.compat.v1.train.Saver().save(sess, prefix)
    code = _printed_fix(prefix, builder + ":build")
    result: dict = {"fix": code, "fix_error": None, "holds": {}}
    if not code:
        return result
    with tf.Graph().as_default():
        shift_model.build()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            try:
                exec(code, {"tf": tf, "sess": sess})
            except Exception:
                result["fix_error"] = traceback.format_exc()[-2000:]
                return result
            reader = tf.compat.v1.train.NewCheckpointReader(prefix)
            saved = {k: reader.get_tensor(k) for k in reader.get_variable_to_shape_map()}
            for v in tf.compat.v1.global_variables():  # which checkpoint value each variable now holds, if any
                value = sess.run(v)
                result["holds"][v.op.name] = next((k for k, c in saved.items() if c.shape == value.shape
                                                   and (c == value).all()), None)
    return result


def keras3_part() -> dict:
    import keras
    import numpy as np
    import tensorflow as tf

    import ckpt_doctor

    prefix = os.path.join(OUT, "nb", "model.ckpt-1")
    with tf.Graph().as_default():
        tf.compat.v1.get_variable("dense/kernel", [3, 2], initializer=tf.compat.v1.constant_initializer(7.0))
        tf.compat.v1.get_variable("dense/bias", [2], initializer=tf.compat.v1.constant_initializer(5.0))
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            tf.compat.v1.train.Saver().save(sess, prefix)
    inp = keras.Input((3,))
    model = keras.Model(inp, keras.layers.Dense(2, name="dense")(inp))
    ckpt_doctor.load_model(model).save(os.path.join(OUT, "nb.spec.json"))
    tf.train.Checkpoint(model=model).restore(prefix)
    dense = model.get_layer("dense")
    return {"paths": [v.path for v in model.variables],
            "arrived": {"dense/kernel": bool(np.all(dense.kernel.numpy() == 7.0)),
                        "dense/bias": bool(np.all(dense.bias.numpy() == 5.0))}}


def torch_part() -> dict:
    import torch

    import ckpt_doctor

    torch.manual_seed(0)

    def build():
        return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))

    model = build()
    hp = os.path.join(OUT, "hp.ckpt")
    torch.save({"epoch": 3, "state_dict": model.state_dict(),
                "hyper_parameters": argparse.Namespace(lr=0.1, hidden=[4], name="mlp")}, hp)
    default_error = None
    try:
        torch.load(hp)
    except Exception as e:
        default_error = type(e).__name__
    target = torch.nn.DataParallel(build())
    fix_error = _run_printed_fix(hp, target)
    hp_arrived = {k: bool(torch.equal(v, target.module.state_dict()[k])) for k, v in model.state_dict().items()}

    old = torch.nn.utils.weight_norm(torch.nn.Linear(3, 4))  # deprecated spelling: weight_g / weight_v
    torch.save(old.state_dict(), os.path.join(OUT, "wn.pt"))
    new = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 4))
    ckpt_doctor.load_model(new).save(os.path.join(OUT, "wn.spec.json"))
    new.load_state_dict(torch.load(os.path.join(OUT, "wn.pt"), weights_only=True), strict=True)  # raises if not
    wn_arrived = {"g": bool(torch.equal(new.parametrizations.weight.original0, old.weight_g)),
                  "v": bool(torch.equal(new.parametrizations.weight.original1, old.weight_v)),
                  "bias": bool(torch.equal(new.bias, old.bias))}
    return {"default_load_error": default_error, "fix_error": fix_error, "hp_arrived": hp_arrived,
            "wn_keys": sorted(new.state_dict()), "wn_arrived": wn_arrived}


if __name__ == "__main__":
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    result = {"torch": torch_part, "tf": tf_part, "keras3": keras3_part}[FAMILY]()
    with open(os.path.join(OUT, f"{FAMILY}.json"), "w") as f:
        json.dump(result, f, indent=1)
