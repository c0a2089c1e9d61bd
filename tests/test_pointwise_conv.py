"""A 1-D pointwise convolution (kernel size 1) is a dense layer: MLP-Mixer's token mixing written as PyTorch
``nn.Conv1d(k, k', 1)`` against Keras ``Dense`` (weight ``[out, in, 1]``, kernel ``[in, out]``). Before, no transform
related the two shapes and both sides' values went unpaired. (A 2-D 1x1 conv classifier against a Linear one stays a
rule file's matter: tests/test_align_heads.py.) The oracle is the model's output: torch
writes the file and computes, ckpt-doctor rewrites it for Keras 3, Keras loads it and computes the same numbers."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": os.path.join(os.path.dirname(__file__), "..", "src")}
ENV.pop("TF_USE_LEGACY_KERAS", None)

_TORCH = """
import sys, numpy as np, torch
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Conv1d(6, 4, 1), torch.nn.ReLU(), torch.nn.Conv1d(4, 3, 1))
torch.save(net.state_dict(), sys.argv[1] + "/mixer.pt")
x = np.random.default_rng(0).standard_normal((2, 6, 5)).astype(np.float32)  # [batch, channels, tokens]
np.savez(sys.argv[1] + "/io.npz", x=x, y=net(torch.from_numpy(x)).detach().numpy())
"""

_KERAS = """
import keras


def build():
    i = keras.Input((5, 6))  # [tokens, channels]: the conv's channels are the dense layers' features
    x = keras.layers.Dense(4, activation="relu", name="mix_in")(i)
    return keras.Model(i, keras.layers.Dense(3, name="mix_out")(x))
"""

_CHECK = """
import sys, numpy as np
sys.path.insert(0, sys.argv[1])
from build import build
model = build()
model.load_weights(sys.argv[1] + "/out.weights.h5")
io = np.load(sys.argv[1] + "/io.npz")
got = model(io["x"].transpose(0, 2, 1)).numpy().transpose(0, 2, 1)
print(float(np.abs(got - io["y"]).max()))
"""


def _run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=600, env=ENV)
    if done.returncode:
        pytest.fail(done.stdout[-2000:] + done.stderr[-3000:], pytrace=False)
    return done.stdout


def test_pointwise_convolutions_load_into_dense_layers_with_the_same_outputs(tmp_path):
    _run("-c", _TORCH, str(tmp_path))
    (tmp_path / "build.py").write_text(_KERAS)
    said = _run("-m", "ckpt_doctor", "align", str(tmp_path / "mixer.pt"), "--model", f"{tmp_path}/build.py:build",
                "--rewrite", str(tmp_path / "out.weights.h5"))
    assert "permute(2,1,0)+reshape(6,4)" in said, said
    assert float(_run("-c", _CHECK, str(tmp_path)).split()[-1]) < 1e-5
