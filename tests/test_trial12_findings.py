"""What a twelfth new user ran into with the files other tools write (TorchScript, torch.export, SavedModels,
Lightning and DeepSpeed checkpoints, CheckpointManager directories, sharded Savers) and with typos and misuse
around them, fixed outside match/; each test fails on the code before its fix. What the trial found inside match/
is written down apart (/work/coord/trial12-match-findings.py), not fixed here.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

import ckpt_doctor
from ckpt_doctor.cli import main


def test_rewriting_a_tf_checkpoint_again_with_force_keeps_its_data(tmp_path: Path, monkeypatch, capsys):
    """Running the same `rewrite ... -o out/fixed --force` twice (a relative output, as typed) left `out/fixed`
    without its data shard and still said "every value read back and matched": the old files to remove were named
    by absolute path, the new ones by the relative one, so the data shard just written counted as stale."""
    monkeypatch.chdir(tmp_path)
    ckpt_doctor.write_checkpoint({"dense/kernel": np.arange(12, dtype=np.float32).reshape(3, 4)}, "ckpt/model")
    for extra in ([], ["--force"]):
        assert main(["rewrite", "ckpt/model", "-o", "out/fixed", *extra]) == 0
    assert sorted(os.listdir("out")) == ["checkpoint", "fixed.data-00000-of-00001", "fixed.index"]
    assert main(["verify", "out/fixed"]) == 0
    assert np.array_equal(ckpt_doctor.open_checkpoint("out/fixed")["dense/kernel"].read(),
                          np.arange(12, dtype=np.float32).reshape(3, 4))
    capsys.readouterr()


def _torch_net():
    import pytest

    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    return torch, torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2)).eval()


def test_a_torch_export_archive_is_named_with_the_command_that_saves_its_weights(tmp_path: Path, capsys):
    """A `.pt2` from torch.export.save was called "a zip archive, not a checkpoint itself; it holds
    exp/data/sample_inputs/model.pt: extract the one you mean": that member is the example inputs, not the weights.
    It is named as what it is, with the command that saves its weights as a state dict, and that command works."""
    torch, net = _torch_net()
    path = tmp_path / "exp.pt2"
    torch.export.save(torch.export.export(net, (torch.randn(2, 3),)), str(path))
    for verb in ("inspect", "verify"):
        assert main([verb, str(path)]) == 2
        err = capsys.readouterr().err
        assert "torch.export archive" in err and "sample_inputs" not in err, err
    _run_printed(err.split("reads: ", 1)[1].split(" (file ")[0], tmp_path)
    assert main(["diagnose", str(tmp_path / "state_dict.pt"), "--model", str(tmp_path / "state_dict.pt")]) == 0
    read = ckpt_doctor.open_checkpoint(str(tmp_path / "state_dict.pt"))
    for key, value in net.state_dict().items():
        assert np.array_equal(read[key].read(), value.numpy()), key


def _run_printed(command: str, directory: Path) -> None:
    cwd = os.getcwd()
    os.chdir(directory)
    try:
        exec(command, {})
    finally:
        os.chdir(cwd)


def test_a_torchscript_archive_names_the_command_that_runs(tmp_path: Path, capsys):
    """A TorchScript file's message gave `torch.jit.load(PATH, ...)` with PATH left as a placeholder and no import,
    so pasting it failed; it names the file, as the message for a whole pickled model does, and runs as printed."""
    torch, net = _torch_net()
    path = tmp_path / "scripted.pt"
    torch.jit.save(torch.jit.script(net), str(path))
    assert main(["inspect", str(path)]) == 1  # valid, not representable here (UnsupportedError)
    err = capsys.readouterr().err
    assert "TorchScript archive" in err, err
    _run_printed(err.split("reads: ", 1)[1].split(" (file ")[0], tmp_path)
    read = ckpt_doctor.open_checkpoint(str(tmp_path / "state_dict.pt"))
    assert set(read.keys()) == set(net.state_dict())
    for key, value in net.state_dict().items():
        assert np.array_equal(read[key].read(), value.numpy()), key


def test_a_tilde_the_shell_left_alone_means_the_home_directory(tmp_path: Path, monkeypatch, capsys):
    """`rewrite ... --output=~/fixed.safetensors` (the shell expands `~` only at the start of a word) made a
    directory named `~` in the current one and wrote there; `--model=~/net.py:build` said the file does not exist.
    A leading `~/` in a path argument is the home directory, as the user meant."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    ckpt_doctor.write_checkpoint({"w": np.ones((2, 2), np.float32)}, str(home / "in.safetensors"), "safetensors")
    assert main(["rewrite", "~/in.safetensors", "--output=~/fixed.safetensors"]) == 0
    assert not (work / "~").exists() and (home / "fixed.safetensors").is_file()
    assert main(["diagnose", "~/fixed.safetensors", "--model=~/in.safetensors"]) == 0
    capsys.readouterr()


