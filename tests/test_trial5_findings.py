"""What a fifth new user ran into, fixed outside match/; each test fails on the code before its fix. What the trial
found inside match/ is written down apart, for the lead, not fixed here.

PyTorch, safetensors and NumPy write their files in this process (as in tests/test_trial4_findings.py); TensorFlow
and Keras only in tests/trial5_oracle.py, in a subprocess.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import ckpt_doctor
from ckpt_doctor.cli import main
from ckpt_doctor.demo import example_dir

HERE = Path(__file__).resolve().parent


def _one_error_line(capsys, argv: list[str], code: int) -> str:
    assert main(argv) == code, argv
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


# --- a file that cannot be read is the user's input (exit 2), in every verb but verify (its finding, exit 1) --------

def _damaged_files(tmp: Path) -> list[tuple[Path, Path, Path]]:
    """(path to pass, the file that is damaged, a healthy copy as the model), each written by its own library."""
    import torch
    from safetensors.torch import save_file

    good, bad = tmp / "good", tmp / "bad"
    good.mkdir()
    state = {"fc.weight": torch.randn(16, 8), "fc.bias": torch.randn(16)}
    torch.save(state, good / "zip.pt")
    torch.save(state, good / "legacy.pt", _use_new_zipfile_serialization=False)
    save_file(state, str(good / "m.safetensors"))
    np.savez(good / "m.npz", **{k: v.numpy() for k, v in state.items()})
    shutil.copytree(example_dir("seed"), good / "tf")  # written by TensorFlow
    shutil.copy(HERE / "data" / "keras2" / "emotion_model.hdf5", good / "m.h5")  # written by tf-keras
    shutil.copytree(good, bad)
    cases = []
    for name, damaged, how in (("zip.pt", "zip.pt", "cut"), ("legacy.pt", "legacy.pt", "cut"),
                               ("m.npz", "m.npz", "cut"), ("m.h5", "m.h5", "cut"),
                               ("m.safetensors", "m.safetensors", "flip"),
                               ("tf/model.ckpt-1", "tf/model.ckpt-1.index", "cut")):
        raw = bytearray((bad / damaged).read_bytes())
        if how == "cut":
            del raw[len(raw) // 2:]
        else:
            raw[20] ^= 0xA5  # inside the JSON header
        (bad / damaged).write_bytes(bytes(raw))
        cases.append((bad / name, bad / damaged, good / name))
    return cases


def test_a_damaged_file_is_exit_2_in_every_verb_and_exit_1_in_verify(tmp_path, capsys):
    """Before: a truncated or bit-flipped file exited 1 ("problem found") from inspect, diagnose, align and rewrite,
    as if the check had been made and had found drift; an empty file exits 2. Now both are the user's input that
    cannot be read (2); verify, whose purpose is finding the damage, reports it and exits 1."""
    for path, damaged, model in _damaged_files(tmp_path):
        for argv in (["inspect", str(path)], ["diagnose", str(path), "--model", str(model)],
                     ["align", str(path), "--model", str(model)],
                     ["rewrite", str(path), "--rules", str(tmp_path / "none.yaml"), "-o", str(tmp_path / "out/")]):
            (tmp_path / "none.yaml").write_text("format: ckpt-doctor-rules\nversion: 1\nrules: []\n")
            err = _one_error_line(capsys, argv, 2)
            assert str(damaged) in err, err
        assert main(["verify", str(path)]) == 1, path
        out = capsys.readouterr().out
        assert "CORRUPT" in out and "FAILED" in out, out
        if path.suffix == ".pt":  # with --subtree the CLI opens the file itself first: the same verdict
            assert main(["verify", str(path), "--subtree", "fc"]) == 1, path
            assert "CORRUPT" in capsys.readouterr().out
        with pytest.raises(ckpt_doctor.CorruptCheckpointError) as e:
            ckpt_doctor.open_checkpoint(str(path))
        assert e.value.exit_code == 2


def test_rewrite_of_damaged_tensor_bytes_names_the_input_not_the_output(tmp_path, capsys):
    """Before: renaming a TF bundle with a damaged value said "bytes read back differ from the value written" and
    named the temporary output (exit 1), as if the disk had failed under the write; the input was the damaged one."""
    d = tmp_path / "tf"
    shutil.copytree(example_dir("seed"), d)
    data = d / "model.ckpt-1.data-00000-of-00001"
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    data.write_bytes(bytes(raw))
    (tmp_path / "r.yaml").write_text("format: ckpt-doctor-rules\nversion: 1\nrules:\n"
                                     "  - prefix: {from: 'model_scope/', to: 'new/'}\n")
    err = _one_error_line(capsys, ["rewrite", str(d / "model.ckpt-1"), "--rules", str(tmp_path / "r.yaml"),
                                   "-o", str(tmp_path / "out/")], 2)
    assert "CRC32C" in err and str(data) in err and "read back" not in err, err
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
    assert main(["verify", str(d)]) == 1


def test_a_damaged_object_graph_is_no_name_based_checkpoint(tmp_path, capsys):
    """Before: when a TF2 checkpoint's object graph failed its CRC32C check, diagnose and align went on as for a
    name-based file ("TF2 restores it by variable names"), reported every variable missing and printed a rename
    fix; tf.train.Checkpoint.restore fails on such a file. inspect still lists the entries by key."""
    good, bad = tmp_path / "good", tmp_path / "bad"
    shutil.copytree(HERE / "data" / "corpus" / "tf-keras" / "lso_ckpt_tf2.2", good)
    shutil.copytree(good, bad)
    graph = ckpt_doctor.open_checkpoint(str(good / "ckpt"))["_CHECKPOINTABLE_OBJECT_GRAPH"]
    data = next(bad.glob("ckpt.data-*"))
    data.chmod(0o644)
    raw = bytearray(data.read_bytes())
    offset = raw.find(graph.read().reshape(-1)[0][:64])  # the serialized graph's bytes in the data file
    assert offset > 0
    raw[offset + 10] ^= 0xFF
    data.write_bytes(bytes(raw))
    for verb in ("diagnose", "align"):
        err = _one_error_line(capsys, [verb, str(bad / "ckpt"), "--model", str(good / "ckpt")], 2)
        assert "object graph cannot be read" in err and "CRC32C" in err and str(data) in err, err
    assert main(["inspect", str(bad / "ckpt")]) == 0
    assert "could not decode the TF2 object graph" in capsys.readouterr().out


# --- TensorFlow and Keras 3, in one oracle run -------------------------------------------------------------------

@pytest.fixture(scope="module")
def tf_truth(tmp_path_factory) -> tuple[Path, dict]:
    import json

    import torch
    from oracle_run import run_oracle

    out = tmp_path_factory.mktemp("trial5-tf")
    torch.manual_seed(0)
    torch.save({"fc.weight": torch.randn(16, 8), "fc.bias": torch.randn(16)}, out / "fc.pt")
    run_oracle("trial5_oracle.py", str(out), str(out / "fc.pt"))
    return out, json.loads((out / "tf.json").read_text())


def test_a_scalar_step_counter_is_bookkeeping_not_an_unused_model_value(tf_truth, capsys):
    """Before: tf-agents' `_train_step_counter` (a scalar int64 beside the network in a TF2 checkpoint) was a model
    value: inspect counted it among the weights, and diagnose of the network alone called it a checkpoint value
    "no model variable takes" and exited 1, although TensorFlow restored every weight."""
    out, truth = tf_truth
    prefix = truth["counter"]["prefix"]
    assert truth["counter"]["q_net_arrived"] == [True] * 4  # TensorFlow's own restore: every weight arrived
    counter = ckpt_doctor.open_checkpoint(prefix)["agent/_train_step_counter/.ATTRIBUTES/VARIABLE_VALUE"]
    assert counter.kind == "counter" and counter.dtype == "int64" and counter.shape == ()
    assert main(["diagnose", prefix, "--model", str(out / "counter.spec.json")]) == 0
    text = capsys.readouterr().out
    assert "All 4 model variables get a value from the checkpoint; 0 of 4 checkpoint values go unused" in text
    assert "(1 counter, 1 object graph)" in text, text
    d = ckpt_doctor.diagnose(prefix, str(out / "counter.spec.json"))
    assert d.ok and not d.entries_with("unused")


def test_a_keras_model_given_a_pytorch_file_is_not_loaded_by_load_state_dict(tf_truth, capsys):
    """Before: diagnosing a PyTorch file against a Keras model said `loaded by: model.load_state_dict(...)` and
    "The load call fails: RuntimeError", a call a Keras model does not have. Now the loader is `none`, which says
    why; the printed Keras fix (by position) still loads every value (run verbatim in the oracle)."""
    out, truth = tf_truth
    k = truth["keras_pt"]
    assert k["loader"] == "none" and k["failure"] is None, k
    assert "load_state_dict" not in k["text"] and "RuntimeError" not in k["text"], k["text"]
    assert "loaded by:  none: a TensorFlow / Keras model has no call that loads this format" in k["text"]
    assert k["fix_error"] is None and k["arrived"], k["fix_error"]
    assert main(["diagnose", str(out / "fc.pt"), "--model", str(out / "keras.spec.json")]) == 1
    assert "load_state_dict" not in capsys.readouterr().out
    err = _one_error_line(capsys, ["diagnose", str(out / "fc.pt"), "--model", str(out / "keras.spec.json"),
                                   "--load-with", "torch"], 2)
    assert "cannot load into a TensorFlow / Keras model" in err, err


# --- latest and stable-baselines3's zip archives ---------------------------------------------------------------

def test_latest_names_stable_baselines3_zips_as_it_names_other_files(tmp_path, capsys):
    """Before: `latest` of a directory of CheckpointCallback's rl_model_N_steps.zip said only "no complete TensorFlow
    checkpoint" (a directory of .pt files is named: "it holds ..., which latest does not track"), and `inspect DIR`
    said "no complete checkpoint in this directory". Now the archives are named like the other formats' files, and
    naming one says what to extract."""
    pytest.importorskip("stable_baselines3")
    import gymnasium as gym
    from stable_baselines3 import PPO

    env = gym.make("CartPole-v1")
    model = PPO("MlpPolicy", env, seed=0, device="cpu", n_steps=64, batch_size=64,
                policy_kwargs={"net_arch": [8]})
    runs = tmp_path / "runs"
    model.save(runs / "rl_model_1000_steps")
    model.save(runs / "rl_model_2000_steps")
    assert main(["latest", str(runs)]) == 1
    err = capsys.readouterr().err
    assert "it holds rl_model_1000_steps.zip, rl_model_2000_steps.zip, which latest does not track" in err, err
    err = _one_error_line(capsys, ["inspect", str(runs)], 2)
    assert "holds several checkpoints; name one: rl_model_1000_steps.zip, rl_model_2000_steps.zip" in err, err
    (runs / "rl_model_1000_steps.zip").unlink()
    assert main(["latest", str(runs)]) == 1
    assert f"it holds rl_model_2000_steps.zip, which latest does not track (TF checkpoints only): ckpt-doctor " \
        f"inspect {runs / 'rl_model_2000_steps.zip'}" in capsys.readouterr().err
    err = _one_error_line(capsys, ["inspect", str(runs)], 2)
    assert "a zip archive, not a checkpoint itself; it holds" in err and "policy.pth" in err, err


# --- --subtree as a key prefix of a flat PyTorch state dict --------------------------------------------------------

def test_subtree_takes_a_key_prefix_of_a_flat_state_dict_and_the_fix_loads_it(tmp_path, capsys, monkeypatch):
    """Before: `--subtree policy_net` on keys `policy_net.0.weight`, ... was "no sub-tree 'policy_net'" (exit 2): a
    flat state dict has no sub-trees. Now the keys under the prefix are the model's (the others bookkeeping), the
    printed fix loads them into the policy network alone (run verbatim), and a typo gets the nearest prefixes."""
    import torch

    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "nets.py").write_text(
        "import torch\n\n\n"
        "def policy_net():\n"
        "    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))\n\n\n"
        "class Policy(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.policy_net, self.value_net = policy_net(), torch.nn.Sequential(torch.nn.Linear(3, 1))\n")
    import nets

    torch.manual_seed(0)
    whole = nets.Policy()
    torch.save(whole.state_dict(), tmp_path / "policy.pt")
    torch.save({"epoch": 3, "state_dict": whole.state_dict()}, tmp_path / "train.pt")
    ckpt = ckpt_doctor.open_checkpoint(str(tmp_path / "policy.pt"), subtree="policy_net")
    assert [k for k, t in ckpt.items() if t.kind == "variable"] == [
        "policy_net.0.weight", "policy_net.0.bias", "policy_net.2.weight", "policy_net.2.bias"]
    assert {k for k, t in ckpt.items() if t.kind != "variable"} == {"value_net.0.weight", "value_net.0.bias"}
    builder = f"{tmp_path / 'nets.py'}:policy_net"
    assert main(["diagnose", str(tmp_path / "policy.pt"), "--subtree", "policy_net", "--model", builder]) == 1
    out = capsys.readouterr().out
    assert "the model drops the prefix `policy_net.` (4 variables)" in out, out
    code = "\n".join(line[2:] for line in out.split("Fix (PyTorch")[1].splitlines()[1:])
    model = nets.policy_net()
    exec(compile(code, "<printed fix>", "exec"), {"model": model})
    for k, v in model.state_dict().items():
        assert torch.equal(v, whole.policy_net.state_dict()[k]), k
    err = _one_error_line(capsys, ["inspect", str(tmp_path / "policy.pt"), "--subtree", "polcy_net"], 2)
    assert "no sub-tree or key prefix 'polcy_net'" in err and "key prefixes near 'polcy_net': policy_net" in err
    err = _one_error_line(capsys, ["inspect", str(tmp_path / "train.pt"), "--subtree", "state_dict/policy_net"], 2)
    assert "choose --subtree state_dict" in err, err


# --- typos and shipped files ---------------------------------------------------------------------------------------

def test_a_mistyped_option_or_directory_gets_the_nearest_names(tmp_path, capsys):
    """Before: `inspect X --depht 2` said only "unrecognized arguments: --depht 2", and `latest runs/exp` for
    runs/exp1 only "no such directory"; a mistyped path to a checkpoint already got the nearest names."""
    (tmp_path / "exp1").mkdir()
    err = _one_error_line(capsys, ["latest", str(tmp_path / "exp")], 2)
    assert f"no such directory; nearest existing: {tmp_path / 'exp1'}" in err, err
    with pytest.raises(SystemExit) as e:
        main(["inspect", example_dir("seed"), "--depht", "2", "--jsn"])
    assert e.value.code == 2
    assert "unrecognized arguments: --depht 2 --jsn; did you mean --depth, --json?" in capsys.readouterr().err


def test_a_torchscript_file_says_how_to_get_its_weights(tmp_path, capsys):
    """silero-vad ships silero_vad.jit (torch.jit.save). Before: "Save model.state_dict() with torch.save", which a
    user holding only the .jit file cannot act on as written; now the one line that does it, run here verbatim."""
    import torch

    torch.jit.save(torch.jit.script(torch.nn.Linear(3, 2)), str(tmp_path / "model.jit"))
    err = _one_error_line(capsys, ["inspect", str(tmp_path / "model.jit")], 1)
    line = err.split("reads: ", 1)[1].split(" (file ")[0]
    exec(line.replace("'model.jit'", repr(str(tmp_path / "model.jit"))).replace(  # (the file's name, trial 12)
        "'state_dict.pt'", repr(str(tmp_path / "weights.pt"))))
    assert main(["inspect", str(tmp_path / "weights.pt")]) == 0
    assert "weight  float32  [2, 3]" in capsys.readouterr().out


def test_rewrite_refuses_a_sharded_checkpoint_with_a_missing_shard(tmp_path, capsys):
    """Before: `rewrite` of a model.safetensors.index.json whose second shard is missing wrote the first shard's
    tensors alone and exited 0 ("1 unchanged, 0 dropped"): a copy silently without `b.weight`. Now it is refused
    (exit 2, naming the shard); verify --salvage still writes what is left, as its report says."""
    import json

    from safetensors.numpy import save_file

    save_file({"a.weight": np.ones((2, 3), np.float32)}, str(tmp_path / "model-00001-of-00002.safetensors"))
    save_file({"b.weight": np.zeros((4,), np.float32)}, str(tmp_path / "model-00002-of-00002.safetensors"))
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": {
        "a.weight": "model-00001-of-00002.safetensors", "b.weight": "model-00002-of-00002.safetensors"}}))
    (tmp_path / "model-00002-of-00002.safetensors").unlink()
    (tmp_path / "r.yaml").write_text("format: ckpt-doctor-rules\nversion: 1\nrules: []\n")
    err = _one_error_line(capsys, ["rewrite", str(tmp_path), "--rules", str(tmp_path / "r.yaml"),
                                   "-o", str(tmp_path / "out" / "copy.safetensors")], 2)
    assert "1 file(s) of this checkpoint are missing (model-00002-of-00002.safetensors)" in err, err
    assert not (tmp_path / "out" / "copy.safetensors").exists()
    with pytest.raises(ckpt_doctor.MissingShardError):
        ckpt_doctor.rewrite(str(tmp_path), None, str(tmp_path / "out" / "copy.safetensors"))
    assert main(["verify", str(tmp_path), "--salvage", str(tmp_path / "out" / "salvaged.safetensors")]) == 1
    assert sorted(ckpt_doctor.open_checkpoint(str(tmp_path / "out" / "salvaged.safetensors"))) == ["a.weight"]


GUARD_LAZY = """
import sys
import transformers  # lazy: the model classes (and transformers.modeling_utils) load on first use
import ckpt_doctor

