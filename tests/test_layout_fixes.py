"""Fixes and rewrites across frameworks, run by the real framework (tests/layout_fixes_oracle.py, one subprocess
per framework, started together):

- a TF1 graph from a PyTorch-written ``.pt`` (every kernel permuted, transposed or reshaped) and from a TF bundle
  mixing PyTorch layouts with values a Saver takes as they are: the printed fix, pasted, restores every value
  bit-equal (a Saver alone restores by name and fails on the shapes);
- ``align --rewrite OUT.weights.h5`` (and ``--to keras3``) for a Keras 3 model, from a PyTorch ``.pt`` and from a
  TF1 bundle under another scope: Keras 3's own ``model.load_weights(OUT)`` gives every variable its value; the
  printed fix for the same pairs, pasted, does too;
- a PyTorch model from a tf-keras ``.h5`` (conv permuted, dense transposed, a one-unit head reshaped) and from a
  Hugging Face style checkpoint (``bert.`` prefix, a ``cls.`` head, LayerNorm ``gamma``/``beta``): the printed
  fix, pasted, loads every value bit-equal; so do a partitioned TF1 variable (from a ``.pt``, and from a Saver
  bundle under a renamed scope), a tf-keras model from the PyTorch file and a TF1 graph from a
  Keras 3 ``.weights.h5``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SRC = str(HERE.parent / "src")
FAMILIES = ("tf1", "keras3", "torch")


@pytest.fixture(scope="module")
def oracle(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("layout_fixes")
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    procs = {family: subprocess.Popen([sys.executable, str(HERE / "layout_fixes_oracle.py"), str(out), family],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for family in FAMILIES}
    results = {}
    for family, proc in procs.items():
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{family} oracle failed:\n{err[-3000:]}"
        results.update(json.loads((out / f"{family}.json").read_text()))
    return results


@pytest.mark.parametrize("sid", ["tf1-from-pytorch-pt", "tf1-from-tf-bundle-with-pytorch-layouts",
                                 "tf1-adam-from-tf-bundle-with-pytorch-layouts", "tf1-partitioned-from-pytorch-pt"])
def test_tf1_fix_with_layout_changes_restores_every_value(oracle, sid):
    r = oracle[sid]
    assert not r["problems"], r["problems"] + [r["code"]]
    assert "value = TRANSFORMS[name](value)" in r["code"]


def test_tf1_saver_fix_restores_a_partitioned_variable_under_a_renamed_scope(oracle):
    r = oracle["tf1-partitioned-renamed-scope"]  # the Saver fix and its init_from_checkpoint alternative
    assert not r["problems"], r["problems"] + [r["code"]]


def test_tf1_fix_keeps_the_saver_for_what_a_saver_can_take(oracle):
    code = oracle["tf1-from-tf-bundle-with-pytorch-layouts"]["code"]
    assert "saver.restore(sess, CHECKPOINT)" in code and "init_from_checkpoint" not in code
    assert "saver" not in oracle["tf1-from-pytorch-pt"]["code"].lower().replace("saver reads", "")


@pytest.mark.parametrize("sid", ["keras3-rewrite-from-pytorch-pt", "keras3-rewrite-from-tf1-bundle",
                                 "keras3-fix-from-pytorch-pt", "keras3-fix-from-tf1-bundle"])
def test_keras3_weights_h5_from_align_rewrite_load_with_keras(oracle, sid):
    r = oracle[sid]
    assert not r["problems"], r["problems"] + [r.get("output") or r.get("code")]


def test_rewrite_to_keras3_with_names_that_are_no_paths_says_what_to_do(tmp_path, capsys):
    import numpy as np

    from ckpt_doctor.cli import main

    np.savez(tmp_path / "w.npz", **{"dense/kernel": np.ones((2, 3), "float32")})
    rc = main(["rewrite", str(tmp_path / "w.npz"), "-o", str(tmp_path / "out.weights.h5")])
    err = capsys.readouterr().err
    assert rc == 2 and "--rewrite OUT.weights.h5" in err and "'dense/kernel'" in err, err
    assert not (tmp_path / "out.weights.h5").exists()


@pytest.mark.parametrize("sid", ["torch-from-tfkeras-h5", "torch-hf-style-prefix-head-gamma-beta",
                                 "tfkeras-from-pytorch-pt", "tf1-from-keras3-weights-h5"])
def test_more_framework_pairs_restore_every_value_by_the_printed_fix(oracle, sid):
    r = oracle[sid]
    assert not r["problems"], r["problems"] + [r["code"]]


def test_keras3_output_not_named_weights_h5_gets_a_note(tmp_path):
    import numpy as np

    from ckpt_doctor import rewrite

    np.savez(tmp_path / "w.npz", **{"layers/dense/vars/0": np.ones((2, 3), "float32")})
    odd = rewrite(str(tmp_path / "w.npz"), None, tmp_path / "out.w", to="keras3")
    assert any("ends in .weights.h5" in n for n in odd.notes) and odd.written is not None
    plain = rewrite(str(tmp_path / "w.npz"), None, tmp_path / "out.weights.h5")
    assert not any("ends in .weights.h5" in n for n in plain.notes)
