"""Fixes and rewrites across frameworks, run by the real framework (tests/layout_fixes_oracle.py, one subprocess
per framework, started together):

- a TF1 graph from a PyTorch-written ``.pt`` (every kernel permuted, transposed or reshaped) and from a TF bundle
  mixing PyTorch layouts with values a Saver takes as they are: the printed fix, pasted, restores every value
  bit-equal (a Saver alone restores by name and fails on the shapes).
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
FAMILIES = ("tf1",)


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


@pytest.mark.parametrize("sid", ["tf1-from-pytorch-pt", "tf1-from-tf-bundle-with-pytorch-layouts"])
def test_tf1_fix_with_layout_changes_restores_every_value(oracle, sid):
    r = oracle[sid]
    assert not r["problems"], r["problems"] + [r["code"]]
    assert "v.load(TRANSFORMS[v.op.name](value)" in r["code"]


def test_tf1_fix_keeps_the_saver_for_what_a_saver_can_take(oracle):
    code = oracle["tf1-from-tf-bundle-with-pytorch-layouts"]["code"]
    assert "saver.restore(sess, CHECKPOINT)" in code and "init_from_checkpoint" not in code
    assert "saver" not in oracle["tf1-from-pytorch-pt"]["code"].lower().replace("saver reads", "")
