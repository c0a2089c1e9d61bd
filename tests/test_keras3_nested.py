"""A Keras 3 file holding the model as a nested model (a detector's ``.weights.h5`` for its backbone alone, and the
backbone's file for the detector). Keras 3 loads by path from the top, and the detector's head layers have the
backbone's paths (``layers/conv2d_1``): loading by path takes the head's values wherever shapes agree. ``align``
pairs by the nesting instead; the repaired ``.weights.h5`` it writes, and the fix it prints (run verbatim), give a
fresh backbone exactly the detector's backbone values, as Keras itself shows (tests/nested_oracle.py, subprocesses)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from oracle_run import run_oracle  # tests/ is on sys.path (no package)

import ckpt_doctor


def _oracle(*args: str) -> str:
    return run_oracle("nested_oracle.py", *args)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("nested")
    _oracle(str(out), "write")
    return out


def test_a_detector_file_restores_its_backbone_alone_by_the_nesting(files):
    before = json.loads(_oracle(str(files), "load", str(files / "det.weights.h5")))
    assert not all(before["equal"].values())  # Keras 3 by path: the head's values, or an error
    a = ckpt_doctor.align(str(files / "det.weights.h5"), str(files / "backbone.spec.json"))
    assert not a.missing and not a.ambiguous
    assert all(p.checkpoint.startswith("layers/functional/") for p in a.pairs)
    out = files / "fixed.weights.h5"
    from ckpt_doctor.restore.rewrite import rewrite_aligned

    rewrite_aligned(a, str(out))
    after = json.loads(_oracle(str(files), "load", str(out)))
    assert after["raised"] is None and all(after["equal"].values()), after
    code = files / "fix.py"  # the fix diagnose and align print, run verbatim against a fresh backbone
    code.write_text(a.tf2_assign_code())
    fixed = json.loads(_oracle(str(files), "fix", str(code)))
    assert fixed["raised"] is None and all(fixed["equal"].values()), fixed


def test_a_backbone_file_pairs_with_the_detector_nesting_it(files):
    a = ckpt_doctor.align(str(files / "bb.weights.h5"), str(files / "detector.spec.json"))
    spec = json.loads((files / "detector.spec.json").read_text())
    nested = {v["name"] for v in spec["variables"] if v["keys"]["keras3"].startswith("layers/functional/")}
    assert {p.model for p in a.pairs} == nested  # the head is new, none of it takes a backbone value
    assert set(a.missing) == {v["name"] for v in spec["variables"]} - nested and not a.unused