def test_an_unquoted_pattern_is_said_to_be_one(tmp_path: Path, monkeypatch, capsys):
    """`inspect ckpt-*` unquoted reached the command as several files: "unrecognized arguments: ..." only. It says
    the shell expanded a pattern and one checkpoint is to be named."""
    import pytest

    monkeypatch.chdir(tmp_path)
    ckpt_doctor.write_checkpoint({"w": np.ones((2, 2), np.float32)}, "ckpt-1")
    with pytest.raises(SystemExit) as stop:
        main(["inspect", "ckpt-1", "ckpt-1.data-00000-of-00001", "ckpt-1.index"])
    assert stop.value.code == 2
    assert "the shell gave it several files" in capsys.readouterr().err


def test_a_sharded_index_that_mislists_its_tensors_reads_what_the_shards_hold(tmp_path: Path, capsys):
    """from_pretrained loads every tensor of each shard the index names, whatever the index lists. A hand-edited or
    merged index that left a tensor out had it "ignored", so diagnose said the variable keeps its initial value
    while from_pretrained loads it; one that put a tensor in the wrong shard made every command refuse the set. Both
    now read what the shards hold, with a note; an index naming a tensor no shard holds is still refused."""
    import json

    import pytest

    os.environ.setdefault("USE_TF", "0")
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    config = transformers.BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                                     intermediate_size=20, max_position_embeddings=32)
    torch.manual_seed(0)
    saved = transformers.BertModel(config)
    saved.save_pretrained(tmp_path / "saved", max_shard_size="10KB")
    index_path = tmp_path / "saved" / "model.safetensors.index.json"
    index = json.loads(index_path.read_text())
    shards = sorted(set(index["weight_map"].values()))
    assert len(shards) >= 2
    left_out = "pooler.dense.weight"
    moved = next(k for k, s in index["weight_map"].items() if s == shards[0])
    del index["weight_map"][left_out]
    index["weight_map"][moved] = shards[-1]
    index_path.write_text(json.dumps(index))
    torch.manual_seed(1)
    loaded = transformers.BertModel.from_pretrained(tmp_path / "saved")  # the oracle: which values arrive
    for key, value in saved.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    spec = tmp_path / "spec.json"
    ckpt_doctor.load_model(transformers.BertModel(config)).save(str(spec))
    assert main(["diagnose", str(tmp_path / "saved"), "--model", str(spec)]) == 0
    out = capsys.readouterr().out
    assert "All 39 model variables get a value" in out and "does not list: pooler.dense.weight" in out, out
    assert f"{moved} ({shards[-1]})" in out
    read = ckpt_doctor.open_checkpoint(str(tmp_path / "saved"))
    for key, value in saved.state_dict().items():
        assert np.array_equal(read[key].read(), value.numpy()), key
    # a tensor the index lists that no shard holds: from_pretrained counts it as loaded and says nothing, so the
    # variable keeps its initial value; ckpt-doctor reads the rest, and says so in inspect, verify and diagnose
    victim = "encoder.layer.1.output.dense.weight"
    holder = tmp_path / "saved" / index["weight_map"][victim]
    from safetensors.torch import load_file, save_file
    held = load_file(str(holder))
    del held[victim]
    save_file(held, str(holder), metadata={"format": "pt"})
    loaded, info = transformers.BertModel.from_pretrained(tmp_path / "saved", output_loading_info=True)
    assert victim not in info["missing_keys"] and not info["error_msgs"], info  # the oracle: not a word
    assert not torch.equal(loaded.state_dict()[victim], saved.state_dict()[victim])
    assert main(["inspect", str(tmp_path / "saved")]) == 0
    assert f"the index lists 1 tensor(s) that no shard holds: {victim}" in capsys.readouterr().out
    assert main(["verify", str(tmp_path / "saved")]) == 1
    out = capsys.readouterr().out
    assert "missing tensor" in out and f"no other shard does ({victim})" in out and "intact: 38" in out, out
    assert main(["diagnose", str(tmp_path / "saved"), "--model", str(spec)]) == 1
    out = capsys.readouterr().out
    assert victim in out and "that no shard holds" in out and "the checkpoint is incomplete" in out, out
    report = ckpt_doctor.verify(str(tmp_path / "saved"))
    assert [p.tensors for p in report.problems] == [[victim]]
    # the fix diagnose prints, run as printed: every value the shards hold arrives, the lost one is expected missing
    fixed = transformers.BertModel(config)
    exec(ckpt_doctor.align(str(tmp_path / "saved"), str(spec)).torch_code(), {"model": fixed})
    for key, value in saved.state_dict().items():
        assert torch.equal(fixed.state_dict()[key], value) != (key == victim), key


