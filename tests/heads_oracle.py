#!/usr/bin/env python
"""Attention split into heads, Keras 3 against PyTorch, run by the real frameworks (tests/test_align_heads.py):

    python tests/heads_oracle.py OUTDIR

A Keras 3 model of two numbered blocks (``block_0``, ``block_1``: a ``MultiHeadAttention`` whose query/key/value
kernels are [in, heads, head] with [heads, head] biases and whose output kernel is [heads, head, out]; a Gemma-style
``EinsumDense`` with a [heads, in, head] kernel; two Dense layers; a LayerNormalization) and a PyTorch model of the
same computation in Hugging Face's layout (``layers.N.attn.q_proj`` [heads * head, in], ...), whose names share no
word with the Keras ones:

- ``torch-to-keras``: the PyTorch values saved as safetensors; the printed Keras fix, pasted into a fresh Keras
  model, gives every variable its value; the rewritten ``.weights.h5`` (``align --rewrite``) loads with Keras' own
  ``load_weights``;
- ``keras-to-torch``: the Keras model's ``.weights.h5``; the printed PyTorch fix, pasted, loads every value;
- both directions are checked by computation too: the PyTorch model, filled by the fix, computes what the Keras
  model computes on the same input (the layout is the frameworks' own, not a formula of ours);
- ``pointwise``: a classifier written as a 1x1 ``Conv2D`` and the ``nn.Linear`` that computes the same (checked by
  computation), for the rule-file test;
- ``flax-to-keras``: the original ViT release's split kernels in an ``.npz`` into a Keras 3 model of flat Dense
  projections (vit-keras'); the printed Keras fix, pasted, fills it, and it computes what Keras' own
  ``MultiHeadAttention`` computes with the split values.

Writes ``OUTDIR/heads.json``: {scenario: {"code" or "output", "problems": [...], "pairs": {model: [ckpt, op]}}}
and ``OUTDIR/keras_values.npz`` / ``OUTDIR/model.safetensors`` for the in-process tests.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.pop("TF_USE_LEGACY_KERAS", None)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

import numpy as np  # noqa: E402

import ckpt_doctor  # noqa: E402
from ckpt_doctor.report.diagnose import render  # noqa: E402

RNG = np.random.default_rng(11)
RESULTS: dict[str, dict] = {}
HIDDEN, HEADS, HEAD, GHEAD, FFN, T = 6, 2, 4, 3, 10, 5

KERAS_BUILDER = f"""
import keras
L = keras.layers


class Block(keras.layers.Layer):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.attention = L.MultiHeadAttention(num_heads={HEADS}, key_dim={HEAD}, name="attention")
        self.gemma_query = L.EinsumDense("btd,ndh->btnh", output_shape=(None, {HEADS}, {GHEAD}), bias_axes="nh",
                                         name="gemma_query")
        self.ffn_in = L.Dense({FFN}, name="ffn_in")
        self.ffn_out = L.Dense({HIDDEN}, name="ffn_out")
        self.norm = L.LayerNormalization(name="norm")

    def build(self, shape):
        self.attention.build(shape, shape)
        self.gemma_query.build(shape)
        self.ffn_in.build(shape)
        self.ffn_out.build(shape[:-1] + ({FFN},))
        self.norm.build(shape)

    def call(self, x):
        g = keras.ops.reshape(self.gemma_query(x), (-1, {T}, {HEADS * GHEAD}))
        return self.norm(x + self.attention(x, x) + self.ffn_out(self.ffn_in(x)) + g)


def build():
    inp = keras.Input(({T}, {HIDDEN}))
    x = Block(name="block_0")(inp)
    x = Block(name="block_1")(x)
    return keras.Model(inp, L.LayerNormalization(name="layer_normalization")(x))
