#!/usr/bin/env python
"""Printed fixes and rewritten checkpoints across frameworks, run by the real framework (tests/test_layout_fixes.py):

    python tests/layout_fixes_oracle.py OUTDIR FAMILY   # FAMILY: tf1 | keras3

tf1: a TF1 graph (tf.compat.v1, graph mode) restored from a PyTorch-written ``.pt`` (kernels OIHW / (out, in)) and
from a TF bundle holding PyTorch layouts under PyTorch names beside values a Saver can take as they are: the "Fix"
block ``diagnose`` prints is executed verbatim in a session, then every variable is read back.
keras3: ``align --rewrite OUT.weights.h5`` from a PyTorch file and from a TF1 bundle, then Keras 3's own
``model.load_weights(OUT)``; every variable is read back.

Writes ``OUTDIR/<FAMILY>.json``: {scenario: {"code" or "output", "problems": [...]}}.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

import numpy as np  # noqa: E402

import ckpt_doctor  # noqa: E402
from ckpt_doctor.report.diagnose import render  # noqa: E402

RNG = np.random.default_rng(7)
RESULTS: dict[str, dict] = {}


def printed_fix(path: str, model) -> str:
    """The code under "Fix (...):" in the diagnose report, dedented: what a user copies."""
    d = ckpt_doctor.diagnose(path, model)
    a = ckpt_doctor.align(d.checkpoint, d.model, load_with=d.loader.name)
    lines = render(d, a).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Fix ("))
    return "\n".join(line[2:] for line in lines[start + 1:])


def differences(got: dict, want: dict) -> list[str]:
    return [f"{k}: not restored" for k in want if k not in got or got[k].shape != want[k].shape
            or not np.array_equal(got[k], want[k])] + [f"{k}: not checked" for k in got if k not in want]


# --- TF1 graph <- PyTorch layouts -------------------------------------------------------------------------------

def tf1_family() -> None:
    import tensorflow as tf
    import torch

    v1 = tf.compat.v1
    shapes = {"conv/kernel": (3, 1, 2, 3), "conv/bias": (3,), "fc/kernel": (18, 5), "fc/bias": (5,),
              "out/kernel": (5, 1), "out/bias": (1,)}
    want = {k: RNG.standard_normal(s).astype("float32") for k, s in shapes.items()}
    weights_h5 = keras3_weights(want)  # eager Keras 3 first: the graphs below run with eager execution off
    v1.disable_eager_execution()

    def build(adam=False):
        x = v1.placeholder(tf.float32, [None, 8, 1, 2])
        with v1.variable_scope("conv"):
            h = tf.nn.conv2d(x, v1.get_variable("kernel", shapes["conv/kernel"]), 1, "VALID") + \
                v1.get_variable("bias", shapes["conv/bias"])
        h = tf.reshape(h, [-1, 18])
        for scope in ("fc", "out"):
            with v1.variable_scope(scope):
                h = tf.matmul(h, v1.get_variable("kernel", shapes[f"{scope}/kernel"])) + \
                    v1.get_variable("bias", shapes[f"{scope}/bias"])
        if adam:
            v1.train.AdamOptimizer(0.1).minimize(tf.reduce_sum(h * h))

    # as PyTorch holds them: Conv2d weight OIHW, Linear weight (out, in), a one-unit head (1, 5)
    torch_layout = {"conv.weight": want["conv/kernel"].transpose(3, 2, 0, 1), "conv.bias": want["conv/bias"],
                    "fc.weight": want["fc/kernel"].T, "fc.bias": want["fc/bias"],
                    "out.weight": want["out/kernel"].reshape(1, 5), "out.bias": want["out/bias"]}
    pt = os.path.join(OUT, "tf1_from_torch.pt")
    torch.save({k: torch.tensor(np.ascontiguousarray(v)) for k, v in torch_layout.items()}, pt)

    # a TF bundle from a conversion script: PyTorch layouts under PyTorch names for the kernels, the biases under
    # the graph's own names (a Saver takes those as they are)
    bundle_values = {k: v for k, v in torch_layout.items() if k.endswith("weight")}
    bundle_values.update({k: want[k] for k in shapes if k.endswith("bias")})
    g = tf.Graph()
    with g.as_default(), v1.Session() as sess:
        holders = {k: v1.get_variable(f"v{i}", initializer=np.ascontiguousarray(v))
                   for i, (k, v) in enumerate(bundle_values.items())}
        sess.run(v1.global_variables_initializer())
        bundle = v1.train.Saver(var_list=holders).save(sess, os.path.join(OUT, "tf1_mixed", "model.ckpt"))

    # the same with Adam: each kernel's slots (conv.weight/Adam, ...) in PyTorch layout like their kernel
    g = tf.Graph()
    with g.as_default():
        build(adam=True)
        want_adam = {v.op.name: RNG.standard_normal(v.shape).astype(v.dtype.as_numpy_dtype)
                     for v in v1.global_variables()}
    to_torch = {"conv/kernel": ("conv.weight", lambda v: v.transpose(3, 2, 0, 1)),
                "fc/kernel": ("fc.weight", lambda v: v.T), "out/kernel": ("out.weight", lambda v: v.reshape(1, 5))}
    adam_values = {}
    for name, value in want_adam.items():
        owner = next((k for k in to_torch if name == k or name.startswith(k + "/")), None)
        if owner is None:
            adam_values[name] = value
        else:
            key, layout = to_torch[owner]
            adam_values[key + name[len(owner):]] = np.ascontiguousarray(layout(value))
    g = tf.Graph()
    with g.as_default(), v1.Session() as sess:
        holders = {k: v1.get_variable(f"v{i}", initializer=v) for i, (k, v) in enumerate(adam_values.items())}
        sess.run(v1.global_variables_initializer())
        adam_bundle = v1.train.Saver(var_list=holders).save(sess, os.path.join(OUT, "tf1_adam", "model.ckpt"))

    for sid, path, adam in [("tf1-from-pytorch-pt", pt, False),
                            ("tf1-from-tf-bundle-with-pytorch-layouts", bundle, False),
                            ("tf1-adam-from-tf-bundle-with-pytorch-layouts", adam_bundle, True),
                            ("tf1-from-keras3-weights-h5", weights_h5, False)]:
        g = tf.Graph()
        with g.as_default():
            build(adam)
        code, problems = "", []
        try:
            code = printed_fix(path, g)
            with g.as_default(), v1.Session() as sess:
                sess.run(v1.global_variables_initializer())
                exec(code, {"tf": tf, "sess": sess})  # noqa: S102 - the printed fix, verbatim
                got = {v.op.name: sess.run(v) for v in v1.global_variables()}
            problems = differences(got, want_adam if adam else want)
        except Exception as e:
            problems.append(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        RESULTS[sid] = {"code": code, "problems": problems}
    tf1_partitioned(tf, torch)


def tf1_partitioned(tf, torch) -> None:
    """A TF1 graph whose kernel is partitioned in two (an embedding-table setup), from a PyTorch ``.pt``: every part
    gets its slice of the transposed value."""
    v1 = tf.compat.v1
    want = {"proj/kernel": RNG.standard_normal((6, 4)).astype("float32"),
            "proj/bias": RNG.standard_normal(4).astype("float32")}
    pt = os.path.join(OUT, "tf1_partitioned_from_torch.pt")
    torch.save({"proj.weight": torch.tensor(np.ascontiguousarray(want["proj/kernel"].T)),
                "proj.bias": torch.tensor(want["proj/bias"])}, pt)
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 6])
        with v1.variable_scope("proj"):
            kernel = v1.get_variable("kernel", (6, 4), partitioner=v1.fixed_size_partitioner(2))
            tf.matmul(x, kernel) + v1.get_variable("bias", (4,))
    code, problems = "", []
    try:
        code = printed_fix(pt, g)
        with g.as_default(), v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            exec(code, {"tf": tf, "sess": sess})  # noqa: S102 - the printed fix, verbatim
            got: dict = {}
            for v in v1.global_variables():  # the parts put together as the Saver would save them
                part = getattr(v, "_save_slice_info", None)
                if part is None:
                    got[v.op.name] = sess.run(v)
                    continue
                whole = got.setdefault(part.full_name, np.zeros(part.full_shape, "float32"))
                whole[tuple(slice(o, o + n) for o, n in zip(part.var_offset, part.var_shape, strict=True))] = \
                    sess.run(v)
        problems = differences(got, want)
    except Exception as e:
        problems.append(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    RESULTS["tf1-partitioned-from-pytorch-pt"] = {"code": code, "problems": problems}

    # a partitioned variable saved by a Saver under scope `a`, the graph rebuilt under `b`: the Saver fix and its
    # init_from_checkpoint alternative
    def build(scope):
        with v1.variable_scope(scope):
            v1.get_variable("kernel", (6, 4), partitioner=v1.fixed_size_partitioner(2))
            v1.get_variable("bias", (4,))

    g = tf.Graph()
    with g.as_default(), v1.Session() as sess:
        build("a")
        sess.run(v1.global_variables_initializer())
        path = v1.train.Saver().save(sess, os.path.join(OUT, "tf1_partitioned", "model.ckpt"))
        saved = {v.op.name.replace("a/", "b/", 1): sess.run(v) for v in v1.global_variables()}
    g = tf.Graph()
    with g.as_default():
        build("b")
    code, problems = "", []
    try:
        code = printed_fix(path, g)
        saver_code, _, alternative = code.partition("\n# or,")
        if not alternative:
            problems.append("no init_from_checkpoint alternative")
        checkpoint_line = next(line for line in code.splitlines() if line.startswith("CHECKPOINT ="))
        for how, text in (("saver", saver_code), ("init_from_checkpoint", checkpoint_line + "\n# or," + alternative)):
            with g.as_default(), v1.Session() as sess:
                if how == "saver":
                    sess.run(v1.global_variables_initializer())
                exec(text, {"tf": tf, "sess": sess})  # noqa: S102 - the printed fix, verbatim
                if how != "saver":
                    sess.run(v1.global_variables_initializer())
                problems += [f"{how}: {p}" for p in differences({v.op.name: sess.run(v) for v in
                                                                 v1.global_variables()}, saved)]
    except Exception as e:
        problems.append(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    RESULTS["tf1-partitioned-renamed-scope"] = {"code": code, "problems": problems}


def keras3_weights(values: dict) -> str:
    """``values`` (TF1 names, Keras layouts) saved by Keras 3 as ``.weights.h5`` (paths ``layers/conv2d/vars/0``)."""
    import keras

    L = keras.layers
    inp = keras.Input((8, 1, 2))
    x = L.Flatten()(L.Conv2D(3, (3, 1), name="conv")(inp))
    model = keras.Model(inp, L.Dense(1, name="out")(L.Dense(5, name="fc")(x)))
    for v in model.weights:
        v.assign(values[v.path])
    path = os.path.join(OUT, "tf1_from_keras3.weights.h5")
    model.save_weights(path)
    return path


# --- Keras 3 <- PyTorch file / TF1 bundle: align --rewrite OUT.weights.h5, then model.load_weights(OUT) ------------

KERAS3_BUILDER = """
import keras
L = keras.layers

