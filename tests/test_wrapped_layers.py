"""tf-keras models wrapped by tensorflow-model-optimization (prune_low_magnitude, quantize_model): the wrappers
list a layer's weights once more in tf-keras' saving walk. Describing such a model raised KeyError 'keras-h5'
(found by the thirteenth held-out part's builder); now its spec is made, and it agrees with what tf-keras writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import ckpt_doctor

_CHILD = r"""
import sys, tf_keras as keras, tensorflow_model_optimization as tfmot
from ckpt_doctor.model import load_model
wrap = {"prune": tfmot.sparsity.keras.prune_low_magnitude, "quantize": tfmot.quantization.keras.quantize_model}
m = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, name="c"), keras.layers.Flatten(),
                      keras.layers.Dense(2, name="d")])
w = wrap[sys.argv[1]](m)
w.save_weights("w.h5")
w.save_weights("ckpt/w")
load_model(w).save("spec.json")
"""


@pytest.mark.parametrize("wrapper", ["prune", "quantize"])
def test_a_model_under_tfmot_wrappers_is_described_and_loads_its_own_files(tmp_path, wrapper):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_USE_LEGACY_KERAS": "1"}
    done = subprocess.run([sys.executable, "-c", _CHILD, wrapper], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    spec = json.loads((tmp_path / "spec.json").read_text())
    assert any(v["name"] == "c/kernel" for v in spec["variables"])
    for path in ("w.h5", "ckpt"):  # tf-keras' own files of the model: every weight loads
        d = ckpt_doctor.diagnose(str(tmp_path / path), str(tmp_path / "spec.json"))
        assert d.ok, (path, d.summary())