"""


def torch_model():
    import torch
    from torch import nn

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.q_proj = nn.Linear(HIDDEN, HEADS * HEAD)
            self.k_proj = nn.Linear(HIDDEN, HEADS * HEAD)
            self.v_proj = nn.Linear(HIDDEN, HEADS * HEAD)
            self.o_proj = nn.Linear(HEADS * HEAD, HIDDEN)

        def forward(self, x):
            b, t, _ = x.shape
            q, k, v = (p(x).view(b, t, HEADS, HEAD) for p in (self.q_proj, self.k_proj, self.v_proj))
            w = torch.softmax(torch.einsum("bqhd,bkhd->bhqk", q, k) / HEAD ** 0.5, dim=-1)
            return self.o_proj(torch.einsum("bhqk,bkhd->bqhd", w, v).reshape(b, t, HEADS * HEAD))

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = Attention()
            self.hq_proj = nn.Linear(HIDDEN, HEADS * GHEAD)
            self.fc1 = nn.Linear(HIDDEN, FFN)
            self.fc2 = nn.Linear(FFN, HIDDEN)
            self.ln = nn.LayerNorm(HIDDEN, eps=1e-3)

        def forward(self, x):
            return self.ln(x + self.attn(x) + self.fc2(self.fc1(x)) + self.hq_proj(x))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([Layer(), Layer()])
            # a name both sides share (Keras 3 files say `layers/layer_normalization`): no lone leftover
            self.layer_normalization = nn.LayerNorm(HIDDEN, eps=1e-3)

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return self.layer_normalization(x)

    return Model()


def torch_layout(keras_values: dict) -> dict:
    """The Keras values in PyTorch's layout, by the frameworks' conventions written out independently of
    ckpt-doctor (the computation check in ``main`` confirms them)."""
    out = {}
    for n in (0, 1):
        k = {name[len(f"block_{n}/"):]: v for name, v in keras_values.items() if name.startswith(f"block_{n}/")}
        for short, role in (("q", "query"), ("k", "key"), ("v", "value")):
            out[f"layers.{n}.attn.{short}_proj.weight"] = k[f"attention/{role}/kernel"].reshape(HIDDEN, -1).T
            out[f"layers.{n}.attn.{short}_proj.bias"] = k[f"attention/{role}/bias"].reshape(-1)
        out[f"layers.{n}.attn.o_proj.weight"] = k["attention/attention_output/kernel"].reshape(-1, HIDDEN).T
        out[f"layers.{n}.attn.o_proj.bias"] = k["attention/attention_output/bias"]
        out[f"layers.{n}.hq_proj.weight"] = k["gemma_query/kernel"].transpose(0, 2, 1).reshape(-1, HIDDEN)
        out[f"layers.{n}.hq_proj.bias"] = k["gemma_query/bias"].reshape(-1)
        out[f"layers.{n}.fc1.weight"], out[f"layers.{n}.fc1.bias"] = k["ffn_in/kernel"].T, k["ffn_in/bias"]
        out[f"layers.{n}.fc2.weight"], out[f"layers.{n}.fc2.bias"] = k["ffn_out/kernel"].T, k["ffn_out/bias"]
        out[f"layers.{n}.ln.weight"], out[f"layers.{n}.ln.bias"] = k["norm/gamma"], k["norm/beta"]
    out["layer_normalization.weight"] = keras_values["layer_normalization/gamma"]
    out["layer_normalization.bias"] = keras_values["layer_normalization/beta"]
    return {name: np.ascontiguousarray(v) for name, v in out.items()}


def printed_fix(path: str, model) -> tuple[str, dict]:
    """The code under "Fix (...):" in the diagnose report, dedented (what a user copies), and the pairs."""
    d = ckpt_doctor.diagnose(path, model)
    a = ckpt_doctor.align(d.checkpoint, d.model, load_with=d.loader.name)
    lines = render(d, a).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Fix ("))
    return "\n".join(line[2:] for line in lines[start + 1:]), {p.model: [p.checkpoint, p.transform] for p in a.pairs}


def differences(got: dict, want: dict) -> list[str]:
    return [f"{k}: not restored" for k in want if k not in got or got[k].shape != want[k].shape
            or not np.array_equal(got[k], want[k])] + [f"{k}: not checked" for k in got if k not in want]


def main(out: str) -> None:
    import torch
    from safetensors.numpy import save_file

    from ckpt_doctor.cli import main as cli

    builder = os.path.join(out, "keras_builder.py")
    with open(builder, "w") as f:
        f.write(KERAS_BUILDER)
    namespace: dict = {}
    exec(KERAS_BUILDER, namespace)  # noqa: S102 - the same builder the CLI loads
    build = namespace["build"]
    source = build()
    want = {v.path: RNG.standard_normal(tuple(v.shape)).astype("float32") for v in source.weights}
    for v in source.weights:
        v.assign(want[v.path])
    np.savez(os.path.join(out, "keras_values.npz"), **want)
    weights_h5 = os.path.join(out, "source.weights.h5")
    source.save_weights(weights_h5)
    want_torch = torch_layout(want)
    st = os.path.join(out, "model.safetensors")
    save_file(want_torch, st)
    x = RNG.standard_normal((3, T, HIDDEN)).astype("float32")
    y_keras = np.asarray(source(x))

    # PyTorch values -> Keras 3: the printed fix, pasted into a fresh model; then the rewritten .weights.h5
    model, code, problems, pairs = build(), "", [], {}
    try:
        code, pairs = printed_fix(st, model)
        exec(code, {"model": model})  # noqa: S102 - the printed fix, verbatim
        problems = differences({v.path: np.array(v.numpy()) for v in model.weights}, want)
    except Exception as e:
        problems = [f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"]
    RESULTS["torch-to-keras-fix"] = {"code": code, "problems": problems, "pairs": pairs}

    target = os.path.join(out, "rewritten.weights.h5")
    output = io.StringIO()
    problems = []
    with contextlib.redirect_stdout(output):
        rc = cli(["align", st, "--model", f"{builder}:build", "--rewrite", target])
    if rc != 0:
        problems.append(f"align --rewrite exit code {rc}")
    else:
        model = build()
        try:
            model.load_weights(target)  # Keras 3's own loader
            problems += differences({v.path: np.array(v.numpy()) for v in model.weights}, want)
        except Exception as e:
            problems.append(f"load_weights: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    RESULTS["torch-to-keras-rewrite"] = {"output": output.getvalue(), "problems": problems}

    # Keras 3 .weights.h5 -> PyTorch: the printed fix, pasted; then the same input through both models
    model, code, problems, pairs = torch_model(), "", [], {}
    try:
        code, pairs = printed_fix(weights_h5, model)
        exec(code, {"model": model, "torch": torch})  # noqa: S102 - the printed fix, verbatim
        problems = differences({k: v.numpy() for k, v in model.state_dict().items()}, want_torch)
        with torch.no_grad():
            y_torch = model(torch.tensor(x)).numpy()
        if not np.allclose(y_torch, y_keras, atol=1e-5):
            problems.append(f"PyTorch computes otherwise than Keras: max |diff| {np.abs(y_torch - y_keras).max()}")
    except Exception as e:
        problems = [f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"]
    RESULTS["keras-to-torch-fix"] = {"code": code, "problems": problems, "pairs": pairs}


FLAT_BUILDER = f"""
import keras
L = keras.layers