assert "transformers.modeling_utils" not in sys.modules
out = sys.argv[1]
try:
    with ckpt_doctor.guard(strict=True) as g:
        config = transformers.BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                         intermediate_size=37, max_position_embeddings=64)
        transformers.BertForMaskedLM(config).save_pretrained(out)
        transformers.BertForMaskedLM.from_pretrained(out, num_hidden_layers=3)  # layer 2 is initialised fresh
    print("NOT RAISED", g.events)
except ckpt_doctor.RestoreError as e:
    print("RAISED", str(e).splitlines()[0])
assert not any(type(f).__name__ == "_PatchOnImport" for f in sys.meta_path)  # the hook leaves with the guard
"""


def test_guard_checks_from_pretrained_when_transformers_models_load_inside_the_block(tmp_path):
    """Before: `with guard(strict=True): transformers.BertForMaskedLM.from_pretrained(...)` with transformers
    imported but its model classes first touched inside the block (transformers imports them lazily) checked
    nothing: from_pretrained was patched only if transformers.modeling_utils was loaded when the guard was entered,
    so a deeper config (a layer initialised fresh) passed the strict guard silently."""
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src"), "USE_TF": "0", "TRANSFORMERS_VERBOSITY": "error"}
    proc = subprocess.run([sys.executable, "-c", GUARD_LAZY, str(tmp_path / "bert")], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "RAISED BertForMaskedLM.from_pretrained:" in proc.stdout and "not restored" in proc.stdout, proc.stdout


def test_the_pytorch_fix_for_a_sharded_safetensors_checkpoint_loads_every_shard(tmp_path, capsys):
    """(trial5 F1) The fix printed for a sharded safetensors checkpoint (save_pretrained's default above 5 GB) called
    `load_file` on the index JSON: SafetensorError when run. It now loads every shard the index lists; run verbatim
    into a model whose keys lost the base-model prefix, every value arrives."""
    import json

    import torch
    from safetensors.torch import save_file

    torch.manual_seed(0)
    saved = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    state = {f"body.{k}": v for k, v in saved.state_dict().items()}
    shards = {"model-00001-of-00002.safetensors": ["body.0.weight", "body.0.bias"],
              "model-00002-of-00002.safetensors": ["body.2.weight", "body.2.bias"]}
    for shard, keys in shards.items():
        save_file({k: state[k].contiguous() for k in keys}, str(tmp_path / shard))
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(
        {"metadata": {}, "weight_map": {k: shard for shard, keys in shards.items() for k in keys}}))
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    spec = tmp_path / "model.spec.json"
    ckpt_doctor.load_model(model).save(spec)
    assert main(["diagnose", str(tmp_path), "--model", str(spec)]) == 1
    out = capsys.readouterr().out
    code = "\n".join(line[2:] for line in out.split("Fix (PyTorch")[1].splitlines()[1:])
    assert "SHARDS = [" in code, code
    exec(compile(code, "<printed fix>", "exec"), {"model": model})
    assert all(torch.equal(v, saved.state_dict()[k]) for k, v in model.state_dict().items())


KERAS_HEAD = """
import sys
import keras
import ckpt_doctor

out = sys.argv[1]
saved = keras.Sequential([keras.Input((16,)), keras.layers.Dense(32), keras.layers.Dense(4)])
saved.save_weights(out + "/seq.weights.h5")
head = keras.Sequential([keras.Input((16,)), keras.layers.Dense(32), keras.layers.Dense(10)])
ckpt_doctor.load_model(head).save(out + "/head.spec.json")
"""


def test_a_keras_head_of_another_width_is_said_to_have_changed_shape(tmp_path, capsys):
    """(trial5 F4) Keras 3: Dense(32) -> Dense(4) saved, the model's head Dense(10). diagnose's Why said "new in the
    model ...; the layers after them pair with the file's by shape" (none follow it) and "in the file but not in the
    model: `layers/dense_1`" (the model has that layer, of another shape). Now: one sentence, the layer changed."""
    import subprocess
    import sys

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(HERE.parent / "src")}
    env.pop("TF_USE_LEGACY_KERAS", None)
    subprocess.run([sys.executable, "-c", KERAS_HEAD, str(tmp_path)], check=True, env=env, capture_output=True,
                   timeout=300)
    assert main(["diagnose", str(tmp_path / "seq.weights.h5"), "--model", str(tmp_path / "head.spec.json")]) == 1
    why = capsys.readouterr().out.split("\nWhy:\n")[1].split("\n\n")[0]
    assert "the layers after them" not in why and "in the file but not in the model" not in why, why
    assert "changed shape in the model" in why and "`layers/dense_1`: [32, 4], [4] -> [32, 10], [10]" in why, why
