"""A Keras 3 ``MultiHeadAttention`` into a PyTorch twin with four Linear projections (held-out 15: Keras writes the
layer's sublayers in their names' order, ``key_dense``, ``output_dense``, ``query_dense``, ``value_dense``; the
twin creates ``q``, ``k``, ``v``, ``o``). The four fit one another alike, so order could not pair them, and the
renamings tied: 12 of 19 variables were left at their initializer. Order leaves them open, their own words tell
them apart (``q`` is the initial of ``query``): they pair, each kernel split into heads moved into the Linear
layout. Keras writes the file (in a child process); the outputs of both models are the oracle."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ckpt_doctor  # noqa: E402


def _script(top: str, name: str) -> str:
    """A Keras functional model (input, a Dense, a MultiHeadAttention ``a`` over ``h``, then ``top``, which ends in
    ``y``) saved as ``name`` with one input and its output."""
    return textwrap.dedent("""\
        import os, sys
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        import numpy as np, keras
        keras.utils.set_random_seed(0)
        x_in = keras.Input((5, 12))
        h = keras.layers.Dense(16)(x_in)
        a = keras.layers.MultiHeadAttention(num_heads=2, key_dim=8)(h, h)
        """) + textwrap.dedent(top) + textwrap.dedent(f"""\
        x = np.random.default_rng(1).standard_normal((2, 5, 12)).astype("float32")
        m.save_weights(os.path.join(sys.argv[1], "{name}"))
        np.savez(os.path.join(sys.argv[1], "io.npz"), x=x, y=np.asarray(m(x)))
        """)


KERAS = _script("""\
    y = keras.layers.Dense(4)(a)
    m = keras.Model(x_in, y)
    """, "attn.weights.h5")


def _keras(script: str, out) -> None:
    subprocess.run([sys.executable, "-c", script, str(out)], check=True, timeout=300,
                   env=dict(os.environ, KERAS_BACKEND="tensorflow"))


class Attn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = torch.nn.Linear(12, 16)
        self.q, self.k, self.v, self.o = (torch.nn.Linear(16, 16) for _ in range(4))
        self.out = torch.nn.Linear(16, 4)

    def attend(self, h):
        """Two heads of 8 over ``h``, through ``q``, ``k``, ``v`` and ``o``, as Keras' MultiHeadAttention computes."""
        b, t, _ = h.shape
        q, k, v = (f(h).view(b, t, 2, 8).transpose(1, 2) for f in (self.q, self.k, self.v))
        w = torch.softmax(q @ k.transpose(-1, -2) / 8 ** 0.5, dim=-1)
        return self.o((w @ v).transpose(1, 2).reshape(b, t, 16))

    def forward(self, x):
        return self.out(self.attend(self.inp(x)))


def _fix_reproduces_keras(a, model, out) -> None:
    """The printed torch fix, run as printed: the model's outputs are Keras' on the same input."""
    exec(a.torch_code(), {"model": model})
    io = np.load(out / "io.npz")
    with torch.no_grad():
        y = model(torch.from_numpy(io["x"])).numpy()
    np.testing.assert_allclose(y, io["y"], rtol=1e-4, atol=1e-5)


def test_attention_projections_pair_by_their_words_and_the_printed_fix_reproduces_the_outputs(tmp_path):
    _keras(KERAS, tmp_path)
    model = Attn()
    a = ckpt_doctor.align(str(tmp_path / "attn.weights.h5"), model)
    paired = {p.model: p.checkpoint for p in a.pairs}
    for short, word in (("q", "query"), ("k", "key"), ("v", "value"), ("o", "output")):
        assert paired[f"{short}.weight"] == f"layers/multi_head_attention/{word}_dense/vars/0", paired
    assert not a.missing and not a.ambiguous
    _fix_reproduces_keras(a, model, tmp_path)


# A Keras functional block into a PyTorch twin that creates its two norms together (held-out 15: ``norm1``,
# ``norm2`` created after the attention, before the feed-forward layers, as ``nn.TransformerEncoderLayer`` creates
# them next to each other): Keras lists each norm after the layer it follows, so the two sides group the norms with
# different weights, and those composites fit nothing. The norms were left at their initializer ("several
# renamings explain it equally well"). The units of one kind keep their order among themselves on both sides: the
# two norms pair in that order; and ``ff2``, grouped with the second norm by Keras and so left open too, is the one
# weight of its kind between two aligned ones on both sides (``ff1`` and ``out``): that order holds it in place. Keras
# writes the file (in a child process); the outputs of both models are the oracle, after the printed fix.

KERAS_ENCODER = _script("""\
    h = keras.layers.LayerNormalization()(h + a)
    f = keras.layers.Dense(16)(keras.layers.Dense(32, activation="relu")(h))
    h = keras.layers.LayerNormalization()(h + f)
    y = keras.layers.Dense(4)(h)
    m = keras.Model(x_in, y)
    rng = np.random.default_rng(2)
    for layer in m.layers:  # norms of their own values (not ones and zeros), so that a norm misplaced shows
        if isinstance(layer, keras.layers.LayerNormalization):
            layer.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in layer.get_weights()])
    """, "enc.weights.h5")


class Encoder(Attn):
    def __init__(self):  # (its own order of creation: the norms before the feed-forward layers, the head last)
        torch.nn.Module.__init__(self)
        self.inp = torch.nn.Linear(12, 16)
        self.q, self.k, self.v, self.o = (torch.nn.Linear(16, 16) for _ in range(4))
        self.norm1, self.norm2 = torch.nn.LayerNorm(16, eps=1e-3), torch.nn.LayerNorm(16, eps=1e-3)
        self.ff1, self.ff2 = torch.nn.Linear(16, 32), torch.nn.Linear(32, 16)
        self.out = torch.nn.Linear(16, 4)

    def forward(self, x):
        h = self.inp(x)
        h = self.norm1(h + self.attend(h))
        h = self.norm2(h + self.ff2(torch.relu(self.ff1(h))))
        return self.out(h)


def test_norms_created_together_pair_in_their_order_and_the_printed_fix_reproduces_the_outputs(tmp_path):
    _keras(KERAS_ENCODER, tmp_path)
    model = Encoder()
    a = ckpt_doctor.align(str(tmp_path / "enc.weights.h5"), model)
    paired = {p.model: p.checkpoint for p in a.pairs}
    for norm, keras_name in (("norm1", "layer_normalization"), ("norm2", "layer_normalization_1")):
        assert paired[f"{norm}.weight"] == f"layers/{keras_name}/vars/0", paired
        assert paired[f"{norm}.bias"] == f"layers/{keras_name}/vars/1", paired
    assert paired["ff2.weight"] == "layers/dense_2/vars/0", paired
    assert not a.missing and not a.ambiguous
    _fix_reproduces_keras(a, model, tmp_path)
