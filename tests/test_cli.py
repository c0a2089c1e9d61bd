"""The command line: output, JSON shape and exit codes (0 ok, 1 problem found, 2 usage error)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ckpt_doctor.cli import main

KERAS = Path(__file__).parent / "data" / "corpus" / "tf-keras" / "lso_ckpt_tf2.2"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_inspect_text_groups_by_scope(capsys):
    code, out, _ = run(capsys, "inspect", str(KERAS))
    assert code == 0
    assert "2 model values (6 parameters)" in out and "9 bookkeeping" in out
    assert "layer_with_weights-0/" in out and "sequential/dense/kernel" in out


def test_inspect_json(capsys):
    code, out, _ = run(capsys, "inspect", "--json", str(KERAS / "ckpt"))
    doc = json.loads(out)
    assert code == 0 and doc["format"] == "tf-v2" and doc["path"] == str(KERAS / "ckpt")
    kernel = next(t for t in doc["tensors"] if t["name"].startswith("layer_with_weights-0/kernel/.ATTR"))
    assert kernel == {"name": "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE", "dtype": "float32",
                      "shape": [2, 2], "nbytes": 16, "kind": "variable",
                      "object_path": "layer_with_weights-0/kernel", "full_name": "sequential/dense/kernel",
                      "aliases": ["layer_with_weights-0/kernel", "layer-0/kernel"]}


def test_inspect_stats_and_values(capsys):
    code, out, _ = run(capsys, "inspect", "--json", "--stats", "--values", str(KERAS))
    kernel = next(t for t in json.loads(out)["tensors"] if t["name"].startswith("layer_with_weights-0/kernel/.ATTR"))
    assert abs(kernel["stats"]["max"] - 10.901115) < 1e-5 and abs(kernel["stats"]["min"] - 9.229685) < 1e-5
    assert len(kernel["value"]) == 2
    code, out, _ = run(capsys, "inspect", "--stats", str(KERAS))
    assert code == 0 and "max 10.9" in out


def test_latest(capsys, tmp_path):
    code, out, _ = run(capsys, "latest", str(KERAS))
    assert (code, out.strip()) == (0, str(KERAS / "ckpt"))
    code, out, err = run(capsys, "latest", str(tmp_path))
    assert code == 1 and "no complete TensorFlow checkpoint" in err


def test_verify_ok_and_corrupt(capsys, tmp_path):
    code, out, _ = run(capsys, "verify", str(KERAS))
    assert code == 0 and out.startswith("OK: 11 tensors")
    d = tmp_path / "c"
    shutil.copytree(KERAS, d)
    shard = d / "ckpt.data-00001-of-00002"
    shard.chmod(0o644)
    data = bytearray(shard.read_bytes())
    data[-1] ^= 0xFF
    shard.write_bytes(bytes(data))
    code, out, _ = run(capsys, "verify", str(d))
    assert code == 1
    assert "CORRUPT" in out and "ckpt.data-00001-of-00002" in out and "ChecksumError" in out
    code, out, _ = run(capsys, "verify", "--json", str(d))
    doc = json.loads(out)
    assert code == 1 and doc["ok"] is False and doc["problems"][0]["error"] == "ChecksumError"


def test_exit_codes_for_usage_errors(capsys, tmp_path):
    code, _, err = run(capsys, "inspect", str(tmp_path / "nothing" / "here"))
    assert code == 2 and err.startswith("Error: no such checkpoint")
    r = subprocess.run([sys.executable, "-m", "ckpt_doctor", "inspect"], capture_output=True, text=True)
    assert r.returncode == 2 and "usage:" in r.stderr
    r = subprocess.run([sys.executable, "-m", "ckpt_doctor", "frobnicate"], capture_output=True, text=True)
    assert r.returncode == 2


def test_corrupt_index_exit_code_2(capsys, tmp_path):
    d = tmp_path / "c"
    shutil.copytree(KERAS, d)
    (d / "ckpt.index").chmod(0o644)
    (d / "ckpt.index").write_bytes(b"garbage" * 10)
    code, _, err = run(capsys, "inspect", str(d / "ckpt"))
    assert code == 2 and "bad SSTable magic" in err and "ckpt.index" in err  # unreadable input, like an empty file
    code, out, _ = run(capsys, "verify", str(d / "ckpt"))
    assert code == 1 and "bad SSTable magic" in out  # what verify looks for: its finding


def test_no_framework_is_imported():
    probe = ("import sys, ckpt_doctor, ckpt_doctor.cli\n"
             "from ckpt_doctor.cli import main\n"
             "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
             f"main(['inspect', '--stats', {str(KERAS)!r}])\n"
             f"main(['verify', {str(KERAS)!r}])\n"
             "heavy = [m for m in ('tensorflow', 'torch', 'h5py', 'keras', 'tf_keras', 'jax', 'safetensors') "
             "if m in sys.modules]\n"
             "print('HEAVY', heavy)\n")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "HEAVY []" in r.stdout


@pytest.mark.parametrize("args", [["inspect", "--json"], ["inspect"], ["latest"]])
def test_listing_does_not_import_numpy(args):
    # Listing is metadata only: not even numpy is needed (it costs start-up time). KERAS is a TF2 checkpoint,
    # so this covers reading its object graph too.
    target = str(KERAS if args == ["latest"] else KERAS / "ckpt")
    probe = (f"import sys; from ckpt_doctor.cli import main; code = main({args + [target]!r});"
             "print('RESULT', code, 'numpy' in sys.modules, file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "RESULT 0 False" in r.stderr, r.stderr


def test_the_numpy_probe_can_fail():
    # The probe above really detects numpy: reading values imports it.
    probe = (f"import sys; from ckpt_doctor.cli import main; code = main(['inspect', '--stats', {str(KERAS)!r}]);"
             "print('RESULT', code, 'numpy' in sys.modules, file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert "RESULT 0 True" in r.stderr, r.stderr


def test_option_that_does_not_apply_is_a_usage_error(capsys, tmp_path):
    path = tmp_path / "x.safetensors"
    path.write_bytes(b"\x02\x00\x00\x00\x00\x00\x00\x00{}")
    code, _, err = run(capsys, "inspect", str(path), "--subtree", "m")
    assert code == 2 and err.startswith("Error: option(s) subtree do not apply to this safetensors file"), err


def test_errors_carry_their_exit_code():
    from ckpt_doctor import errors
    from ckpt_doctor.match.rules import RuleError

    assert errors.CheckpointError("x").exit_code == 1 and errors.ChecksumError("x").exit_code == 2
    for cls in (errors.UsageError, errors.CheckpointNotFoundError, errors.ModelError, RuleError):
        assert cls("x").exit_code == 2
    assert not issubclass(RuleError, errors.ModelError)


def test_internal_errors_are_one_line(capsys, monkeypatch):
    from ckpt_doctor import cli

    def boom(args):
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(cli, "_demo", boom)
    monkeypatch.delenv("CKPT_DOCTOR_DEBUG", raising=False)
    code, out, err = run(capsys, "demo")
    assert code == 3 and err.strip().splitlines() == [err.strip()] and "ZeroDivisionError: oops" in err
    monkeypatch.setenv("CKPT_DOCTOR_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        cli.main(["demo"])


def test_demo_runs_without_any_framework():
    probe = ("import sys; from ckpt_doctor.cli import main; code = main(['demo']);"
             "heavy = [m for m in ('tensorflow', 'torch', 'h5py', 'keras', 'tf_keras') if m in sys.modules];"
             "print('RESULT', code, heavy)")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "RESULT 0 []" in r.stdout
    assert "2 of 2 model variables would keep their initial values; 2 of 2 checkpoint values go unused" in r.stdout
    assert "different_model_scope/weight" in r.stdout and "model_scope/weight" in r.stdout


def test_public_functions_are_not_shadowed_by_their_modules():
    probe = ("import ckpt_doctor.verify, ckpt_doctor.api\n"
             "from ckpt_doctor import verify, diagnose\n"
             "import ckpt_doctor\n"
             "print('RESULT', callable(verify), callable(ckpt_doctor.verify), verify.__module__)\n")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert "RESULT True True ckpt_doctor.verify" in r.stdout, r.stdout + r.stderr


def test_verify_salvage_keeps_exactly_the_intact_tensors(capsys, tmp_path):
    from ckpt_doctor import open_checkpoint

    d = tmp_path / "damaged"
    shutil.copytree(KERAS, d)
    original = open_checkpoint(KERAS / "ckpt")
    victim = max((t for t in original.values() if t.kind == "variable"), key=lambda t: t.nbytes)
    shard = d / victim.location
    shard.chmod(0o644)

    data = bytearray(shard.read_bytes())
    offset = _entry_offset(d / "ckpt", victim.name)
    data[offset] ^= 0xFF
    shard.write_bytes(bytes(data))
    out = tmp_path / "salvaged" / "ckpt"
    code, stdout, _ = run(capsys, "verify", str(d / "ckpt"), "--salvage", str(out))
    assert code == 1 and "salvaged:" in stdout and f"{victim.name} -> (dropped)" in stdout, stdout
    saved = open_checkpoint(out)
    assert set(saved) == set(original) - {victim.name}
    for name, info in saved.items():
        if info.kind != "object_graph":
            assert (info.read() == original[name].read()).all(), name
    code, stdout, _ = run(capsys, "verify", str(out))
    assert code == 0, stdout
    code, _, err = run(capsys, "verify", str(d / "ckpt"), "--salvage", str(out))  # never over an existing output
    assert code != 0 and "exists" in err, err


def _entry_offset(prefix, name: str) -> int:
    from ckpt_doctor.formats import _sstable, tf_bundle

    for key, value in _sstable.read_table(str(prefix) + ".index")[1:]:
        if key.decode() == name:
            return tf_bundle._entry(value, "index", name).offset
    raise AssertionError(name)


def test_exit_codes_a_new_user_meets(capsys, tmp_path):
    """Found by trying the tool as a newcomer: each is a usage error (2) with one line, never 1 or a traceback."""
    text = tmp_path / "notes.txt"
    text.write_text("not a checkpoint\n")
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    seed = Path(__file__).parent.parent / "src" / "ckpt_doctor" / "examples" / "seed"
    cases = [["inspect", str(text)], ["verify", str(empty)],
             ["spec", "--model", str(seed / "changed_model.spec.json"), "-o", str(tmp_path / "no" / "s.json")],
             ["verify", str(seed), "--manifest", str(tmp_path / "no" / "m.json")],
             ["verify", str(seed), "--against", str(tmp_path / "nothere.json")]]
    for argv in cases:
        code, _, err = run(capsys, *argv)
        assert code == 2 and err.startswith("Error: ") and len(err.strip().splitlines()) == 1, (argv, code, err)


def test_a_python_file_without_its_function_says_how(capsys, tmp_path):
    builder = tmp_path / "m.py"
    builder.write_text("def build():\n    return None\n")
    seed = Path(__file__).parent.parent / "src" / "ckpt_doctor" / "examples" / "seed"
    code, _, err = run(capsys, "diagnose", str(seed), "--model", str(builder))
    assert code == 2 and f"write {builder}:build" in err, err


def test_a_truncated_zip_says_it_may_be_cut_short(capsys, tmp_path):
    import zipfile

    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", b"\x80\x02}q\x00." * 1000)
    path.write_bytes(path.read_bytes()[:500])
    code, _, err = run(capsys, "inspect", str(path))
    assert code != 0 and "cut short" in err, err


def test_latest_names_other_formats_it_does_not_track(capsys, tmp_path):
    import numpy as np

    np.savez(tmp_path / "weights.npz", np.zeros(2))
    code, _, err = run(capsys, "latest", str(tmp_path))
    assert code == 1 and "it holds weights.npz" in err and "ckpt-doctor inspect" in err, err


def test_a_mistyped_option_shows_the_commands_own_usage(capsys):
    from ckpt_doctor.cli import main

    seed = str(Path(__file__).parent.parent / "src" / "ckpt_doctor" / "examples" / "seed")
    with pytest.raises(SystemExit) as e:
        main(["inspect", seed, "--deph", "2"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "usage: ckpt-doctor inspect" in err and "unrecognized arguments: --deph 2" in err


def test_align_rewrite_onto_its_own_input_is_refused_first(capsys, tmp_path):
    # (session 10, new-user trial) `align X --rewrite X` on an incomplete alignment suggested `rewrite X ... -o X`,
    # which rewrite refuses: the input is never the output, said before anything else
    import numpy as np
    from safetensors.numpy import save_file

    from ckpt_doctor.model.spec import ModelSpec, VariableSpec

    ckpt = tmp_path / "enc.safetensors"
    save_file({"layers.0.weight": np.ones((3, 2), np.float32)}, str(ckpt))
    before = ckpt.read_bytes()
    spec = tmp_path / "model.spec.json"
    ModelSpec([VariableSpec("backbone.layers.0.weight", (3, 2), "float32"), VariableSpec("head.weight", (2, 2),
                                                                                         "float32", index=1)],
              framework="torch", source="test").save(str(spec))
    code, _, err = run(capsys, "align", str(ckpt), "--model", str(spec), "--rewrite", str(ckpt))
    assert code == 2 and "would replace the input checkpoint; write somewhere else" in err
    assert "ckpt-doctor rewrite" not in err and ckpt.read_bytes() == before


def test_a_safetensors_name_on_something_else_says_what_a_safetensors_file_starts_with(capsys, tmp_path):
    bad = tmp_path / "model.safetensors"
    bad.write_bytes(b"garbage")
    code, _, err = run(capsys, "inspect", str(bad))
    assert code == 2 and "not a safetensors file" in err and "8 bytes, little-endian" in err


def test_latest_json_says_what_the_text_says_when_there_is_no_checkpoint(capsys, tmp_path):
    # (left by session 9's trial) the text named the subdirectories that hold checkpoints; the JSON had nothing
    import numpy as np
    from safetensors.numpy import save_file

    for k in (0, 1):
        (tmp_path / "checkpoints" / f"checkpoint_{k}").mkdir(parents=True)
        save_file({"w": np.ones(2, np.float32)}, str(tmp_path / "checkpoints" / f"checkpoint_{k}" / "m.safetensors"))
    code, out, err = run(capsys, "latest", "--json", str(tmp_path))
    found = json.loads(out)
    assert code == 1 and found["latest"] is None and "checkpoint_1/" in found["error"]
    code, _, err = run(capsys, "latest", str(tmp_path))
    assert code == 1 and f"Error: {found['error']}" in err


def test_a_mistyped_command_is_named_with_the_command_meant(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["inspct", "model.ckpt"])
    assert stop.value.code == 2
    assert "did you mean 'inspect'?" in capsys.readouterr().err
