"""PyTorch distributed checkpoints (DCP) read without torch, against what torch itself wrote and reads back.

tests/dcp_oracle.py runs once per session in a subprocess: it saves with ``torch.distributed.checkpoint`` (one
process, and four ranks simulated through the planner APIs) and records DCP's own reassembly
(``dcp_to_torch_save``). Here: names, dtypes, shapes and bit-identical values; chunk checks; damaged files.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ckpt_doctor import CorruptCheckpointError, align, diagnose, open_checkpoint, verify
from ckpt_doctor.cli import main
from ckpt_doctor.errors import MissingShardError, UnsafePickleError

_TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def dcp(tmp_path_factory):
    pytest.importorskip("torch")
    out = tmp_path_factory.mktemp("dcp_oracle")
    proc = subprocess.run([sys.executable, str(_TESTS / "dcp_oracle.py"), str(out)], capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, CUDA_VISIBLE_DEVICES=""))
    if proc.returncode != 0:
        pytest.fail(f"dcp_oracle.py failed:\n{proc.stderr[-4000:]}", pytrace=False)
    ref = json.loads((out / "reference.json").read_text())
    ref["root"] = out
    return ref


def _match(name: str, fqns) -> str:
    """Our name -> DCP's flattened name: model sub-trees lose their prefix, bookkeeping paths use '/'."""
    found = [f for f in dict.fromkeys((name, f"model.{name}", name.replace("/", "."))) if f in fqns]
    assert len(found) == 1, (name, found)
    return found[0]


@pytest.mark.parametrize("cid", ["single", "training", "ranks", "renamed", "st_format"])
def test_same_tensors_and_values_as_torch(dcp, cid):
    ref = dcp["checkpoints"][cid]
    values = np.load(dcp["root"] / f"{cid}.npz")
    catalog = open_checkpoint(dcp["root"] / ref["dir"])
    assert catalog.format == "torch-dcp"
    seen = set()
    for name, info in catalog.items():
        fqn = _match(name, ref["tensors"])
        seen.add(fqn)
        expected = ref["tensors"][fqn]
        assert info.dtype == expected["dtype"] and list(info.shape) == expected["shape"], name
        value = info.read()
        assert value.shape == tuple(expected["shape"]), name
        assert np.ascontiguousarray(value).tobytes() == values[expected["npz_key"]].tobytes(), name
        if fqn in ref["chunks"]:
            assert info.partitions == ref["chunks"][fqn]
    assert seen == set(ref["tensors"])


def test_training_checkpoint_kinds(dcp):
    catalog = open_checkpoint(dcp["root"] / "training")
    assert [t.name for t in catalog.variables()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert catalog["optim/state/0/exp_avg"].kind == "slot"
    assert any("non-tensor" in n and "optim.param_groups.0.lr" in n for n in catalog.notes)


def test_overlapping_and_missing_chunks_are_refused(dcp):
    for bad in dcp["invalid"].values():
        with pytest.raises(CorruptCheckpointError, match=bad["says"]) as e:
            open_checkpoint(dcp["root"] / bad["dir"])
        assert e.value.tensor == bad["tensor"] and e.value.path.endswith(".metadata")


def test_verify_cli_and_damage(dcp, tmp_path, capsys):
    src = dcp["root"] / "ranks"
    assert main(["verify", str(src)]) == 0
    assert "OK: 4 tensors" in capsys.readouterr().out
    bad = tmp_path / "ranks"
    shutil.copytree(src, bad)
    # Flip one byte inside the grid shard's storage in rank 1's file: its zip member's CRC-32 catches it.
    catalog = open_checkpoint(bad)
    data_file = bad / "__1_0.distcp"
    raw = bytearray(data_file.read_bytes())
    pos = raw.find(b"/data/0") + len(b"/data/0") + 4  # the local header's name, then torch's "FB" padding
    while raw[pos] == ord("Z"):
        pos += 1
    pos += 4  # into the storage bytes
    raw[pos] ^= 0xFF
    data_file.write_bytes(bytes(raw))
    report = verify(bad)
    assert not report.ok and [p.tensor for p in report.problems] == ["sharded.grid"]
    assert report.problems[0].error == "ChecksumError"
    os.unlink(bad / "__2_1.distcp")
    report = verify(open_checkpoint(bad))
    assert any(p.error == "MissingShardError" for p in report.problems)
    assert catalog["replicated.weight"].read().shape == (3, 3)


def test_unsafe_metadata_is_refused_without_running_it(dcp, tmp_path):
    bad = tmp_path / "evil"
    shutil.copytree(dcp["root"] / "single", bad)
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    (bad / ".metadata").write_bytes(pickle.dumps(Evil()))
    with pytest.raises(UnsafePickleError, match="posix.system|os.system"):
        open_checkpoint(bad)
    assert not marker.exists()


def test_storage_path_outside_the_directory(dcp, tmp_path):
    bad = tmp_path / "escape"
    shutil.copytree(dcp["root"] / "single", bad)
    raw = (bad / ".metadata").read_bytes()
    assert b"__0_0.distcp" in raw
    (bad / ".metadata").write_bytes(raw.replace(b"__0_0.distcp", b"../_0.distcp"))  # same length: valid pickle
    with pytest.raises(CorruptCheckpointError, match="outside the checkpoint directory"):
        open_checkpoint(bad)


def test_truncated_metadata_and_missing_metadata(dcp, tmp_path):
    bad = tmp_path / "trunc"
    shutil.copytree(dcp["root"] / "single", bad)
    raw = (bad / ".metadata").read_bytes()
    (bad / ".metadata").write_bytes(raw[:len(raw) // 2])
    with pytest.raises(CorruptCheckpointError, match="malformed pickle"):
        open_checkpoint(bad)
    with pytest.raises(MissingShardError):
        from ckpt_doctor.formats import torch_dcp

        torch_dcp.read(tmp_path)


def test_diagnose_and_align_a_renamed_dcp_checkpoint(dcp, tmp_path, capsys):
    model = str(dcp["root"] / "model.pt")
    assert diagnose(dcp["root"] / "training", model).ok
    renamed = dcp["root"] / "renamed"
    assert not diagnose(renamed, model).ok
    assert align(renamed, model).complete
    rules = tmp_path / "rules.yaml"
    assert main(["align", str(renamed), "--model", model, "-o", str(rules)]) == 0
    capsys.readouterr()
    assert main(["diagnose", str(renamed), "--model", model, "--rules", str(rules)]) == 0
    assert main(["inspect", "--json", str(renamed)]) == 0
    names = [t["name"] for t in json.loads(capsys.readouterr().out.splitlines()[-1])["tensors"]]
    assert names == ["module.0.weight", "module.0.bias", "module.2.weight", "module.2.bias"]


def test_dcp_by_url_reads_metadata_only_until_values_are_read(dcp):
    fsspec = pytest.importorskip("fsspec")
    from ckpt_doctor.formats import _io

    fs = fsspec.filesystem("memory")
    src = dcp["root"] / "ranks"
    for name in os.listdir(src):
        fs.pipe_file(f"/dcp-ranks/{name}", (src / name).read_bytes())
    _io.STATS.reset()
    remote = open_checkpoint("memory://dcp-ranks")
    assert _io.STATS.bytes == (src / ".metadata").stat().st_size  # listing: the metadata, nothing else
    local = open_checkpoint(src)
    assert list(remote) == list(local)
    for name in local:
        assert remote[name].read().tobytes() == local[name].read().tobytes()
    assert verify(remote, jobs=2).ok
