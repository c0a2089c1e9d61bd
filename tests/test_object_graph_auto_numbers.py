"""A tf_keras subclassed model saved by ``tf.train.Checkpoint`` (held-out 18): its object keys name a list of
Dense layers ``model/blocks/0``, ``model/blocks/1`` and a head ``model/out``; the variable names inside the object
graph are Keras' auto-numbers, ``text_net/dense``, ``dense_1``, ``dense_2``. Into a PyTorch twin (``mlp.0``,
``mlp.2`` of an nn.Sequential with ReLUs between, ``classifier``) the renamings tied. Without a written order the
auto-numbers order the family, but the family was gathered by the object keys (``blocks/0`` and ``blocks/1`` are
two families by that spelling) and a name-sorted file put each layer's ``bias`` before its ``kernel``, a unit of its
own: nothing aligned, 6 of 9 variables were left at their initializer. TensorFlow writes the file (in a child
process); the outputs of both models after the printed fix are the oracle."""

from __future__ import annotations

import os
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


class Twin(torch.nn.Module):
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
    subprocess.run([sys.executable, "-c", TF, str(tmp_path)], check=True, timeout=300,
                   env=dict(os.environ, TF_USE_LEGACY_KERAS="1"))
    a = ckpt_doctor.align(str(tmp_path / "ckpt"), Twin())
    got = {p.model: p.checkpoint.replace("/.ATTRIBUTES/VARIABLE_VALUE", "") for p in a.pairs}
    assert got == {"embedding.weight": "model/embed/embeddings", "conv.weight": "model/conv/kernel",
                   "conv.bias": "model/conv/bias", "mlp.0.weight": "model/blocks/0/kernel",
                   "mlp.0.bias": "model/blocks/0/bias", "mlp.2.weight": "model/blocks/1/kernel",
                   "mlp.2.bias": "model/blocks/1/bias", "classifier.weight": "model/out/kernel",
                   "classifier.bias": "model/out/bias"}, got
    assert not a.ambiguous and not a.missing
    model = Twin()
    exec(a.torch_code(), {"model": model})
    io = np.load(tmp_path / "io.npz")
    with torch.no_grad():
        y = model(torch.from_numpy(io["x"])).numpy()
    np.testing.assert_allclose(y, io["y"], rtol=1e-5, atol=1e-5)
