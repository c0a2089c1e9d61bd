"""A dense layer after a flattened convolution map reads its inputs channels-last in Keras and channels-first in
PyTorch (trial11 M3: align paired a VGG-style classifier by a plain transpose without a word, and restore() said every
weight was verified while the outputs differed by 2-4). The plain transpose is right for a PyTorch model that makes
the map channels-last first (tests/test_cross_framework.py), which no file tells from one that does not: the pair
stands, with a caution that gives the other transform; that one, applied as written, gives Keras' outputs here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": os.path.join(os.path.dirname(__file__), "..", "src")}
ENV.pop("TF_USE_LEGACY_KERAS", None)

_TWIN = """
import sys, numpy as np, torch, keras, ckpt_doctor
from ckpt_doctor.formats import open_checkpoint
from ckpt_doctor.match.rules import apply_transform
d = sys.argv[1]
keras.utils.set_random_seed(3)
inp = keras.Input((8, 8, 3))
x = keras.layers.Conv2D(4, 3, padding="same", name="conv")(inp)
k = keras.Model(inp, keras.layers.Dense(6, name="fc1")(keras.layers.Flatten()(x)))
k.save_weights(d + "/k.weights.h5")


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.fc1 = torch.nn.Linear(256, 6)

    def forward(self, x):
        return self.fc1(self.conv(x.permute(0, 3, 1, 2)).flatten(1))  # channels-first, as PyTorch flattens


t = Net().eval()
a = ckpt_doctor.align(d + "/k.weights.h5", t)
(said,) = [s for s in a.sentences if "flattened convolution map" in s]
print("CAUTION", said)
op = said.rsplit("`", 2)[-2]  # the transform for a model that flattens channels-first
f = open_checkpoint(d + "/k.weights.h5")
kernel = next(v for n, v in f.items() if "fc1" in (v.full_name or n) and v.shape == (256, 6)).read()
with torch.no_grad():
    for p in a.pairs:
        if p.model == "fc1.weight":
            continue
        getattr(t, p.model.split(".")[0]).get_parameter(p.model.split(".")[1]).copy_(
            torch.from_numpy(apply_transform(p.transform, f[p.checkpoint].read()) if p.transform
                             else f[p.checkpoint].read()))
    t.fc1.weight.copy_(torch.from_numpy(apply_transform(op, kernel)))
    x = np.random.default_rng(0).standard_normal((2, 8, 8, 3)).astype("float32")
    print("DIFF", float(np.abs(t(torch.tensor(x)).numpy() - np.asarray(k(x))).max()))
"""


def test_a_dense_layer_after_a_flattened_map_comes_with_the_channels_first_transform(tmp_path):
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(_TWIN), str(tmp_path)], capture_output=True,
                          text=True, timeout=600, env=ENV)
    if done.returncode:
        pytest.fail(done.stdout[-2000:] + done.stderr[-3000:], pytrace=False)
    said = done.stdout
    assert re.search(r"CAUTION `fc1\.weight` takes .*4 channels x 64 positions", said), said
    assert float(said.split("DIFF")[-1].split()[0]) < 1e-5, said