def build():
    # vit-keras' attention: flat Dense projections, split into heads by a reshape in the call
    inp = keras.Input(({T}, {HIDDEN}))
    q, k, v = (L.Dense({HEADS * HEAD}, name=name)(inp) for name in ("query", "key", "value"))
    heads = [keras.ops.reshape(t, (-1, {T}, {HEADS}, {HEAD})) for t in (q, k, v)]
    w = keras.ops.softmax(keras.ops.einsum("bqhd,bkhd->bhqk", heads[0], heads[1]) / {HEAD} ** 0.5, axis=-1)
    o = keras.ops.reshape(keras.ops.einsum("bhqk,bkhd->bqhd", w, heads[2]), (-1, {T}, {HEADS * HEAD}))
    return keras.Model(inp, L.Dense({HIDDEN}, name="out")(o))
"""


def flax_to_flat(out: str) -> None:
    """The original ViT release's layout (Flax: `query/kernel` [in, heads, head], `out/kernel` [heads, head, out]) in an
    `.npz` under the Keras model's own names, into a Keras 3 model of flat Dense projections (vit-keras'): the printed
    fix, pasted, gives each variable the value reshaped as vit-keras' converter does, and the model then computes
    what Keras' own MultiHeadAttention computes with the split values."""
    import keras

    mha = keras.layers.MultiHeadAttention(num_heads=HEADS, key_dim=HEAD)
    x = RNG.standard_normal((3, T, HIDDEN)).astype("float32")
    mha(x, x)
    for v in mha.weights:
        v.assign(RNG.standard_normal(tuple(v.shape)).astype("float32"))
    split = {v.path.split("/", 1)[1]: np.array(v.numpy()) for v in mha.weights}
    values = {f"{flax}/{leaf}": split[f"{role}/{leaf}"] for flax, role in
              (("query", "query"), ("key", "key"), ("value", "value"), ("out", "attention_output"))
              for leaf in ("kernel", "bias")}
    path = os.path.join(out, "flax_vit.npz")
    np.savez(path, **values)
    namespace: dict = {}
    exec(FLAT_BUILDER, namespace)  # noqa: S102 - a builder, as the CLI loads it
    model, code, problems, pairs = namespace["build"](), "", [], {}
    try:
        code, pairs = printed_fix(path, model)
        exec(code, {"model": model})  # noqa: S102 - the printed fix, verbatim
        want = {name: v.reshape(-1, v.shape[-1]) if name.startswith("out/kernel") else
                v.reshape(v.shape[0], -1) if name.endswith("kernel") else v.reshape(-1) for name, v in values.items()}
        problems = differences({v.path: np.array(v.numpy()) for v in model.weights}, want)
        y, y_mha = np.asarray(model(x)), np.asarray(mha(x, x))
        if not np.allclose(y, y_mha, atol=1e-5):
            problems.append(f"the filled model computes otherwise than MultiHeadAttention: {np.abs(y - y_mha).max()}")
    except Exception as e:
        problems = [f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"]
    RESULTS["flax-to-keras-fix"] = {"code": code, "problems": problems, "pairs": pairs}


def pointwise(out: str) -> None:
    """A classifier written as a 1x1 convolution (Keras 3 ``Conv2D`` kernel [1, 1, C, K]) and the PyTorch
    ``nn.Linear`` [K, C] that computes the same: Keras' ``.weights.h5`` and the PyTorch values as safetensors."""
    import keras
    import torch
    from safetensors.numpy import save_file

    inp = keras.Input((1, 1, HIDDEN))
    source = keras.Model(inp, keras.layers.Conv2D(FFN, 1, name="fc")(inp))
    for v in source.weights:
        v.assign(RNG.standard_normal(tuple(v.shape)).astype("float32"))
    source.save_weights(os.path.join(out, "pointwise.weights.h5"))
    kernel, bias = (np.array(v.numpy()) for v in source.weights)
    linear = torch.nn.Linear(HIDDEN, FFN)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(np.ascontiguousarray(kernel[0, 0].T)))
        linear.bias.copy_(torch.tensor(bias))
    x = RNG.standard_normal((3, 1, 1, HIDDEN)).astype("float32")
    with torch.no_grad():
        y = linear(torch.tensor(x.reshape(3, HIDDEN))).numpy()
    problems = [] if np.allclose(y, np.asarray(source(x)).reshape(3, FFN), atol=1e-5) else \
        ["the Linear computes otherwise than the 1x1 Conv2D"]
    save_file({"fc." + k: v.detach().numpy() for k, v in linear.state_dict().items()},
              os.path.join(out, "pointwise.safetensors"))
    RESULTS["pointwise"] = {"problems": problems}


if __name__ == "__main__":
    OUT = sys.argv[1]
    os.makedirs(OUT, exist_ok=True)
    try:
        main(OUT)
        pointwise(OUT)
        flax_to_flat(OUT)
    except Exception:
        traceback.print_exc()
        sys.exit(1)
    with open(os.path.join(OUT, "heads.json"), "w") as f:
        json.dump(RESULTS, f, indent=1)