def _deepspeed_model_states(torch, net, path: Path, zero3: bool) -> None:
    """What DeepSpeed's engine.save_checkpoint writes as mp_rank_00_model_states.pt (its keys; under ZeRO-3 each
    partitioned parameter is an empty placeholder), without DeepSpeed."""
    from collections import OrderedDict

    params = dict(net.named_parameters())
    module = OrderedDict((k, torch.empty(0) if zero3 and k in params else v) for k, v in net.state_dict().items())
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"module": module, "buffer_names": [k for k in module if k not in params], "optimizer": None,
                "param_shapes": [OrderedDict((k, p.shape) for k, p in params.items())], "frozen_param_shapes": None,
                "shared_params": {}, "frozen_param_fragments": None, "lr_scheduler": None, "data_sampler": None,
                "random_ltd": None, "sparse_tensor_module_names": set(), "skipped_steps": 0, "global_steps": 10,
                "global_samples": 80, "dp_world_size": 1, "mp_world_size": 1, "ds_config": {},
                "ds_version": "0.14.0"}, str(path))


def test_a_deepspeed_checkpoint_with_its_set_of_sparse_modules_reads(tmp_path: Path, capsys):
    """Every DeepSpeed model-states file holds `sparse_tensor_module_names`, a Python set, which pickles as
    `builtins.set` called with a list; the allow-list handed that name out as an inert marker (for omegaconf's
    `object_type`), so the call failed: "malformed pickle: TypeError: '_Marker' object is not callable" for a file
    torch.load(weights_only=True) reads. Under ZeRO-3 its parameters are empty placeholders, said so, with the
    way to gather them, instead of only "saved from a model of another size"."""
    torch, net = _torch_net()
    path = tmp_path / "ckpt" / "global_step10" / "mp_rank_00_model_states.pt"
    _deepspeed_model_states(torch, net, path, zero3=False)
    assert torch.load(str(path), weights_only=True)["sparse_tensor_module_names"] == set()
    read = ckpt_doctor.open_checkpoint(str(path))
    for key, value in net.state_dict().items():
        assert np.array_equal(read[key].read(), value.numpy()), key
    torch.save({"w": torch.ones(2), "names": {"a", "b"}, "frozen": frozenset({1})}, str(tmp_path / "sets.pt"))
    assert list(ckpt_doctor.open_checkpoint(str(tmp_path / "sets.pt"))) == ["w"]
    _deepspeed_model_states(torch, net, path, zero3=True)
    spec = tmp_path / "spec.json"
    ckpt_doctor.load_model(net).save(str(spec))
    assert main(["diagnose", str(path), "--model", str(spec)]) == 1
    out = capsys.readouterr().out
    assert "a DeepSpeed ZeRO-3 save: 6 of the 9 values in 'module' are empty placeholders" in out, out
    assert "get_fp32_state_dict_from_zero_checkpoint" in out


