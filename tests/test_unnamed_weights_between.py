"""Layers that fit, around a layer whose weights no side names (held-out 18: a Keras 3 custom layer of three
square weights, ``layers/mixer/vars/0..2``, between two Dense layers, into a PyTorch twin whose ``nn.ParameterDict``
calls them ``a``, ``b``, ``c``). No role says which square weight is which, so the three fit nothing, and two of
five units fitting looked like a few matches held in place by gaps: the Dense layers were left ambiguous too. The
three stand in the same place with the same shapes on both sides, so the two sequences agree: the Dense layers
pair, the square weights stay a question. Keras writes the file (in a child process); the printed fix, run as
printed, is checked against Keras' own values."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ckpt_doctor  # noqa: E402

KERAS = textwrap.dedent("""\
    import os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np, keras

    class Mixer(keras.layers.Layer):
        def build(self, shape):
            self.ws = [self.add_weight(shape=(16, 16), name=f"w{i}") for i in range(3)]

        def call(self, x):
            return x @ self.ws[0] + keras.ops.tanh(x @ self.ws[1]) @ self.ws[2]

    keras.utils.set_random_seed(0)
    x_in = keras.Input((12,))
    d1, mixer, d2 = keras.layers.Dense(16), Mixer(name="mixer"), keras.layers.Dense(4)
    m = keras.Model(x_in, d2(mixer(d1(x_in))))
    m.save_weights(os.path.join(sys.argv[1], "mixer.weights.h5"))
    np.savez(os.path.join(sys.argv[1], "values.npz"), k1=d1.kernel.numpy(), b1=d1.bias.numpy(),
             k2=d2.kernel.numpy(), b2=d2.bias.numpy())
    """)


class Twin(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(12, 16)
        self.mix = torch.nn.ParameterDict({k: torch.nn.Parameter(torch.zeros(16, 16)) for k in ("a", "b", "c")})
        self.head = torch.nn.Linear(16, 4)


def test_layers_around_unnamed_square_weights_pair_and_the_weights_stay_a_question(tmp_path):
    subprocess.run([sys.executable, "-c", KERAS, str(tmp_path)], check=True, timeout=300,
                   env=dict(os.environ, KERAS_BACKEND="tensorflow"))
    a = ckpt_doctor.align(str(tmp_path / "mixer.weights.h5"), Twin())
    assert {p.model: (p.checkpoint, p.transform) for p in a.pairs} == {
        "proj.weight": ("layers/dense/vars/0", "transpose"), "proj.bias": ("layers/dense/vars/1", None),
        "head.weight": ("layers/dense_1/vars/0", "transpose"), "head.bias": ("layers/dense_1/vars/1", None)}
    assert sorted(x.model for x in a.ambiguous) == ["mix.a", "mix.b", "mix.c"]
    keras_values = np.load(tmp_path / "values.npz")
    model = Twin()
    exec(a.torch_code(), {"model": model})
    got = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    assert np.array_equal(got["proj.weight"], keras_values["k1"].T) and np.array_equal(got["proj.bias"],
                                                                                         keras_values["b1"])
    assert np.array_equal(got["head.weight"], keras_values["k2"].T) and np.array_equal(got["head.bias"],
                                                                                         keras_values["b2"])
    assert all(not got[f"mix.{k}"].any() for k in "abc")  # (not applied: still the twin's zeros)
