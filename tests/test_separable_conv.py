"""A Keras ``SeparableConv2D`` into two PyTorch convolutions (held-out 15: a Keras 3 U-Net's `mid` into its torch
twin's `mid_dw` and `mid_pw`). Keras keeps the depthwise kernel, the pointwise kernel and the bias as one layer's
three values by position; PyTorch has two layers named after it. The depthwise kernel was "a single layer under
another name" and the rest unused: 3 values left at their initializer. Two free model layers named after the Keras
layer, one fitting the depthwise kernel and the other the pointwise kernel and the bias, take the three values.
Keras writes the file (in a child process); the outputs of both models after the printed fix are the oracle."""

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
    keras.utils.set_random_seed(0)
    x_in = keras.Input((9, 9, 3))
    h = keras.layers.Conv2D(8, 3, name="stem")(x_in)
    h = keras.layers.SeparableConv2D(16, 3, name="mid")(h)
    y = keras.layers.Dense(4, name="out")(keras.layers.GlobalAveragePooling2D()(h))
    m = keras.Model(x_in, y)
    for layer in m.layers:  # random biases too: one in the wrong place would show in the outputs
        layer.set_weights([np.random.default_rng(2).standard_normal(w.shape).astype("float32")
                           for w in layer.get_weights()])
    x = np.random.default_rng(1).standard_normal((2, 9, 9, 3)).astype("float32")
    m.save_weights(os.path.join(sys.argv[1], "sep.weights.h5"))
    np.savez(os.path.join(sys.argv[1], "io.npz"), x=x, y=np.asarray(m(x)))
    """)


class Sep(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 8, 3)
        self.mid_dw = torch.nn.Conv2d(8, 8, 3, groups=8, bias=False)
        self.mid_pw = torch.nn.Conv2d(8, 16, 1)
        self.out = torch.nn.Linear(16, 4)

    def forward(self, x):
        h = self.mid_pw(self.mid_dw(self.stem(x.permute(0, 3, 1, 2))))
        return self.out(h.mean(dim=(2, 3)))


def test_a_separable_convolution_pairs_with_the_two_convolutions_named_after_it(tmp_path):
    subprocess.run([sys.executable, "-c", KERAS, str(tmp_path)], check=True, timeout=300,
                   env=dict(os.environ, KERAS_BACKEND="tensorflow"))
    model = Sep()
    a = ckpt_doctor.align(str(tmp_path / "sep.weights.h5"), model)
    paired = {p.model: p.checkpoint for p in a.pairs}
    # (Keras 3 keys the file by the layers' classes; each value records its layer's own name, `mid`)
    assert [paired[f"mid_{x}"] for x in ("dw.weight", "pw.weight", "pw.bias")] == [
        f"layers/separable_conv2d/vars/{i}" for i in range(3)]
    assert not a.missing and not a.ambiguous and not a.unused
    exec(a.torch_code(), {"model": model})
    io = np.load(tmp_path / "io.npz")
    with torch.no_grad():
        y = model(torch.from_numpy(io["x"])).numpy()
    np.testing.assert_allclose(y, io["y"], rtol=1e-4, atol=1e-4)
