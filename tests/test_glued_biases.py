"""A hand-written TF2 module names a layer's raw variables after the layer, its roles glued on with ``_``
(held-out 17's ``decoder/mix`` + ``decoder/mix_b``, held-out 18's ``net/fusion`` + ``net/fusion_b``, held-out 19's
``net/trunk_w`` + ``net/trunk_b``). Read as two layers, ``fusion`` and ``fusion_b``, neither fitted the model's
``fusion`` layer and both values went unused. A vector ``X_b`` beside a matrix ``X`` (or ``X_w``) with its length as
an axis is now layer ``X``'s bias, the matrix its kernel.
TensorFlow writes the file (in a child process); the PyTorch twin's output after the printed fix is the oracle."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ckpt_doctor  # noqa: E402

TF = textwrap.dedent("""\
    import os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np, tensorflow as tf

    rng = np.random.default_rng(0)
    def var(*shape):
        return tf.Variable(rng.standard_normal(shape).astype("float32"))

    class Net(tf.Module):
        def __init__(self):
            super().__init__()
            self.encoders = [{"w": var(12, 16), "b": var(16)}, {"w": var(16, 16), "b": var(16)}]
            self.fusion, self.fusion_b = var(16, 8), var(8)
            self.trunk_w, self.trunk_b = var(8, 6), var(6)
            self.scale = var(6)

        def __call__(self, x):
            for layer in self.encoders:
                x = tf.nn.relu(x @ layer["w"] + layer["b"])
            x = x @ self.fusion + self.fusion_b
            return (x @ self.trunk_w + self.trunk_b) * self.scale

    net = Net()
    x = rng.standard_normal((3, 12)).astype("float32")
    tf.train.Checkpoint(net=net).write(os.path.join(sys.argv[1], "ckpt"))
    np.savez(os.path.join(sys.argv[1], "io.npz"), x=x, y=net(x).numpy())
    """)


class Twin(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoders = torch.nn.ModuleList([torch.nn.Linear(12, 16), torch.nn.Linear(16, 16)])
        self.fusion = torch.nn.Linear(16, 8)
        self.trunk = torch.nn.Linear(8, 6)
        self.scale = torch.nn.Parameter(torch.zeros(6))

    def forward(self, x):
        for layer in self.encoders:
            x = torch.relu(layer(x))
        return self.trunk(self.fusion(x)) * self.scale


def test_a_raw_kernel_and_its_glued_bias_are_one_layer(tmp_path):
    subprocess.run([sys.executable, "-c", TF, str(tmp_path)], check=True, timeout=300)
    a = ckpt_doctor.align(str(tmp_path / "ckpt"), Twin())
    got = {p.model: (p.checkpoint.replace("/.ATTRIBUTES/VARIABLE_VALUE", ""), p.transform) for p in a.pairs}
    assert got["fusion.weight"] == ("net/fusion", "transpose") and got["fusion.bias"] == ("net/fusion_b", None)
    assert got["trunk.weight"] == ("net/trunk_w", "transpose") and got["trunk.bias"] == ("net/trunk_b", None)
    assert len(got) == 9 and not a.ambiguous and not a.missing and not a.unused, (got, a.ambiguous, a.missing)
    model = Twin()
    exec(a.torch_code(), {"model": model})
    io = np.load(tmp_path / "io.npz")
    with torch.no_grad():
        y = model(torch.from_numpy(io["x"])).numpy()
    np.testing.assert_allclose(y, io["y"], rtol=1e-5, atol=1e-5)
