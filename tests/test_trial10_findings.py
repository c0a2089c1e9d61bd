"""What a tenth new user ran into going through the whole repair loop (diagnose, the printed fix, rewrite, the
framework's own restore) with training state, odd tensors and damaged files, fixed outside match/; each test fails
on the code before its fix. What the trial found inside match/ is written down apart
(/work/coord/trial10-match-findings.py), not fixed here.

The checkpoints are written by TensorFlow, Keras 3 and torch in tests/trial10_oracle.py (a subprocess), which also
restores the rewritten files with the frameworks' own calls.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from oracle_run import run_oracle

import ckpt_doctor
from ckpt_doctor.cli import main

SRC = Path(__file__).resolve().parent.parent / "src"


@pytest.fixture(scope="module")
def tf1_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("trial10_tf1")
    run_oracle("trial10_oracle.py", "tf1", str(out))
    return out


@pytest.fixture(scope="module")
def tf2_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("trial10_tf2")
    run_oracle("trial10_oracle.py", "tf2", str(out))
    return out


@pytest.fixture(scope="module")
def torch_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("trial10_torch")
    run_oracle("trial10_oracle.py", "torch", str(out))
    return out


def _cli(*argv: str) -> subprocess.CompletedProcess:
    """The CLI in a child process (a builder that imports TensorFlow stays out of pytest)."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "ckpt_doctor", *argv], env=env, capture_output=True, text=True,
                          timeout=300)


_PARTIAL = ["old_scope/w//w/part_0/Adam", "old_scope/w//w/part_0/Adam_1", "old_scope/w//w/part_1/Adam",
            "old_scope/w//w/part_1/Adam_1"]


def test_slots_of_a_partitioned_variable_saved_one_part_each_are_not_damage(tf1_run, tmp_path, capsys):
    """Before: a healthy TF1 checkpoint of a partitioned variable trained with Adam made inside the variable's scope
    (the slot creator then saves each part's slot under a name of its own, with the variable's full shape and that
    part's slice only; `Saver.restore` reads it slice by slice) was called damaged: `inspect` noted "truncated data
    file or corrupt index", `verify` said CORRUPT "slices cover 12 of 24 elements" (exit 1), and `rewrite` refused it
    (exit 2), so the renamed scope could not be repaired. Now such an entry reads whole with zeros where no slice
    lies (said in a note), `verify` passes, and the rewritten checkpoint restores every value with a plain `Saver`
    into the renamed graph, as `restore-check` also proves."""
    prefix = str(tf1_run / "run" / "model.ckpt-10")
    ckpt = ckpt_doctor.open_checkpoint(prefix)
    assert not any("truncated" in n for n in ckpt.notes)
    assert any("TF1 optimizer saves the slots of each part" in n for n in ckpt.notes)
    w = ckpt["old_scope/w"].read()
    for name in _PARTIAL:
        value = ckpt[name].read()
        assert value.shape == w.shape == (6, 4)
        own, other = (value[:3], value[3:]) if "part_0" in name else (value[3:], value[:3])
        assert (own != 0).all() and not other.any(), name
    assert main(["verify", prefix]) == 0
    legacy = ckpt_doctor.open_checkpoint(tf1_run / "v1" / "model.ckpt")  # the same in a V1 file
    assert legacy.format == "tf-v1" and any("TF1 optimizer saves the slots of each part" in n for n in legacy.notes)
    assert main(["verify", str(tf1_run / "v1" / "model.ckpt")]) == 0
    rules = tmp_path / "rules.yaml"
    rules.write_text('format: ckpt-doctor-rules\nversion: 1\nrules:\n'
                     '  - prefix: {from: "old_scope/old_scope/", to: "new_scope/new_scope/"}\n'
                     '  - prefix: {from: "old_scope/", to: "new_scope/"}\n')
    out = tmp_path / "fixed" / "model.ckpt-10"
    capsys.readouterr()
    assert main(["rewrite", str(tf1_run / "run"), "--rules", str(rules), "-o", str(out)]) == 0
    assert json.loads(run_oracle("trial10_oracle.py", "tf1_restore", str(tf1_run), str(out))) == []
    check = _cli("restore-check", str(out), "--model", f"{tf1_run / 'tf1_model.py'}:build")
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.startswith("all 17 model weights restored and verified"), check.stdout


