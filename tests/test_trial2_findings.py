"""What a second new user ran into (broken input, long names, spec files with typos; weights shipped in PyPI
packages: torchfcpe, pesto-pitch, sevenn), fixed outside match/. Each test fails on the code before its fix.

Checkpoints are written by ckpt-doctor's own writer only where the test is about the CLI's handling of names and
files; what PyTorch wrote and did comes from tests/trial2_oracle.py (one subprocess per module).
"""

from __future__ import annotations

import io
import json
import os
import pickle
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import ckpt_doctor
from ckpt_doctor.cli import main
from ckpt_doctor.demo import example_dir

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def oracle(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("trial2")
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    procs = {family: subprocess.Popen([sys.executable, str(HERE / "trial2_oracle.py"), str(out), family], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for family in ("torch", "tf")}
    results = {}
    for family, proc in procs.items():
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{family} oracle failed:\n{err[-3000:]}"
        results[family] = json.loads((out / f"{family}.json").read_text())
    return out, results


def _name_max(directory) -> int:
    return os.pathconf(directory, "PC_NAME_MAX")


def test_a_legal_long_output_name_is_written(tmp_path, capsys):
    """A 252-character `.safetensors` name is legal; the temporary name beside it was 26 characters longer."""
    src = tmp_path / "in.safetensors"
    ckpt_doctor.write_checkpoint({"w": np.arange(6, dtype=np.float32)}, str(src), "safetensors")
    out = tmp_path / ("L" * (_name_max(tmp_path) - 3 - len(".safetensors")) + ".safetensors")
    assert main(["rewrite", str(src), "-o", str(out)]) == 0, capsys.readouterr().err
    assert ckpt_doctor.open_checkpoint(str(out))["w"].read().tolist() == [0, 1, 2, 3, 4, 5]
    assert sorted(os.listdir(tmp_path)) == sorted(["in.safetensors", out.name])  # no temporary file left


def test_a_legal_long_manifest_name_is_written(tmp_path, capsys):
    out = tmp_path / ("M" * (_name_max(tmp_path) - 2))
    assert main(["verify", example_dir("seed"), "--manifest", str(out)]) == 0, capsys.readouterr().err
    assert json.loads(out.read_text())["tensors"].keys() == {"model_scope/bias", "model_scope/weight"}


@pytest.mark.parametrize("verb", ["verify", "spec"])
def test_an_unwritable_output_is_a_usage_error_not_an_internal_one(verb, tmp_path, capsys):
    # /proc refuses new files even to root (permissions would not: the tests may run as root)
    args = (["verify", example_dir("seed"), "--manifest", "/proc/m.json"] if verb == "verify" else
            ["spec", "--model", os.path.join(example_dir("seed"), "changed_model.spec.json"), "-o", "/proc/s.json"])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "internal error" not in err and "cannot write /proc/" in err, err


def _spec(tmp_path, variables, **top) -> str:
    path = tmp_path / "model.spec.json"
    path.write_text(json.dumps({"variables": variables, **top}))
    return str(path)


@pytest.mark.parametrize("variable, top, message", [
    ({"name": "model_scope/weight", "shape": [2, 1], "dtype": "flaot32"}, {}, "unknown \"dtype\" 'flaot32'"),
    ({"name": "model_scope/weight", "shape": [2, 1], "dtype": "float32", "trainable": "no"}, {},
     '"trainable" must be true or false'),
    ({"name": "model_scope/weight", "shape": [2, 1], "dtype": "float32"}, {"loader": "hf", "base_model_prefix": 5},
     '"base_model_prefix" must be a string'),
    ({"name": "model_scope/weight", "shape": [2, 1], "dtype": "float32"}, {"casts_dtypes": "yes"},
     '"casts_dtypes" must be true or false'),
])
def test_a_spec_with_a_wrong_value_is_refused_naming_it(variable, top, message, tmp_path, capsys):
    """Before: a typo in a dtype was reported as the checkpoint's dtype "differing"; "trainable": "no" counted as
    true; a number as base_model_prefix was an internal error."""
    spec = _spec(tmp_path, [variable], **top)
    assert main(["diagnose", example_dir("seed"), "--model", spec]) == 2
    err = capsys.readouterr().err
    assert message in err and "internal error" not in err and spec in err, err


def test_a_training_checkpoint_with_hyperparameter_objects_is_read_and_its_printed_fix_runs(oracle):
    """pesto-pitch's weights (a Lightning checkpoint with omegaconf hyperparameters) and any checkpoint saving an
    argparse.Namespace were refused whole ("refusing to unpickle global ..."): nothing could be inspected. They are
    read now as inert records, with a note; the printed fix loads with weights_only=False, as torch needs (its
    default refuses the file: the oracle shows it)."""
    out, results = oracle
    results = results["torch"]
    assert results["default_load_error"] == "UnpicklingError"
    ckpt = ckpt_doctor.open_checkpoint(str(out / "hp.ckpt"))
    assert sorted(k for k, t in ckpt.items() if t.kind == "variable") == ["0.bias", "0.weight", "2.bias",
                                                                           "2.weight"]
    assert any("argparse.Namespace" in n and "weights_only=False" in n for n in ckpt.notes), ckpt.notes
    assert results["fix_error"] is None, results["fix_error"]
    assert all(results["hp_arrived"].values()), results["hp_arrived"]


def test_hyperparameter_stand_ins_run_nothing(tmp_path):
    from ckpt_doctor.formats import _unpickler

    # an omegaconf "class" called with a shell command as argument: recorded, never run
    data = b"\x80\x02comegaconf.dictconfig\nDictConfig\nq\x00X\x05\x00\x00\x00touchq\x01\x85q\x02Rq\x03."
    obj = _unpickler.load(io.BytesIO(data), path="x")
    assert isinstance(obj, _unpickler.OpaqueObject) and obj.args == ("touch",)
    # a defaultdict is a plain dict (its factory is never called); one whose factory is a function is refused
    assert _unpickler.load(io.BytesIO(pickle.dumps(defaultdict(list, {"a": [1]}), protocol=2)), path="x") == {"a": [1]}
    evil = pickle.dumps(defaultdict(os.getcwd), protocol=2)
    with pytest.raises(ckpt_doctor.UnsafePickleError):
        _unpickler.load(io.BytesIO(evil), path="x")


def test_a_layer_inserted_before_auto_numbered_ones_gets_a_fix_that_runs(oracle):
    """musicnn's TF1 weights (tf.compat.v1.layers: batch_normalization, batch_normalization_1, ...) with one more
    batch_normalization in front: align infers the shift and says the first layer is new, but diagnose printed
    "4 model variable(s) are in the checkpoint under their own names with another shape ... so no fix is printed"
    (report/align.py other_shapes counted the new layer's names, whose values belong to the shifted layer). The
    printed Saver fix, run verbatim with real TF, gives each shifted layer its value and leaves the new one alone."""
    _, results = oracle
    tf = results["tf"]
    assert tf["fix"], "no fix printed"
    assert tf["fix_error"] is None, tf["fix_error"]
    holds = tf["holds"]
    assert [holds[f"batch_normalization/{leaf}"] for leaf in ("gamma", "beta")] == [None, None]
    for i in range(1, 5):
        before = "batch_normalization" + (f"_{i - 1}" if i > 1 else "")
        assert holds[f"batch_normalization_{i}/gamma"] == f"{before}/gamma", holds
    assert holds["conv2d_3/kernel"] == "conv2d_3/kernel"


@pytest.mark.parametrize("entry", [5, {"dtype": 3, "shape": "x", "sha256": None}, {"dtype": "float32", "shape": [1]}])
def test_a_manifest_entry_of_the_wrong_kind_is_named(entry, tmp_path, capsys):
    """Before: an entry that is not an object was an internal error; one with wrong-typed fields was compared and
    reported as the checkpoint differing."""
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps({"ckpt_doctor_manifest": 1, "tensors": {"model_scope/bias": entry}}))
    assert main(["verify", example_dir("seed"), "--against", str(manifest)]) == 2
    err = capsys.readouterr().err
    assert "manifest entry" in err and "'model_scope/bias'" in err and "internal error" not in err, err


def test_a_subtree_that_names_a_tensor_is_refused(tmp_path, capsys):
    """Before: `--subtree conv.weight` was taken as a state dict of one tensor, every other tensor listed as
    bookkeeping ("1 model values ... 3 bookkeeping"), and diagnose went on with that."""
    path = tmp_path / "w.pt"
    ckpt_doctor.write_checkpoint({"conv.weight": np.ones((2, 2), np.float32), "fc.bias": np.zeros(2, np.float32)},
                                 str(path), "torch")
    assert main(["inspect", str(path), "--subtree", "conv.weight"]) == 2
    err = capsys.readouterr().err
    assert "is a tensor, not a state dict" in err and "conv.weight" in err, err
