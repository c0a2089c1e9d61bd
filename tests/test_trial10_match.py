"""What the tenth new user found inside match/ (/work/coord/trial10-match-findings.py), fixed; each test fails on
the code before its fix. tf-keras writes the file and describes the model, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import ckpt_doctor

_WRITE = """
import numpy as np, tf_keras as keras
from ckpt_doctor.model import load_model
def model(first):
    i = keras.Input((4,))
    x = keras.layers.Dense(8, activation="relu", name=first)(i)
    return keras.Model(i, keras.layers.Dense(3, name="head")(x))
old = model("hidden"); old.save_weights("w.h5")
load_model(model("encoder_hidden")).save("spec.json")
"""


def test_rules_rename_the_layers_a_by_name_keras_load_pairs_by(tmp_path):
    # F3: tf-keras' load_weights(by_name=True) pairs a file's values by the layer group they sit in; under a rule
    # that renames the layer (`hidden/` -> `encoder_hidden/`, the user's fix for a layer renamed in code) the
    # values are the renamed layer's, so diagnose --rules finds every value (before: the renamed layer was listed
    # both as a variable with no value and as values nobody takes)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_USE_LEGACY_KERAS": "1",
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src")}
    done = subprocess.run([sys.executable, "-c", _WRITE], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    rules = tmp_path / "rules.yaml"
    rules.write_text('format: ckpt-doctor-rules\nversion: 1\nrules:\n  - prefix: {from: "hidden/", to: '
                     '"encoder_hidden/"}\n')
    d = ckpt_doctor.diagnose(str(tmp_path / "w.h5"), str(tmp_path / "spec.json"), load_with="keras-h5-by-name",
                             rules=str(rules))
    assert d.ok, d.summary()
    without = ckpt_doctor.diagnose(str(tmp_path / "w.h5"), str(tmp_path / "spec.json"), load_with="keras-h5-by-name")
    assert not without.ok  # the renamed layer keeps its initial values without the rule
