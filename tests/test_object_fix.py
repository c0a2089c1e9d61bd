"""The TF2 fix for a model known by object paths only (a ``tf.train.Checkpoint`` as the model, as tf-agents' users
restore networks and policies): it reaches each variable along its object path through the object graph
(``tf.train.TrackableView``), since such a model has no ``model.variables`` to assign by position. TensorFlow
writes the checkpoint and runs the printed fix verbatim (tests/object_fix_oracle.py, a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ckpt_doctor
from ckpt_doctor.match.fixes import fix_for

HERE = Path(__file__).resolve().parent


def _oracle(*args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src"), "PYTHONHASHSEED": "0"}
    env.pop("TF_USE_LEGACY_KERAS", None)
    proc = subprocess.run([sys.executable, str(HERE / "object_fix_oracle.py"), *args], env=env, capture_output=True,
                          text=True, timeout=300)
    if proc.returncode != 0:
        pytest.fail(f"object_fix_oracle.py {args[1]} failed:\n{proc.stderr[-3000:]}", pytrace=False)
    return proc.stdout


def test_a_renamed_root_is_fixed_along_object_paths(tmp_path):
    _oracle(str(tmp_path), "write")
    a = ckpt_doctor.align(str(tmp_path / "ckpt-1"), str(tmp_path / "model.spec.json"))
    assert len(a.pairs) == 6 and not a.ambiguous and not a.missing
    fix = fix_for(a)
    assert "model.variables" not in fix.code
    (tmp_path / "fix.py").write_text(fix.code)
    held = json.loads(_oracle(str(tmp_path), "fix", str(tmp_path / "fix.py")))
    assert held == {f"{i}/{v}": True for i in range(3) for v in ("kernel", "bias")}, held
