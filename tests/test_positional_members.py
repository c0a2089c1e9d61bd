"""Containers whose members one side names by position only (held-out 14: a Keras 3 sub-classed model with a
Sequential, a list and a dict of layers, saved as ``.keras``, into its PyTorch twin). Keras 3 stores the Sequential's
layers as ``encoder/layers/dense``, ``encoder/layers/dense_1``; PyTorch's Sequential as ``encoder.0``, ``encoder.2``
(a ReLU between); Keras' dict ``heads`` as ``heads/dense``, ``heads/dense_1`` against ``heads.cls``, ``heads.box``.
Each was a one-layer renaming sharing no word, ambiguous ("renamed, or replaced by a new layer?"): 4 of 14 variables
left at their initializer. The members of one container, all free, one for one and in the same order on both sides,
are aligned. Keras writes the file (in a child process); the outputs of both models are the oracle."""

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

    @keras.saving.register_keras_serializable(package="t")
    class Detector(keras.Model):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.encoder = keras.Sequential([keras.layers.Dense(24, activation="relu", name="inp"),
                                             keras.layers.Dense(16, name="proj")], name="encoder")
            self.blocks = [keras.layers.Dense(16, activation="relu") for _ in range(3)]
            self.heads = {"cls": keras.layers.Dense(5), "box": keras.layers.Dense(4)}

        def call(self, x):
            x = self.encoder(x)
            for b in self.blocks:
                x = b(x) + x
            return self.heads["cls"](x), self.heads["box"](x)

    m = Detector()
    x = np.random.default_rng(1).standard_normal((2, 12)).astype("float32")
    cls, box = m(x)
    m.save(os.path.join(sys.argv[1], "detector.keras"))  # the archive: weights and the layers' own names
    np.savez(os.path.join(sys.argv[1], "io.npz"), x=x, cls=np.asarray(cls), box=np.asarray(box))
    """)


class Detector(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.Sequential(torch.nn.Linear(12, 24), torch.nn.ReLU(), torch.nn.Linear(24, 16))
        self.blocks = torch.nn.ModuleList(torch.nn.Linear(16, 16) for _ in range(3))
        self.heads = torch.nn.ModuleDict({"cls": torch.nn.Linear(16, 5), "box": torch.nn.Linear(16, 4)})

    def forward(self, x):
        x = self.encoder(x)
        for b in self.blocks:
            x = torch.relu(b(x)) + x
        return self.heads["cls"](x), self.heads["box"](x)


def test_members_named_by_position_align_in_order(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
    env.pop("TF_USE_LEGACY_KERAS", None)
    done = subprocess.run([sys.executable, "-c", KERAS, str(tmp_path)], capture_output=True, text=True, timeout=600,
                          env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    model = Detector()
    a = ckpt_doctor.align(str(tmp_path / "detector.keras"), model)
    assert not a.ambiguous and not a.missing and not a.unused, (a.ambiguous, a.missing, a.unused)
    exec(a.torch_code(), {"model": model})  # the printed fix, as printed
    io = np.load(tmp_path / "io.npz")
    with torch.no_grad():
        cls, box = model(torch.tensor(io["x"]))
    assert np.allclose(cls.numpy(), io["cls"], atol=1e-5) and np.allclose(box.numpy(), io["box"], atol=1e-5)