def test_a_symlinked_index_says_where_its_data_is(tmp_path: Path, capsys):
    """`ln -s run/ckpt-3.index best.index`, then `inspect best`: "MISSING: best.data-00000-of-00001", "the
    checkpoint is incomplete", although nothing is lost. TensorFlow finds the data by the name it is given, so the
    read is right; the note says the index is a symlink and names the prefix whose data is there."""
    ckpt_doctor.write_checkpoint({"w": np.ones((2, 2), np.float32)}, str(tmp_path / "run" / "ckpt-3"))
    os.symlink(tmp_path / "run" / "ckpt-3.index", tmp_path / "best.index")
    assert main(["inspect", str(tmp_path / "best")]) == 0
    out = capsys.readouterr().out
    assert "best.index is a symlink to" in out and f"name {tmp_path / 'run' / 'ckpt-3'} (its data is there)" in out


def test_a_model_pickled_inside_a_training_checkpoint_gets_a_command_that_runs(tmp_path: Path, capsys, monkeypatch):
    """YOLOv5-style checkpoints are `{"epoch": ..., "model": <the nn.Module itself>, "optimizer": ...}`. The message
    said `torch.load(PATH, weights_only=False).state_dict()`: the dict has no state_dict ("'dict' object has no
    attribute 'state_dict'"). It names where the model sits and indexes it, and the command runs."""
    torch, _ = _torch_net()
    (tmp_path / "yolo_net.py").write_text(
        "import torch\n\n\nclass Detect(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.conv = torch.nn.Conv2d(3, 4, 1)\n        self.bn = torch.nn.BatchNorm2d(4)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import yolo_net

    model = yolo_net.Detect()
    torch.save({"epoch": 3, "best_fitness": 0.5, "model": model, "ema": None,
                "optimizer": torch.optim.SGD(model.parameters(), lr=0.1).state_dict()}, str(tmp_path / "best.pt"))
    assert main(["inspect", str(tmp_path / "best.pt")]) == 1
    err = capsys.readouterr().err
    assert "class yolo_net.Detect, under ['model']" in err, err
    _run_printed(err.split("only for a file you trust): ", 1)[1].split(" (file ")[0]
                 .replace(repr(str(tmp_path / "best.pt")), "'best.pt'"), tmp_path)
    read = ckpt_doctor.open_checkpoint(str(tmp_path / "state_dict.pt"))
    for key, value in model.state_dict().items():
        assert np.array_equal(read[key].read(), value.numpy()), key


def test_a_lightning_checkpoint_with_a_path_among_its_hyperparameters_opens(tmp_path: Path, capsys):
    """`save_hyperparameters()` of a LightningModule taking `data_dir: Path` (or a date) stores a pathlib path in
    `hyper_parameters`: the whole checkpoint was refused ("refusing to unpickle global pathlib.PosixPath"), so
    nothing could be inspected or diagnosed. Such values are inert records, like omegaconf configs, with the note
    that torch.load needs weights_only=False."""
    import datetime

    torch, net = _torch_net()
    path = tmp_path / "epoch=3-step=10.ckpt"
    torch.save({"epoch": 3, "global_step": 10, "pytorch-lightning_version": "2.4.0",
                "state_dict": {f"model.{k}": v for k, v in net.state_dict().items()},
                "hyper_parameters": {"data_dir": Path("/data/run"), "started": datetime.datetime(2026, 1, 1),
                                     "lr": 1e-3}, "optimizer_states": [], "lr_schedulers": [], "callbacks": {},
                "loops": {}}, str(path))
    read = ckpt_doctor.open_checkpoint(str(path))
    assert len([n for n in read if n.startswith("model.")]) == 9
    assert any("PosixPath" in n and "datetime.datetime" in n and "weights_only=False" in n for n in read.notes)
    assert main(["diagnose", str(path), "--model", str(path)]) == 0
    capsys.readouterr()


def test_an_unwritable_tf_output_is_named_as_typed(tmp_path: Path, monkeypatch, capsys):
    """`rewrite ... -o /readonly/model` said "cannot write /readonly/model.data-00000.partial": a name of the
    writer's temporary data file, which the user never typed and will not find. It names the output."""
    import builtins

    from ckpt_doctor.formats import tf_bundle_writer

    ckpt_doctor.write_checkpoint({"w": np.ones((2, 2), np.float32)}, str(tmp_path / "in" / "model"))

    def refuse(path, *args, **kwargs):
        if str(path).endswith(".partial"):
            raise PermissionError(13, "Permission denied", str(path))
        return builtins.open(path, *args, **kwargs)

    monkeypatch.setattr(tf_bundle_writer, "open", refuse, raising=False)
    out = tmp_path / "out" / "model"
    assert main(["rewrite", str(tmp_path / "in" / "model"), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"cannot write {out}: Permission denied" in err and ".partial" not in err, err
    assert os.listdir(tmp_path / "out") == []


def test_a_text_output_never_replaces_a_checkpoint(tmp_path: Path, capsys):
    """`verify model.safetensors --manifest model.safetensors` (a completed name, a missing `.json`) replaced the
    checkpoint with its own manifest; `align ... -o model.safetensors` and `spec -o` likewise. Rewrite refused
    this; the text outputs (manifest, rules, spec) now never replace a binary file."""
    path = tmp_path / "model.safetensors"
    ckpt_doctor.write_checkpoint({"w": np.arange(6, dtype=np.float32).reshape(2, 3)}, str(path), "safetensors")
    before = path.read_bytes()
    spec = tmp_path / "spec.json"
    ckpt_doctor.load_model(str(path)).save(str(spec))
    for argv in (["verify", str(path), "--manifest", str(path)],
                 ["align", str(path), "--model", str(spec), "-o", str(path)]):
        assert main(argv) == 2, argv
        assert "not writing" in capsys.readouterr().err
        assert path.read_bytes() == before, argv
    assert main(["verify", str(path), "--manifest", str(tmp_path / "m.json")]) == 0
    assert main(["verify", str(path), "--manifest", str(tmp_path / "m.json")]) == 0  # a text file is replaced
    assert main(["verify", str(path), "--against", str(tmp_path / "m.json")]) == 0
    capsys.readouterr()


def test_a_torch_package_archive_is_named_with_the_command_that_saves_its_weights(tmp_path: Path, capsys,
                                                                                   monkeypatch):
    """A torch.package archive (torch.hub models, model zoos) was "a zip archive that holds no checkpoint file". It
    is named as one, with the command that loads its pickled model and saves the state dict, which runs."""
    torch, _ = _torch_net()
    (tmp_path / "pkg_net.py").write_text(
        "import torch\n\n\nclass Net(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = torch.nn.Linear(3, 2)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import pkg_net
    from torch.package import PackageExporter

    model = pkg_net.Net()
    with PackageExporter(str(tmp_path / "packaged.pt")) as exporter:
        exporter.intern("pkg_net")
        exporter.extern("torch.**")
        exporter.save_pickle("zoo.models", "net.pkl", model)
    assert main(["inspect", str(tmp_path / "packaged.pt")]) == 2
    err = capsys.readouterr().err
    assert "a torch.package archive" in err and "zoo/models/net.pkl" in err, err
    _run_printed(err.split("only for a file you trust): ", 1)[1].split(" (file ")[0], tmp_path)
    read = ckpt_doctor.open_checkpoint(str(tmp_path / "state_dict.pt"))
    for key, value in model.state_dict().items():
        assert np.array_equal(read[key].read(), value.detach().numpy()), key


def test_a_checkpoint_with_a_data_iterator_verifies_and_rewrites(tmp_path: Path, capsys):
    """TensorFlow's checkpoint guide saves the tf.data iterator with the model (`Checkpoint(step, net, iterator)`).
    Its state is a DT_VARIANT tensor: `inspect` listed it as a model value, `verify` said FAILED ("values of dtype
    variant cannot be read as arrays") on a healthy checkpoint, and `rewrite` to a TF bundle refused it while its
    message said "--to tf keeps every dtype". Now it is bookkeeping, its checksums are checked (TensorFlow's
    running CRC32C per element), and a TF rewrite copies it as stored; TensorFlow restores the copy, iterator
    position included."""
    import json

    from oracle_run import run_oracle

    saved = json.loads(run_oracle("trial12_oracle.py", "iterator-save", str(tmp_path / "run")))
    prefix = str(tmp_path / "run" / "ckpt-1")
    read = ckpt_doctor.open_checkpoint(prefix)
    assert read["iterator/.ATTRIBUTES/ITERATOR_STATE"].kind == "counter"
    assert main(["verify", prefix]) == 0
    assert "OK:" in capsys.readouterr().out
    data = prefix + ".data-00000-of-00001"
    damaged = bytearray(Path(data).read_bytes())
    at = read["iterator/.ATTRIBUTES/ITERATOR_STATE"]
    from ckpt_doctor.formats.write import bundle_entries

    entry = bundle_entries(prefix)["iterator/.ATTRIBUTES/ITERATOR_STATE"]
    damaged[entry[1] + entry[2] // 2] ^= 1
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "ckpt-1.index").write_bytes(Path(prefix + ".index").read_bytes())
    (bad / "ckpt-1.data-00000-of-00001").write_bytes(bytes(damaged))
    assert main(["verify", str(bad / "ckpt-1")]) == 1
    assert "ITERATOR_STATE" in capsys.readouterr().out and at.dtype == "variant"
    out = str(tmp_path / "copy" / "ckpt-1")
    assert main(["rewrite", prefix, "-o", out]) == 0
    capsys.readouterr()
    restored = json.loads(run_oracle("trial12_oracle.py", "iterator-restore", out))
    assert restored["next"] == saved["next"] and restored["step"] == 3
    assert restored["w"] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_a_state_dict_of_fsdp2_dtensors_says_how_to_save_a_full_one(tmp_path: Path, capsys):
    """`torch.save(model.state_dict())` of an FSDP2 (fully_shard) model holds DTensors: "refusing to unpickle global
    torch.distributed.tensor.DTensor: not on the allow-list", which says nothing of what happened. It says these are
    one rank's shards and how to save the full state dict (run here: its file reads whole)."""
    import subprocess
    import sys

    _torch_net()
    script = (
        "import sys, torch, torch.distributed as dist\n"
        "from torch.distributed.device_mesh import init_device_mesh\n"
        "from torch.distributed.fsdp import fully_shard\n"
        "from torch.distributed.checkpoint.state_dict import get_model_state_dict, StateDictOptions\n"
        "dist.init_process_group('gloo', rank=0, world_size=1)\n"
        "torch.manual_seed(0)\n"
        "model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))\n"
        "fully_shard(model, mesh=init_device_mesh('cpu', (1,)))\n"
        "torch.save(model.state_dict(), sys.argv[1] + '/sharded.pt')\n"
        "state = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))\n"
        "torch.save(state, sys.argv[1] + '/state_dict.pt')\n"
        "dist.destroy_process_group()\n")
    env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29541"}
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], env=env, check=True, timeout=300)
    assert main(["inspect", str(tmp_path / "sharded.pt")]) == 1
    err = capsys.readouterr().err
    assert "a state dict of sharded tensors (torch.distributed.tensor.DTensor" in err, err
    assert "get_model_state_dict(model, options=StateDictOptions(full_state_dict=True" in err
    assert sorted(ckpt_doctor.open_checkpoint(str(tmp_path / "state_dict.pt"))) == [
        "0.bias", "0.weight", "1.bias", "1.weight"]


def test_a_rewrite_terminated_leaves_no_temporary_files(tmp_path: Path):
    """`timeout 600 ckpt-doctor rewrite ...`, a batch job's time limit or `docker stop` send SIGTERM: the process
    died at once and left its temporary output (`.<hex>.ckpt-doctor-tmp.model.safetensors`, as large as the
    checkpoint, hidden) in the output directory; Ctrl-C cleaned up. SIGTERM now does as Ctrl-C does (exit 143)."""
    import subprocess
    import sys

    ckpt_doctor.write_checkpoint({"w": np.ones((64, 64), np.float32)}, str(tmp_path / "in" / "model"))
    script = (
        "import os, signal, sys\n"
        "from ckpt_doctor.formats import write\n"
        "from ckpt_doctor.cli import main\n"
        "def killed(*args, **kwargs):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)  # while the written files are read back\n"
        "write._verify = killed\n"
        "sys.exit(main(['rewrite', sys.argv[1], '-o', sys.argv[2]]))\n")
    for out in ("out/model.safetensors", "out/model"):
        proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "in" / "model"), str(tmp_path / out)],
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}, timeout=120)
        assert proc.returncode == 143, proc.returncode
        assert os.listdir(tmp_path / "out") == [], os.listdir(tmp_path / "out")