def build():
    inp = keras.Input((8, 1, 2))
    x = L.Flatten()(L.Conv2D(3, (3, 1), name="conv")(inp))
    x = L.BatchNormalization(name="bn")(L.Dense(5, name="fc")(x))
    return keras.Model(inp, L.Dense(1, name="out")(x))
"""


def keras3_family() -> None:
    import contextlib
    import io

    import tensorflow as tf
    import torch

    from ckpt_doctor.cli import main as cli

    builder = os.path.join(OUT, "keras3_builder.py")
    with open(builder, "w") as f:
        f.write(KERAS3_BUILDER)
    namespace: dict = {}
    exec(KERAS3_BUILDER, namespace)  # noqa: S102 - the same builder the CLI loads
    build = namespace["build"]
    source = build()
    want = {}
    for v in source.weights:
        want[v.path] = RNG.standard_normal(tuple(v.shape)).astype("float32")
        if "variance" in v.path:
            want[v.path] = np.abs(want[v.path])
    torch_layout = {"conv.weight": want["conv/kernel"].transpose(3, 2, 0, 1), "conv.bias": want["conv/bias"],
                    "fc.weight": want["fc/kernel"].T, "fc.bias": want["fc/bias"], "bn.weight": want["bn/gamma"],
                    "bn.bias": want["bn/beta"], "bn.running_mean": want["bn/moving_mean"],
                    "bn.running_var": want["bn/moving_variance"], "out.weight": want["out/kernel"].reshape(1, 5),
                    "out.bias": want["out/bias"]}
    pt = os.path.join(OUT, "keras3_from_torch.pt")
    state = {k: torch.tensor(np.ascontiguousarray(v)) for k, v in torch_layout.items()}
    state["bn.num_batches_tracked"] = torch.tensor(7)
    torch.save(state, pt)
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default(), v1.Session() as sess:  # TF1 names under a scope the model lacks, Keras layouts
        variables = [v1.get_variable(f"tower/{k}", initializer=v) for k, v in want.items()]
        sess.run(v1.variables_initializer(variables))
        bundle = v1.train.Saver(variables).save(sess, os.path.join(OUT, "keras3_tf1", "model.ckpt"))

    for sid, (path, to) in {"keras3-rewrite-from-pytorch-pt": (pt, []),
                            "keras3-rewrite-from-tf1-bundle": (bundle, ["--to", "keras3"])}.items():
        target = os.path.join(OUT, f"{sid}.weights.h5")
        problems: list[str] = []
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = cli(["align", path, "--model", f"{builder}:build", "--rewrite", target, *to])
        if rc != 0:
            problems.append(f"align --rewrite exit code {rc}")
        else:
            model = build()
            try:
                model.load_weights(target)  # Keras 3's own loader, unmodified
                problems += differences({v.path: np.array(v.numpy()) for v in model.weights}, want)
            except Exception as e:
                problems.append(f"load_weights: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        RESULTS[sid] = {"output": out.getvalue(), "problems": problems}
        # the printed fix for the same pair, pasted into a fresh model
        model, code = build(), ""
        try:
            code = printed_fix(path, model)
            exec(code, {"model": model})  # noqa: S102 - the printed fix, verbatim
            problems = differences({v.path: np.array(v.numpy()) for v in model.weights}, want)
        except Exception as e:
            problems = [f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"]
        RESULTS[sid.replace("rewrite", "fix")] = {"code": code, "problems": problems}


# --- PyTorch <- a tf-keras .h5 file; PyTorch <- a Hugging Face style checkpoint --------------------------------

def torch_family() -> None:
    import tf_keras as keras
    import torch
    from torch import nn

    L = keras.layers
    source = keras.Sequential([keras.Input((8, 1, 2)), L.Conv2D(3, (3, 1), name="conv"), L.Flatten(),
                               L.Dense(5, name="fc"), L.Dense(1, name="out")])
    for v in source.weights:
        v.assign(RNG.standard_normal(tuple(v.shape)).astype("float32"))
    h5 = os.path.join(OUT, "torch_from_tfkeras.h5")
    source.save_weights(h5)
    w = {layer: [np.array(x.numpy()) for x in source.get_layer(layer).weights] for layer in ("conv", "fc", "out")}
    want = {"conv.weight": w["conv"][0].transpose(3, 2, 0, 1), "conv.bias": w["conv"][1], "fc.weight": w["fc"][0].T,
            "fc.bias": w["fc"][1], "out.weight": w["out"][0].reshape(1, 5), "out.bias": w["out"][1]}
    model = nn.Sequential()
    model.add_module("conv", nn.Conv2d(2, 3, (3, 1)))
    model.add_module("flat", nn.Flatten())
    model.add_module("fc", nn.Linear(18, 5))
    model.add_module("out", nn.Linear(5, 1))
    run_torch_fix("torch-from-tfkeras-h5", h5, model, want)

    # and the other way: the same tf-keras model from the PyTorch layouts (a .pt), by the printed Keras fix
    pt = os.path.join(OUT, "tfkeras_from_torch.pt")
    torch.save({k: torch.tensor(np.ascontiguousarray(v)) for k, v in want.items()}, pt)
    target = keras.Sequential([keras.Input((8, 1, 2)), L.Conv2D(3, (3, 1), name="conv"), L.Flatten(),
                               L.Dense(5, name="fc"), L.Dense(1, name="out")])
    code, problems = "", []
    try:
        code = printed_fix(pt, target)
        exec(code, {"model": target})  # noqa: S102 - the printed fix, verbatim
        problems = differences({v.name: np.array(v.numpy()) for v in target.weights},
                               {v.name: np.array(v.numpy()) for v in source.weights})
    except Exception as e:
        problems.append(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    RESULTS["tfkeras-from-pytorch-pt"] = {"code": code, "problems": problems}

    # Hugging Face style: the checkpoint of a model with a head (`bert.` base-model prefix, `cls.` head), its
    # LayerNorms saved with the old `gamma`/`beta` names, loaded into the bare base model
    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.query = nn.Linear(4, 4)
            self.LayerNorm = nn.LayerNorm(4)

    class Base(nn.Module):
        def __init__(self):
            super().__init__()
            self.embeddings = nn.Embedding(10, 4)
            self.encoder = nn.Module()
            self.encoder.layer = nn.ModuleList([Layer(), Layer()])

    model = Base()
    want = {k: RNG.standard_normal(tuple(v.shape)).astype("float32") for k, v in model.state_dict().items()}
    saved = {"bert." + k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta"):
             torch.tensor(v) for k, v in want.items()}
    saved.update({"cls.predictions.bias": torch.zeros(10), "cls.predictions.transform.dense.weight": torch.ones(4, 4)})
    path = os.path.join(OUT, "torch_hf_style.bin")
    torch.save(saved, path)
    run_torch_fix("torch-hf-style-prefix-head-gamma-beta", path, model, want)


def run_torch_fix(sid: str, path: str, model, want: dict) -> None:
    import torch

    code, problems = "", []
    try:
        code = printed_fix(path, model)
        exec(code, {"model": model, "torch": torch})  # noqa: S102 - the printed fix, verbatim
        problems = differences({k: v.numpy() for k, v in model.state_dict().items()}, want)
    except Exception as e:
        problems.append(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    RESULTS[sid] = {"code": code, "problems": problems}


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    try:
        {"tf1": tf1_family, "keras3": keras3_family, "torch": torch_family}[FAMILY]()
    except Exception:
        traceback.print_exc()
        sys.exit(1)
    with open(os.path.join(OUT, f"{FAMILY}.json"), "w") as f:
        json.dump(RESULTS, f, indent=1)


if __name__ == "__main__":
    OUT, FAMILY = sys.argv[1], sys.argv[2]
    main()
