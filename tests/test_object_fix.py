"""The TF2 fix for a model known by object paths only (a ``tf.train.Checkpoint`` as the model, as tf-agents' users
restore networks and policies): it reaches each variable along its object path through the object graph
(``tf.train.TrackableView``), since such a model has no ``model.variables`` to assign by position. TensorFlow
writes the checkpoint and runs the printed fix verbatim (tests/object_fix_oracle.py, a subprocess)."""

from __future__ import annotations

import json

from oracle_run import run_oracle  # tests/ is on sys.path (no package)

import ckpt_doctor
from ckpt_doctor.match.fixes import fix_for


def _oracle(*args: str) -> str:
    return run_oracle("object_fix_oracle.py", *args)


def test_a_renamed_root_is_fixed_along_object_paths(tmp_path):
    _oracle(str(tmp_path), "write")
    a = ckpt_doctor.align(str(tmp_path / "ckpt-1"), str(tmp_path / "model.spec.json"))
    assert len(a.pairs) == 6 and not a.ambiguous and not a.missing
    fix = fix_for(a)
    assert "model.variables" not in fix.code
    (tmp_path / "fix.py").write_text(fix.code)
    held = json.loads(_oracle(str(tmp_path), "fix", str(tmp_path / "fix.py")))
    assert held == {f"{i}/{v}": True for i in range(3) for v in ("kernel", "bias")}, held