def test_a_savedmodel_file_opens_its_savedmodel(tmp_path: Path, capsys):
    """`inspect model_dir/saved_model.pb` (the file a SavedModel is known by) said "a TensorFlow graph, not a
    checkpoint ... (a SavedModel's values are in variables/)", while the directory, a `.meta` file and a data shard
    all open their checkpoint. It opens the SavedModel's variables, with a note."""
    saved = tmp_path / "exported"
    ckpt_doctor.write_checkpoint({"dense/kernel": np.ones((3, 2), np.float32)}, str(saved / "variables" / "variables"),
                                 state_file=False)
    (saved / "saved_model.pb").write_bytes(b"\x08\x01\x12\x00")  # (its content is not read)
    assert main(["inspect", str(saved / "saved_model.pb")]) == 0
    out = capsys.readouterr().out
    assert "saved_model.pb is part of a SavedModel" in out and "kernel  float32  [3, 2]" in out, out


def test_a_directory_holding_a_pth_tar_checkpoint_opens_it(tmp_path: Path, capsys):
    """PyTorch's ImageNet example and timm save `checkpoint.pth.tar` / `model_best.pth.tar`; a run directory holding
    one said "no complete checkpoint in this directory", as if it were empty of checkpoints. It is opened."""
    torch, net = _torch_net()
    run = tmp_path / "output" / "train"
    run.mkdir(parents=True)
    torch.save({"epoch": 9, "arch": "net", "state_dict": net.state_dict(), "best_acc1": 0.5,
                "optimizer": torch.optim.SGD(net.parameters(), lr=0.1).state_dict()}, str(run / "model_best.pth.tar"))
    read = ckpt_doctor.open_checkpoint(str(run))
    assert read.path == str(run / "model_best.pth.tar") and "0.weight" in read
    assert main(["latest", str(run)]) == 1
    assert "ckpt-doctor inspect " + str(run / "model_best.pth.tar") in capsys.readouterr().err


