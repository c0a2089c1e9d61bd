"""What an eighth new user ran into with ckpt-doctor's repair verbs (rewrite, verify --salvage), fixed outside match/;
each test fails on the code before its fix. What the trial found inside match/ is written down apart
(/work/coord/trial8-match-findings.py), not fixed here.

huggingface_hub writes the sharded safetensors set and torch and TensorFlow read what ckpt-doctor wrote, in
tests/trial8_oracle.py (one subprocess to write, one to check).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from oracle_run import run_oracle

from ckpt_doctor.cli import main

TORCH_NET = """
import torch


def build():
    return torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
"""


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> tuple[Path, dict, dict, dict]:
    out = tmp_path_factory.mktemp("trial8")
    run_oracle("trial8_oracle.py", "write", str(out))
    whole = out / "whole"
    weight_map = json.loads((whole / "model.safetensors.index.json").read_text())["weight_map"]
    assert len(set(weight_map.values())) >= 2
    rewrite_rc = main(["rewrite", str(whole), "-o", f"{out / 'tf'}/", "--to", "tf"])
    damaged = out / "damaged"
    shutil.copytree(whole, damaged)
    lost_shard = sorted(set(weight_map.values()))[-1]
    (damaged / lost_shard).unlink()
    salvage_json = out / "salvage.json"
    verify_rc = _json_to(salvage_json, ["verify", str(damaged), "--salvage", f"{out / 'salvaged'}/", "--json"])
    (out / "torch_net.py").write_text(TORCH_NET)
    align_rc = main(["align", str(out / "k3.weights.h5"), "--model", f"{out / 'torch_net.py'}:build",
                     "--rewrite", str(out / "k3.pt")])
    facts = json.loads(run_oracle("trial8_oracle.py", "check", str(out)))
    lost = sorted(k for k, s in weight_map.items() if s == lost_shard)
    run = {"rewrite": rewrite_rc, "verify": verify_rc, "align": align_rc, "lost": lost, "shard": lost_shard}
    return out, facts, run, json.loads(salvage_json.read_text())


def _json_to(path: Path, argv: list[str]) -> int:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(argv)
    path.write_text(buf.getvalue())
    return rc


def test_a_sharded_safetensors_set_rewritten_to_tf_into_a_directory_is_a_prefix_named_model(checked):
    """Before: `rewrite DIR -o out/ --to tf` on a sharded safetensors set (huggingface_hub's save) wrote the TF prefix
    `out/model.safetensors.index.json` (files `model.safetensors.index.json.index` and `.data-*`), where every other
    output format took the name `model`. Now the prefix is `out/model`, and TensorFlow reads every value from it."""
    out, facts, run, _ = checked
    assert run["rewrite"] == 0
    assert sorted(p.name for p in (out / "tf").iterdir()) == ["checkpoint", "model.data-00000-of-00001", "model.index"]
    assert facts["tf_keys"] == facts["keys"] and facts["tf_equal"]


def test_salvage_of_a_sharded_safetensors_set_names_the_tensors_of_its_missing_shard(checked):
    """Before: `verify --salvage` on a set with a shard deleted said "data shard is missing: 0 tensor(s) cannot be
    read" and listed no tensor, and the salvage named nothing dropped, although the index names every tensor of the
    lost shard. Now the problem and the salvage name exactly those tensors, and torch restores all the others from the
    salvaged file, their values equal to the ones saved; its missing_keys are exactly the names given."""
    _, facts, run, doc = checked
    assert run["verify"] == 1 and run["lost"]
    [problem] = doc["problems"]
    assert problem["kind"] == "missing shard" and problem["file"].endswith(run["shard"])
    assert sorted(problem["tensors"]) == run["lost"]
    assert f"{len(run['lost'])} tensor(s) cannot be read" in problem["message"]
    assert sorted(doc["salvaged"]["dropped"]) == run["lost"]
    assert facts["missing_keys"] == run["lost"] and facts["unexpected_keys"] == []
    assert facts["salvaged_equal"]


def test_align_rewrite_of_keras3_weights_with_named_layers_to_pytorch_loads_strictly(checked):
    """Before: `align k3.weights.h5 --model torch_net.py:build --rewrite k3.pt`, for a Keras 3 model whose layers are
    named `d1`, `d2`, applied the inferred rules (spoken of the file's keys, `layers/dense/vars/0`) to the entries'
    full names (`d1/vars/0`): it wrote `d1.vars.0.weight`, untransposed, said that 6 rules changed no entry and
    exited 0, a file `load_state_dict(strict=True)` refuses. Now the rules see the names they were inferred on: torch
    loads the file strictly and every value equals Keras' own, kernels transposed."""
    _, facts, run, _ = checked
    assert run["align"] == 0
    assert facts["k3_error"] is None and facts["k3_equal"]


def test_max_shard_bytes_for_an_output_written_as_one_file_is_refused(checked, tmp_path, capsys):
    """Before: `rewrite SET -o out.safetensors --max-shard-bytes 60` wrote one file and exited 0, the option (TF output
    only, says --help) silently ignored. Now it is a usage error (exit 2) and nothing is written."""
    out, _, _, _ = checked
    for to in ("safetensors", "npz", "torch"):
        assert main(["rewrite", str(out / "whole"), "-o", f"{tmp_path}/", "--to", to, "--max-shard-bytes", "60"]) == 2
        assert "splits TF output only" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_write_checkpoint_takes_a_bfloat16_torch_state_dict(checked):
    """Before: `ckpt_doctor.write_checkpoint(model.state_dict(), "w.safetensors", "safetensors")` for a bfloat16 model
    raised a bare TypeError ("Got unsupported ScalarType BFloat16", numpy has no bfloat16), not a CheckpointError;
    parameters that require grad raised RuntimeError. Now the same bits are written as bfloat16: safetensors'
    load_file and torch.load give back every tensor, bfloat16 and equal."""
    _, facts, _, _ = checked
    assert facts["bf16"] == {"safetensors": True, "torch": True, "parameters": True}


def test_write_checkpoint_refuses_what_is_no_array_naming_the_tensor(tmp_path):
    """Before: a nested list of rows of unequal length escaped as numpy's ValueError. Now it is a CheckpointError
    naming the tensor, and nothing is written."""
    from ckpt_doctor import CheckpointError, write_checkpoint

    with pytest.raises(CheckpointError) as e:
        write_checkpoint({"w": [[1, 2], [3]]}, tmp_path / "w.npz", "npz")
    assert e.value.tensor == "w" and "not an array" in e.value.message
    assert list(tmp_path.iterdir()) == []