def test_rules_align_writes_for_a_tf2_checkpoint_rename_its_entries_in_rewrite(tf2_run, tmp_path, capsys):
    """Before: for a `tf.train.CheckpointManager` run of a Keras model saved with its optimizer (which also tracks
    the model's variables, so their keys are `optimizer/_trainable_variables/N`), `align -o rules.yaml` wrote rules
    in object paths, `diagnose --rules` accepted them, and the `rewrite --rules` the README pairs with them (and the
    command `align --rewrite` prints for an incomplete alignment) applied them to keys: "0 renamed", a note that
    every rule changed no entry, exit 0, and an unchanged copy that restores nothing more; and `drop: "^optimizer/"`
    dropped the model's weights with the optimizer's state. Now rewrite applies a TF2 checkpoint's rules to object
    paths (said in a note where it matters), `tf.train.Checkpoint(model=m).restore` of the copy fills the layer
    after the inserted one, and the drop keeps the model's weights."""
    rules = tmp_path / "rules.yaml"
    spec = str(tf2_run / "tf2_spec.json")
    assert main(["align", str(tf2_run / "run"), "--model", spec, "-o", str(rules)]) == 1  # BatchNormalization new
    out = tmp_path / "fixed" / "ckpt-3"
    capsys.readouterr()
    assert main(["rewrite", str(tf2_run / "run"), "--rules", str(rules), "-o", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    renamed = {m["from"]: m["to"] for m in result["moves"] if m["from"] != m["to"]}
    assert renamed == {"optimizer/_trainable_variables/2/.ATTRIBUTES/VARIABLE_VALUE":
                       "model/_functional/_operations/3/_kernel/.ATTRIBUTES/VARIABLE_VALUE",
                       "optimizer/_trainable_variables/3/.ATTRIBUTES/VARIABLE_VALUE":
                       "model/_functional/_operations/3/bias/.ATTRIBUTES/VARIABLE_VALUE"}
    assert any("--namespace object" in n for n in result["notes"])
    drop = tmp_path / "drop.yaml"  # `drop: "^optimizer/"` drops the optimizer's state, not the model's weights
    drop.write_text('format: ckpt-doctor-rules\nversion: 1\nrules:\n  - drop: "^optimizer/"\n')
    bare = tmp_path / "no_optimizer" / "ckpt-3"
    assert main(["rewrite", str(tf2_run / "run"), "--rules", str(drop), "-o", str(bare), "--json"]) == 0
    dropped = json.loads(capsys.readouterr().out)["dropped"]
    assert len(dropped) == 10 and not any("_trainable_variables" in d for d in dropped), dropped
    assert json.loads(run_oracle("trial10_oracle.py", "tf2_restore", str(tf2_run), str(bare)))["first"]
    assert json.loads(run_oracle("trial10_oracle.py", "tf2_restore", str(tf2_run), str(out))) == \
        {"first": True, "last": True}
    keys = tmp_path / "keys"  # rules naming keys still apply to keys
    assert main(["rewrite", str(tf2_run / "run"), "--rules", str(_prefix_rules(tmp_path, "optimizer/_variables/",
                                                                             "opt/")), "-o", str(keys / "ckpt-3"),
                 "--json"]) == 0
    assert sum(m["to"].startswith("opt/") for m in json.loads(capsys.readouterr().out)["moves"]) == 8


def _prefix_rules(where: Path, old: str, new: str) -> Path:
    path = where / "prefix.yaml"
    path.write_text(f'format: ckpt-doctor-rules\nversion: 1\nrules:\n  - prefix: {{from: "{old}", to: "{new}"}}\n')
    return path


def test_rewriting_a_torch_training_checkpoint_says_what_it_keeps(torch_run, tmp_path, capsys):
    """Before: `rewrite` of `{"model": DataParallel(torch.compile(net)).state_dict(), "optimizer": ..., "epoch": 3}`
    with the rule `align` infers wrote one flat dict: the model's keys at the top, the optimizer's tensors as
    `optimizer/state/0/exp_avg`, its param_groups and the epoch gone, "0 dropped", no word of it; the copy fails
    a strict `load_state_dict` (unexpected keys) and lacks the `'model'` key the training script reads. Now a note
    says so and names the drop rule that writes the model's state dict alone, which loads strictly."""
    keys = json.loads((torch_run / "keys.json").read_text())
    ckpt = str(torch_run / "ckpt.pt")
    capsys.readouterr()
    assert main(["rewrite", ckpt, "--rules", str(_prefix_rules(tmp_path, "module._orig_mod.", "")), "-o",
                 str(tmp_path / "flat.pt")]) == 0
    out = capsys.readouterr().out
    note = next(line for line in out.splitlines() if "training checkpoint" in line)
    assert "'model'" in note and "param_groups" in note and 'drop: "^(optimizer)/"' in note, note
    rules = tmp_path / "model_only.yaml"
    rules.write_text('format: ckpt-doctor-rules\nversion: 1\nrules:\n'
                     '  - prefix: {from: "module._orig_mod.", to: ""}\n  - drop: "^(optimizer)/"\n')
    assert main(["rewrite", ckpt, "--rules", str(rules), "-o", str(tmp_path / "model.pt")]) == 0
    assert list(ckpt_doctor.open_checkpoint(tmp_path / "model.pt")) == keys


def test_json_output_of_a_failed_command_is_json(torch_run, tmp_path, capsys):
    """Before: with --json, a file that cannot be read (a .pt cut short), a path that names nothing, a bad rule
    file or a mistyped option printed only the error on stderr: stdout was empty, not JSON. Now stdout holds one
    document of one shape (error, error_type, exit_code, path, tensor) for every command, stderr unchanged."""
    cut = tmp_path / "cut.pt"
    data = (torch_run / "ckpt.pt").read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    for argv in (["inspect", str(cut)], ["verify", str(tmp_path / "nothing")],
                 ["diagnose", str(cut), "--model", str(cut)],
                 ["rewrite", str(torch_run / "ckpt.pt"), "--rules", str(tmp_path / "none.yaml"), "-o",
                  str(tmp_path / "x.pt")]):
        capsys.readouterr()
        code = main([*argv, "--json"])
        captured = capsys.readouterr()
        doc = json.loads(captured.out)
        assert set(doc) == {"error", "error_type", "exit_code", "path", "tensor"}, doc
        assert doc["exit_code"] == code == 2 and captured.err == f"Error: {doc['error']}\n", argv
    with pytest.raises(SystemExit) as exit_:  # and a command line argparse refuses
        main(["inspect", str(cut), "--json", "--dpth", "2"])
    doc = json.loads(capsys.readouterr().out)
    assert exit_.value.code == doc["exit_code"] == 2 and doc["error_type"] == "UsageError"
    assert doc["error"].startswith("unrecognized arguments: --dpth 2"), doc


def test_a_dtype_the_output_format_lacks_names_the_rule_that_writes_the_rest(tf1_run, tmp_path, capsys):
    """Before: `rewrite` of a TF1 checkpoint holding a bfloat16 embedding to .npz stopped at "dtype bfloat16 cannot
    be stored in a .npz without pickle", naming the tensor by its key and no way on. Now the error gives the rules
    that convert it or leave it out, in the rules' own names; pasted into a rule file, they write the rest."""
    import re

    import numpy as np

    run = str(tf1_run / "run")
    out = tmp_path / "model.npz"
    assert main(["rewrite", run, "-o", str(out)]) == 1  # UnsupportedError
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "tensor 'old_scope/emb'" in err, err
    cast, drop = re.findall(r"`([^`]+)`", err)
    assert cast.startswith("transform:") and drop.startswith("drop:"), err
    rules = tmp_path / "rules.yaml"
    rules.write_text(f"format: ckpt-doctor-rules\nversion: 1\nrules:\n  - {cast}\n")
    assert main(["rewrite", run, "--rules", str(rules), "-o", str(out)]) == 0
    with np.load(out) as written:
        emb = ckpt_doctor.open_checkpoint(run)["old_scope/emb"].read()
        assert written["old_scope/emb"].dtype == np.float32
        assert np.array_equal(written["old_scope/emb"], emb.astype(np.float32))
    rules.write_text(f"format: ckpt-doctor-rules\nversion: 1\nrules:\n  - {drop}\n")
    assert main(["rewrite", run, "--rules", str(rules), "-o", str(out), "--force"]) == 0
    with np.load(out) as written:
        assert "old_scope/emb" not in written.files and len(written.files) == 19


def test_a_keras3_optimizers_slots_and_moving_averages_are_said_to_be_so(tmp_path, capsys):
    """Before: a Keras 3 optimizer's variables in a tf.train.Checkpoint (`optimizer/_variables/N`, named
    `adam/sequential_d1_kernel_momentum`, `..._average` with use_ema=True) were kind `optimizer`, linked to no
    variable, and `diagnose` said nothing of the moving averages, which are what inference usually wants. Now each
    is a slot of its model value (slot_of, slot_name, as for tf-keras and TF1 optimizers), and diagnose says the
    averages are there and how they reach the weights; that way is checked with Keras."""
    import numpy as np

    run_oracle("trial10_oracle.py", "ema", str(tmp_path))
    ckpt = ckpt_doctor.open_checkpoint(tmp_path / "run")
    slots = {k: (t.slot_of, t.slot_name) for k, t in ckpt.items() if t.kind == "slot"}
    assert sorted(name for _, name in slots.values()) == ["average"] * 4 + ["momentum"] * 4 + ["velocity"] * 4
    owners = {ckpt[of].full_name for of, _ in slots.values()}
    assert owners == {"sequential/d1/kernel", "sequential/d1/bias", "sequential/out/kernel", "sequential/out/bias"}
    averages = {ckpt[of].full_name: key for key, (of, name) in slots.items() if name == "average"}
    with np.load(tmp_path / "finalized.npz") as finalized:  # trainable_variables order: d1 kernel, bias, out ...
        for i, name in enumerate(["sequential/d1/kernel", "sequential/d1/bias", "sequential/out/kernel",
                                  "sequential/out/bias"]):
            assert np.array_equal(ckpt[averages[name]].read(), finalized[f"arr_{i}"])
    capsys.readouterr()
    assert main(["diagnose", str(tmp_path / "run"), "--model", str(tmp_path / "spec.json")]) == 0
    out = capsys.readouterr().out
    assert "4 of the optimizer's slots are moving averages of weights" in out
    assert "optimizer.finalize_variable_values(model.trainable_variables)" in out


def test_a_mistyped_required_option_is_named_with_the_one_meant(torch_run, capsys):
    """Before: `diagnose CKPT --modle m.py:build` said only "the following arguments are required: --model/-m",
    as if the user had left it out; the mistyped option was never named (the nearest-option hint ran only when
    parsing succeeded). Now the message names it and the option meant; an abbreviation argparse accepts
    (`--rule`) is not called a mistake."""
    ckpt = str(torch_run / "ckpt.pt")
    with pytest.raises(SystemExit) as exit_:
        main(["diagnose", ckpt, "--modle", "m.py:build"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.endswith("required: --model/-m; not an option of this command: --modle; did you mean --model?"), err
    with pytest.raises(SystemExit):
        main(["rewrite", ckpt, "--rule", "r.yaml", "--outptu", "x.pt"])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.endswith("not an option of this command: --outptu; did you mean --output?"), err


def test_inspect_json_has_the_same_keys_for_every_checkpoint(torch_run, tf1_run, capsys):
    """Before: `inspect --json` gave `notes` and `missing_files` only when there was something in them, so a script
    reading doc["notes"] failed on a plain safetensors file and worked on a training checkpoint. Now both are always
    there (empty lists)."""
    shapes = set()
    for path in (torch_run / "ckpt.pt", tf1_run / "run", tf1_run / "v1" / "model.ckpt"):
        capsys.readouterr()
        assert main(["inspect", str(path), "--json"]) == 0
        shapes.add(tuple(sorted(json.loads(capsys.readouterr().out))))
    assert shapes == {("format", "missing_files", "notes", "path", "tensors")}


def test_a_damaged_dcp_tensor_is_named_as_inspect_lists_it(tmp_path, capsys):
    """Before: reading a tensor of a PyTorch distributed checkpoint whose chunk file was cut short named it by DCP's
    flattened key (`tensor 'model.a.weight'`), where inspect, verify and diagnose call it `a.weight`. Now every
    message names it so."""
    run_oracle("trial10_oracle.py", "dcp", str(tmp_path))
    chunk = next((tmp_path / "dcp").glob("*.distcp"))
    chunk.write_bytes(chunk.read_bytes()[:100])
    capsys.readouterr()
    assert main(["inspect", str(tmp_path / "dcp"), "--stats"]) == 2
    err = capsys.readouterr().err
    assert "tensor 'a.weight'" in err and "model.a.weight" not in err, err