def test_a_lightning_checkpoint_with_a_module_among_its_hyperparameters_opens(tmp_path: Path, capsys, monkeypatch):
    """A LightningModule taking its backbone as an argument, with `save_hyperparameters()` (Lightning warns and
    saves the module in `hyper_parameters`): the whole checkpoint was refused as "a whole model pickled with
    torch.save(model)", and the printed command called `.state_dict()` on the dict. The weights are in its
    `state_dict`: the module among the hyperparameters is an inert record, as an omegaconf config is, with the
    weights_only note. Another global beside it is still refused."""
    torch, _ = _torch_net()
    (tmp_path / "lit_backbone.py").write_text(
        "import torch\n\n\nclass Backbone(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = torch.nn.Linear(3, 4)\n\n\nclass Evil:\n    def __reduce__(self):\n"
        "        import os\n        return (os.system, ('true',))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import lit_backbone

    backbone = lit_backbone.Backbone()
    state = {f"backbone.{k}": v for k, v in backbone.state_dict().items()}
    path = tmp_path / "epoch=0-step=1.ckpt"
    torch.save({"epoch": 0, "global_step": 1, "pytorch-lightning_version": "2.4.0", "state_dict": state,
                "hyper_parameters": {"backbone": backbone, "lr": 0.1}}, str(path))
    read = ckpt_doctor.open_checkpoint(str(path))
    assert sorted(read) == ["backbone.fc.bias", "backbone.fc.weight"]
    assert np.array_equal(read["backbone.fc.weight"].read(), backbone.fc.weight.detach().numpy())
    assert any("lit_backbone.Backbone" in n and "weights_only=False" in n for n in read.notes), read.notes
    torch.save({"state_dict": state, "hyper_parameters": {"backbone": backbone, "x": lit_backbone.Evil()}},
               str(tmp_path / "evil.ckpt"))
    assert main(["inspect", str(tmp_path / "evil.ckpt")]) == 1
    assert "under ['hyper_parameters']['backbone']" in capsys.readouterr().err


def test_a_directory_whose_last_ckpt_links_to_its_checkpoint_opens_it(tmp_path: Path, capsys):
    """Lightning's ModelCheckpoint(save_last="link") makes last.ckpt a symlink to the newest epoch=N-step=M.ckpt:
    `inspect checkpoints/` said "several checkpoints; name one: epoch=3-step=40.ckpt, last.ckpt", one file by two
    names. It opens that file."""
    torch, net = _torch_net()
    run = tmp_path / "checkpoints"
    run.mkdir()
    torch.save({"epoch": 3, "state_dict": net.state_dict()}, str(run / "epoch=3-step=40.ckpt"))
    os.symlink("epoch=3-step=40.ckpt", run / "last.ckpt")
    read = ckpt_doctor.open_checkpoint(str(run))
    assert read.path == str(run / "epoch=3-step=40.ckpt") and "0.weight" in read
    torch.save({"epoch": 2, "state_dict": net.state_dict()}, str(run / "epoch=2-step=30.ckpt"))
    assert main(["inspect", str(run)]) == 2  # two checkpoints now: name one
    assert "name one: epoch=2-step=30.ckpt, epoch=3-step=40.ckpt, last.ckpt" in capsys.readouterr().err


def test_inspect_stats_and_values_pass_over_a_data_iterator(tmp_path: Path, capsys):
    """`inspect --stats` / `--values` of a checkpoint holding a tf.data iterator stopped at it: "Error: values of
    dtype variant cannot be read as arrays", no table at all. The iterator's row has no values; the rest are shown."""
    import json

    from oracle_run import run_oracle

    run_oracle("trial12_oracle.py", "iterator-save", str(tmp_path / "run"))
    prefix = str(tmp_path / "run" / "ckpt-1")
    for flag in ("--stats", "--values"):
        assert main(["inspect", prefix, flag]) == 0
        assert "ITERATOR_STATE" in capsys.readouterr().out
    assert main(["inspect", prefix, "--stats", "--values", "--json"]) == 0
    rows = {t["name"]: t for t in json.loads(capsys.readouterr().out)["tensors"]}
    assert rows["iterator/.ATTRIBUTES/ITERATOR_STATE"]["value"] is None
    assert rows["w/.ATTRIBUTES/VARIABLE_VALUE"]["stats"]["max"] == 5.0
