"""TF2 checkpoints of hand-written models into their PyTorch twins (held-out 17, 18 and 19): TensorFlow writes the
file and the inputs and outputs (in a child process); the twin's outputs after the printed fix, run as printed, are
the oracle."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ckpt_doctor  # noqa: E402


def _write_and_align(script: str, tmp_path, twin, **env):
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True, timeout=300, env={**os.environ, **env})
    return ckpt_doctor.align(str(tmp_path / "ckpt"), twin())


def _check_outputs_after_fix(a, twin, tmp_path) -> None:
    model = twin()
    exec(a.torch_code(), {"model": model})
    io = np.load(tmp_path / "io.npz")
    with torch.no_grad():
        y = model(torch.from_numpy(io["x"])).numpy()
    np.testing.assert_allclose(y, io["y"], rtol=1e-5, atol=1e-5)


AUTO_NUMBERS = textwrap.dedent("""\
    import os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np, tensorflow as tf, tf_keras as keras

    class TextNet(keras.Model):
        def __init__(self):
            super().__init__(name="text_net")
            self.embed = keras.layers.Embedding(60, 12)
            self.conv = keras.layers.Conv1D(16, 3)
            self.blocks = [keras.layers.Dense(16, activation="relu") for _ in range(2)]
            self.out = keras.layers.Dense(4)

        def call(self, x):
            h = tf.reduce_mean(self.conv(self.embed(x)), axis=1)
            for block in self.blocks:
                h = block(h)
            return self.out(h)

    tf.random.set_seed(0)
    m = TextNet()
    x = np.random.default_rng(1).integers(0, 60, (2, 7))
    y = m(x).numpy()
    tf.train.Checkpoint(model=m).write(os.path.join(sys.argv[1], "ckpt"))
    np.savez(os.path.join(sys.argv[1], "io.npz"), x=x, y=y)
    """)


class TextTwin(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(60, 12)
        self.conv = torch.nn.Conv1d(12, 16, 3)
        self.mlp = torch.nn.Sequential(torch.nn.Linear(16, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16),
                                       torch.nn.ReLU())
        self.classifier = torch.nn.Linear(16, 4)

    def forward(self, x):
        h = self.conv(self.embedding(x).transpose(1, 2)).mean(dim=2)
        return self.classifier(self.mlp(h))


def test_an_object_graphs_auto_numbered_dense_layers_align_with_a_sequential(tmp_path):
    """A tf_keras sub-classed model saved by ``tf.train.Checkpoint`` (held-out 18): its object keys name a list of
    Dense layers ``model/blocks/0``, ``model/blocks/1`` and a head ``model/out``; the variable names inside the object
    graph are Keras' auto-numbers, ``text_net/dense``, ``dense_1``, ``dense_2``. Into a PyTorch twin (``mlp.0``,
    ``mlp.2`` of an nn.Sequential with ReLUs between, ``classifier``) the renamings tied. Without a written order the
    auto-numbers order the family, but the family was gathered by the object keys (``blocks/0`` and ``blocks/1`` are
    two families by that spelling) and a name-sorted file put each layer's ``bias`` before its ``kernel``, a unit of
    its own: nothing aligned, 6 of 9 variables were left at their initializer."""
    a = _write_and_align(AUTO_NUMBERS, tmp_path, TextTwin, TF_USE_LEGACY_KERAS="1")
    got = {p.model: p.checkpoint.replace("/.ATTRIBUTES/VARIABLE_VALUE", "") for p in a.pairs}
    assert got == {"embedding.weight": "model/embed/embeddings", "conv.weight": "model/conv/kernel",
                   "conv.bias": "model/conv/bias", "mlp.0.weight": "model/blocks/0/kernel",
                   "mlp.0.bias": "model/blocks/0/bias", "mlp.2.weight": "model/blocks/1/kernel",
                   "mlp.2.bias": "model/blocks/1/bias", "classifier.weight": "model/out/kernel",
                   "classifier.bias": "model/out/bias"}, got
    assert not a.ambiguous and not a.missing
    _check_outputs_after_fix(a, TextTwin, tmp_path)



GLUED = textwrap.dedent("""\
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


class FusionTwin(torch.nn.Module):
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
    """A hand-written TF2 module names a layer's raw variables after the layer, its roles glued on with ``_``
    (held-out 17's ``decoder/mix`` + ``decoder/mix_b``, held-out 18's ``net/fusion`` + ``net/fusion_b``, held-out
    19's ``net/trunk_w`` + ``net/trunk_b``). Read as two layers, ``fusion`` and ``fusion_b``, neither fitted the
    model's ``fusion`` layer and both values went unused. A vector ``X_b`` beside a matrix ``X`` (or ``X_w``) with
    its length as an axis is now layer ``X``'s bias, the matrix its kernel."""
    a = _write_and_align(GLUED, tmp_path, FusionTwin)
    got = {p.model: (p.checkpoint.replace("/.ATTRIBUTES/VARIABLE_VALUE", ""), p.transform) for p in a.pairs}
    assert got["fusion.weight"] == ("net/fusion", "transpose") and got["fusion.bias"] == ("net/fusion_b", None)
    assert got["trunk.weight"] == ("net/trunk_w", "transpose") and got["trunk.bias"] == ("net/trunk_b", None)
    assert len(got) == 9 and not a.ambiguous and not a.missing and not a.unused, (got, a.ambiguous, a.missing)
    _check_outputs_after_fix(a, FusionTwin, tmp_path)
