"""A tf-keras model nested as a layer of a new model, restored from the old model's TF checkpoint (a SavedModel's
``variables/``, ``save_weights`` in the TF format; basic-pitch's shipped model with a norm put before it). The object
graph names layers by their place among those with weights: the new norm is ``layer_with_weights-0``, the old model
``layer_with_weights-1/``. tf-keras' own ``load_weights`` gives the new norm the old model's first norm (one channel
each) and the nested model nothing. ``align`` reads the nesting instead, and the fix it prints, run verbatim, gives
the nested model every value and leaves the new norm as built (tests/object_nested_oracle.py, subprocesses)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from oracle_run import run_oracle  # tests/ is on sys.path (no package)

import ckpt_doctor


def _oracle(*args: str) -> str:
    return run_oracle("object_nested_oracle.py", *args, legacy=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("object_nested")
    _oracle(str(out), "write")
    return out


def test_a_model_nested_in_a_new_one_takes_its_values_by_the_nesting_and_the_fix_runs(files):
    before = json.loads(_oracle(str(files), "load", str(files / "base" / "ckpt")))
    assert not any(before["equal"]) and not before["new_layer_kept"]  # tf-keras: the norm's value in the new norm
    d = ckpt_doctor.diagnose(str(files / "base" / "ckpt"), str(files / "wrapped.spec.json"))
    assert len(d.weights("loaded")) == 4  # what the restore does: the coinciding path, `layer_with_weights-0`
    a = ckpt_doctor.align(str(files / "base" / "ckpt"), str(files / "wrapped.spec.json"))
    spec = json.loads((files / "wrapped.spec.json").read_text())
    names = [v["name"] for v in spec["variables"]]
    assert {p.model for p in a.pairs} == set(names[4:]) and set(a.missing) == set(names[:4]), a.pairs
    assert not a.ambiguous and not a.unused
    assert any("nests the file's model under `layer_with_weights-1/`" in s for s in a.sentences), a.sentences
    code = files / "fix.py"
    code.write_text(a.tf2_assign_code())
    fixed = json.loads(_oracle(str(files), "fix", str(code)))
    assert fixed["raised"] is None and all(fixed["equal"]) and fixed["new_layer_kept"], fixed
