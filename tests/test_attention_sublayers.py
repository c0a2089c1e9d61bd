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


# A PyTorch decoder that creates its up-sampling layers as one list before the norm that sits between them
# (held-out 17: `up.0`, `up.1`, then `bn`) against a Keras 3 decoder that lists the norm after the layer it follows:
# Keras groups `conv2d_transpose` with the norm, PyTorch cannot, so that layer fits nothing as a composite and is the
# only one of its kind left. It stands between the same two pairs on both sides (`fc` / `dense` before it, `up.1` /
# `conv2d_transpose_1` after it): that place pairs it. The norm stays a question: PyTorch lists it after `up.1`,
# Keras before `conv2d_transpose_1`, so no place holds it.
DECODER = textwrap.dedent("""\
    import os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import keras
    keras.utils.set_random_seed(0)
    x_in = keras.Input((8,))
    h = keras.layers.Reshape((4, 4, 2))(keras.layers.Dense(32)(x_in))
    h = keras.layers.BatchNormalization()(keras.layers.Conv2DTranspose(6, 3, strides=2, padding="same")(h))
    h = keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same")(h)
    m = keras.Model(x_in, keras.layers.Conv2D(3, 3, padding="same")(h))
    m.save_weights(os.path.join(sys.argv[1], "decoder.weights.h5"))
    """)


class Decoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 32)
        self.up = torch.nn.ModuleList([torch.nn.ConvTranspose2d(2, 6, 3, 2), torch.nn.ConvTranspose2d(6, 4, 3, 2)])
        self.bn = torch.nn.BatchNorm2d(6)
        self.out = torch.nn.Conv2d(4, 3, 3)


def test_a_layer_left_alone_of_its_kind_pairs_where_it_stands_between_the_same_pairs(tmp_path):
    _keras(DECODER, tmp_path)
    model = Decoder()
    a = ckpt_doctor.align(str(tmp_path / "decoder.weights.h5"), model)
    paired = {p.model: (p.checkpoint, p.transform) for p in a.pairs}
    assert paired["up.0.weight"] == ("layers/conv2d_transpose/vars/0", "permute(3,2,0,1)"), paired
    assert paired["up.1.weight"][0] == "layers/conv2d_transpose_1/vars/0", paired
    assert {x.model for x in a.ambiguous} == {"bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"}
    exec(a.torch_code(), {"model": model})  # the printed fix, run as printed: the pairs it makes arrive
    values = ckpt_doctor.open_checkpoint(str(tmp_path / "decoder.weights.h5"))
    np.testing.assert_array_equal(model.up[0].weight.detach().numpy(),
                                  values["layers/conv2d_transpose/vars/0"].read().transpose(3, 2, 0, 1))
    np.testing.assert_array_equal(model.fc.weight.detach().numpy(), values["layers/dense/vars/0"].read().T)
