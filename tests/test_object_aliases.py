"""tf.train.Checkpoint restores through every path to a variable, shortest first: a Keras 3 optimizer lists the
model's trainable variables by position (``optimizer/_trainable_variables/N``), so restoring a training checkpoint
into a model with a layer frozen or inserted sends values to other variables, silently or with a ValueError. The
oracle is TensorFlow's own restore (tests/object_aliases_oracle.py), which says what every weight ended with."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys

import pytest

import ckpt_doctor
from ckpt_doctor.cli import main
from ckpt_doctor.match.compare import CROSSED, LOADED, SHAPE_MISMATCH

# (TensorFlow runs in the child only: the test process stays free of it, as tests/test_diagnose.py checks)
if importlib.util.find_spec("tensorflow") is None or importlib.util.find_spec("keras") is None:
    pytest.fail("tests/test_object_aliases.py needs TensorFlow and Keras 3 (make .venv/.dev installs them)",
                pytrace=False)

ORACLE = os.path.join(os.path.dirname(__file__), "object_aliases_oracle.py")
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
ENV.pop("TF_USE_LEGACY_KERAS", None)


def _tf(d, case, remedy=""):
    done = subprocess.run([sys.executable, ORACLE, str(d), case, remedy], env=ENV, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return tmp_path_factory.mktemp("aliases")


def _by_keras_path(diagnosis):
    """{Keras path of the model weight (``d3/kernel``): its result}: the spec names Keras 3 variables by path."""
    return {r.variable.name: r for r in diagnosis.weights()}


def test_frozen_layer_values_cross_as_tensorflow_restores_them(run):
    tf_says = _tf(run, "frozen")
    assert tf_says["error"] is None  # silently: TensorFlow restores, into the wrong variables
    assert tf_says["ended"]["d3/kernel"] == "d2/kernel" and tf_says["ended"]["d2/kernel"] is None
    diagnosis = ckpt_doctor.diagnose(str(run / "old"), str(run / "frozen.json"))
    results = _by_keras_path(diagnosis)
    for name, source in tf_says["ended"].items():
        r = results[name]
        if source is None:
            assert r.status not in (LOADED, CROSSED), (name, r.status)
        else:
            assert r.status in (LOADED, CROSSED) and r.entry.full_name == source, (name, r.status, r.entry)
            assert (r.status == CROSSED) == (source != name), name
    assert not diagnosis.ok and diagnosis.failure is None
    assert "4 get a value saved for another variable" in diagnosis.summary()
    assert any("Restore the model alone" in n for n in diagnosis.notes)


def test_inserted_layer_raises_where_tensorflow_raises(run):
    tf_says = _tf(run, "bn")
    shown = re.search(r"shape \((.*?)\) when attempting to restore variable with shape \((.*?)\) and name (\S+):0",
                      tf_says["error"])
    assert shown, tf_says["error"]
    diagnosis = ckpt_doctor.diagnose(str(run / "old"), str(run / "bn.json"))
    assert "ValueError" in (diagnosis.failure or "")
    r = _by_keras_path(diagnosis)[shown[3]]  # bn/gamma: before, "missing" (no path of its own in the file)
    assert r.status == SHAPE_MISMATCH and r.through == "optimizer/_trainable_variables/6"
    assert tuple(r.entry.shape) == tuple(int(x) for x in shown[1].split(",") if x.strip())


@pytest.mark.parametrize("remedy", ["model-only", "unbuilt"])
def test_the_remedies_the_note_gives_restore_every_weight_its_own_value(run, remedy):
    _tf(run, "frozen")  # the checkpoint
    tf_says = _tf(run, "frozen", remedy)
    assert tf_says["error"] is None
    assert tf_says["ended"] == {name: name for name in tf_says["ended"]}


def test_the_printed_fix_restores_every_weight_its_own_value(run, capsys):
    _tf(run, "frozen")
    main(["diagnose", str(run / "old"), "--model", str(run / "frozen.json")])
    text = capsys.readouterr().out
    fix = text[text.index("Fix (TF2 / Keras):"):].splitlines()[1:]
    (run / "fix.py").write_text("\n".join(line[2:] for line in fix if line.startswith("  ")) + "\n")
    try:
        tf_says = _tf(run, "frozen")
    finally:
        (run / "fix.py").unlink()
    assert tf_says["error"] is None
    assert tf_says["ended"] == {name: name for name in tf_says["ended"]}


_BUILDER = """
import keras, tensorflow as tf


def build():  # the oracle's model with its second layer frozen, and a built optimizer
    i = keras.Input((4,))
    x = i
    for name in ("d1", "d2", "d3", "out"):
        x = keras.layers.Dense(8, name=name, trainable=name != "d2")(x)
    new = keras.Model(i, x)
    opt = keras.optimizers.Adam()
    new.compile(opt, "mse")
    opt.build(new.trainable_variables)
    return tf.train.Checkpoint(model=new, optimizer=opt)
"""


def test_restore_check_finds_variables_the_optimizer_reaches_first(run):
    # restore-check of a tf.train.Checkpoint(model=..., optimizer=...) builder raised "cannot find the live
    # variables behind d1/kernel ...": its walk kept each variable's first path, the optimizer's, not the model's
    _tf(run, "frozen")
    (run / "builder.py").write_text(_BUILDER)
    done = subprocess.run([sys.executable, "-m", "ckpt_doctor", "restore-check", str(run / "old"), "--model",
                           f"{run / 'builder.py'}:build"], capture_output=True, text=True, timeout=600, env=ENV)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "all 8 model weights restored and verified" in done.stdout
