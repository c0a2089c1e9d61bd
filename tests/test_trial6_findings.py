"""What a sixth new user ran into with peft, accelerate, torch.distributed.checkpoint and torch.save(model), fixed
outside match/; each test fails on the code before its fix. What the trial found inside match/ is written down apart
(/work/coord/trial6-match-findings.py), not fixed here.

The files are written by the libraries themselves in tests/trial6_oracle.py, one subprocess for the session
(transformers and peft with USE_TF=0), which also runs the commands ckpt-doctor prints verbatim,
and reports what they did.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from oracle_run import run_oracle

from ckpt_doctor.cli import main


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("trial6")
    run_oracle("trial6_oracle.py", str(out))
    return out, json.loads((out / "trial6.json").read_text())


def _error(capsys, argv: list[str], code: int) -> str:
    assert main(argv) == code, argv
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_a_run_directory_names_its_numbered_checkpoints_highest_last(saved, capsys):
    """Before: `inspect` and `latest` on an accelerate project directory (project/checkpoints/checkpoint_N, each with
    model.safetensors, optimizer.bin, random_states_0.pkl) said only that there was no checkpoint in it: they looked
    one level down, and checkpoints/ holds no file. Now two levels, in numbered order (checkpoint_10 after
    checkpoint_9), the highest three named."""
    out, facts = saved
    assert len(facts["accelerate"]["acc"]) == 11
    acc = out / "acc"
    names = ", ".join(f"{acc / 'checkpoints' / f'checkpoint_{n}'}/" for n in (8, 9, 10))
    err = _error(capsys, ["inspect", str(acc)], 2)
    assert f"name one in a subdirectory: {names} (the highest numbered 3 of 11)" in err, err
    assert main(["latest", str(acc)]) == 1
    assert f"name one in a subdirectory: {names}" in capsys.readouterr().err
    named = out / "acc" / "checkpoints" / "checkpoint_10"  # the named one lists its files
    assert "name one: model.safetensors, optimizer.bin" in _error(capsys, ["inspect", str(named)], 2)


def test_latest_names_a_dcp_directory_and_an_unfinished_dcp_save(saved, capsys):
    """Before: `latest` on a dcp.save directory said "no complete TensorFlow checkpoint" and nothing else, though
    every other verb reads it; a copy without .metadata (DCP writes it last) was "no complete checkpoint" with no
    reason. Now `latest` names the format and the command, which works as printed; the unfinished save is named."""
    out, _ = saved
    dcp = out / "dcp"
    assert main(["latest", str(dcp)]) == 1
    err = capsys.readouterr().err
    assert "it is a PyTorch distributed checkpoint (DCP), which latest does not track" in err, err
    command = err.rsplit(": ", 1)[1].split()
    assert command[:2] == ["ckpt-doctor", "inspect"]
    assert main(command[1:]) == 0
    assert "PyTorch distributed checkpoint (DCP)" in capsys.readouterr().out
    unfinished = out / "dcp_unfinished"
    shutil.copytree(dcp, unfinished)
    (unfinished / ".metadata").unlink()
    said = "holds PyTorch distributed checkpoint (DCP) data (__0_0.distcp) but no .metadata, which DCP writes last"
    assert said in _error(capsys, ["inspect", str(unfinished)], 2)
    assert main(["latest", str(unfinished)]) == 1
    assert said in capsys.readouterr().err


def test_a_pickled_module_is_named_with_the_command_that_saves_its_state_dict(saved, capsys):
    """Before: torch.save(model) was "refusing to unpickle global t6net.Net: not on the allow-list of what a state
    dict needs", which does not say the file is a whole model nor what to do. Now it does, and the command it prints
    (run verbatim by the oracle where the class imports) writes the model's state dict, which ckpt-doctor reads."""
    out, facts = saved
    full = facts["full"]
    assert full["message"] is not None and full["state_dict_is_the_models"], full
    assert "a whole model pickled with torch.save(model) (class t6net.Net)" in full["message"]
    err = _error(capsys, ["inspect", str(out / "full.pt")], 1)  # unsupported, as a TorchScript archive
    assert "torch.save(model)" in err and "nothing in the file was executed" in err
    assert main(["diagnose", str(out / "state_dict.pt"), "--model", str(out / "state_dict.pt")]) == 0
    capsys.readouterr()


def test_a_peft_adapter_says_what_it_is_and_how_peft_loads_it(saved, tmp_path, capsys):
    """Before: `diagnose` of a LoRA adapter against its base model said every variable keeps its initial value, every
    value goes unused and "no renaming explains the differences", with nothing about the file being an adapter. Now a
    note says so and how PEFT loads it; the oracle ran that call verbatim: each value arrived under the key the note
    names (`lora_A.default.weight`)."""
    out, facts = saved
    peft = facts["peft"]
    assert peft["arrived"] and all(peft["arrived"].values()), peft
    assert main(["diagnose", str(out / "adapter"), "--model", str(out / "base")]) == 1
    text = capsys.readouterr().out
    assert "note: a PEFT adapter (adapter_config.json: LORA, base model GPT2LMHeadModel)" in text, text
    assert text.count("a PEFT adapter") == 1, text
    assert main(["inspect", str(out / "base")]) == 0
    assert "PEFT" not in capsys.readouterr().out
    alone = tmp_path / "copied.safetensors"  # the adapter's file without its config: its keys say the same
    shutil.copy(out / "adapter" / "adapter_model.safetensors", alone)
    assert main(["inspect", str(alone)]) == 0
    assert "note: holds only LoRA factors (4, lora_A/lora_B): a PEFT adapter's values" in capsys.readouterr().out


def test_verify_says_a_dcp_checkpoint_s_chunks_are_crc_checked(saved, capsys):
    """Before: verify on a dcp.save directory ended "this format stores no checksums", though every chunk is a
    torch.save zip whose members' CRC-32s it checks (a flipped value byte is a ChecksumError, tests/test_format_dcp.py).
    Now it says what it checked; DCP's safetensors serialization, which has no checksums, still says so."""
    out, _ = saved
    assert main(["verify", str(out / "dcp")]) == 0
    said = capsys.readouterr().out
    assert "CRC-32 of every chunk's zip members checked, values read (.metadata stores no checksum)" in said, said
    assert main(["verify", str(out / "dcp_st")]) == 0
    said = capsys.readouterr().out
    assert "this format stores no checksums" in said and "CRC" not in said, said


def test_a_zeroed_file_is_said_to_be_zeroed(saved, tmp_path, capsys):
    """Before: a file of zero bytes (a copy or write that never completed) got its reader's complaint only: "header
    does not begin with '{'", "bad SSTable magic 0000000000000000", "malformed pickle: invalid load key, '\\x00'", "not
    a PyTorch checkpoint ckpt-doctor can read". Now each says the file is zeros first (exit 2: input that cannot be
    read), over files safetensors, torch, DCP and TensorFlow wrote."""
    from ckpt_doctor.demo import example_dir

    out, _ = saved
    shutil.copytree(example_dir("seed"), tmp_path / "tf")  # written by TensorFlow
    shutil.copytree(out / "dcp", tmp_path / "dcp")
    cases = [(tmp_path / "tf" / "model.ckpt-1", tmp_path / "tf" / "model.ckpt-1.index"),
             (tmp_path / "dcp", tmp_path / "dcp" / ".metadata")]
    for name in ("model.safetensors", "optimizer.bin"):
        shutil.copy(out / "acc" / "checkpoints" / "checkpoint_0" / name, tmp_path / name)
        cases.append((tmp_path / name, tmp_path / name))
    for path, zeroed in cases:
        zeroed.write_bytes(bytes(zeroed.stat().st_size))
        err = _error(capsys, ["inspect", str(path)], 2)
        assert f"all {zeroed.stat().st_size} bytes of the file are zero (a write or copy that never completed" in err
        assert f"(file {zeroed})" in err, err


def test_align_rewrite_refused_for_new_variables_prints_commands_that_write_the_pairs(tmp_path, monkeypatch, capsys):
    """Before: `align CKPT --model M --rewrite OUT` where the model has variables the file lacks (every LoRA weight of
    a PEFT-wrapped model; here a layer added) said only "the alignment is incomplete (see above)". Now it says what is
    missing and prints the two commands that write the pairs anyway; run verbatim, their output loads into the model
    with torch's load_state_dict(strict=False): every old value arrives, only the new layer is missing."""
    import shlex

    import torch

    (tmp_path / "nets.py").write_text(
        "import torch.nn as nn\n\n\n"
        "def wrapped():\n"
        "    m = nn.Module()\n"
        "    m.module = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2))\n"
        "    m.extra = nn.Linear(2, 2)\n"
        "    return m\n")
    saved = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Linear(8, 2)).state_dict()
    torch.save(saved, tmp_path / "plain.pt")
    monkeypatch.chdir(tmp_path)
    assert main(["align", "plain.pt", "--model", "nets.py:wrapped", "--rewrite", "fixed/"]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "the alignment is incomplete (see above): 2 model variable(s) without a partner, 0 ambiguous" in err, err
    commands = err.split("keep their initial values): ", 1)[1].split("; ")
    assert [shlex.split(c)[:2] for c in commands] == [["ckpt-doctor", "align"], ["ckpt-doctor", "rewrite"]]
    for command in commands:  # verbatim; align exits 1 (incomplete), as the `;` between them allows
        main(shlex.split(command)[1:])
    capsys.readouterr()
    import importlib.util

    spec = importlib.util.spec_from_file_location("nets", tmp_path / "nets.py")
    nets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(nets)
    model = nets.wrapped()
    files = sorted((tmp_path / "fixed").iterdir())
    assert [f.name for f in files] == ["plain.pt"], files
    result = model.load_state_dict(torch.load(files[0], weights_only=True), strict=False)
    assert sorted(result.missing_keys) == ["extra.bias", "extra.weight"] and not result.unexpected_keys
    assert all(torch.equal(model.state_dict()[f"module.{k}"], v) for k, v in saved.items())


def test_an_unmerged_peft_state_dict_says_its_lora_factors_are_the_fine_tune(saved, capsys):
    """Before: torch.save(peft_model.state_dict()) against the plain model aligned the `base_layer` weights and listed
    the LoRA factors as unused, the fix dropping them: it loads the base model, the fine-tune lost, with nothing
    saying so. Now a note says what the factors are and how to save the weights merged; run verbatim by the oracle,
    the merged state dict loads into a plain GPT-2 (strict) that computes the PEFT model's logits."""
    out, facts = saved
    peft = facts["peft"]
    assert peft["lora_note"] and peft["merged_computes_the_same"] is True, peft
    assert main(["diagnose", str(out / "peft_sd.pt"), "--model", str(out / "base")]) == 1
    text = capsys.readouterr().out
    assert "note: holds 4 LoRA factors (lora_A/lora_B, the fine-tuned update" in text, text
    assert main(["inspect", str(out / "adapter")]) == 0
    assert "LoRA factors" not in capsys.readouterr().out  # the adapter's own note says what it is


def test_a_peft_wrapped_model_is_not_taken_for_a_transformers_model(saved, capsys):
    """Before: a PeftModel forwards attribute lookups to the model it wraps, so it answered `base_model_prefix` and
    had a `from_pretrained` (peft's, which loads an adapter), and diagnose said it is "loaded by:
    PreTrainedModel.from_pretrained(dir)". Now only a transformers PreTrainedModel is: the wrapper's loader is
    load_state_dict, whose fix (run by the real torch in the other tests) is what it prints."""
    out, _ = saved
    spec = json.loads((out / "peft.spec.json").read_text())
    assert spec.get("loader") is None and spec.get("base_model_prefix") is None, {k: spec.get(k) for k in spec
                                                                                   if k != "variables"}
    main(["diagnose", str(out / "base"), "--model", str(out / "peft.spec.json")])
    text = capsys.readouterr().out
    assert "loaded by:  model.load_state_dict(state, strict=True)" in text, text


def test_an_optimizer_state_dict_is_named_as_such(saved, capsys):
    """Before: diagnose on accelerate's optimizer.bin (a torch.optim state_dict) said every model variable keeps its
    initial value and "no state dict found in this object". Now it says it holds optimizer state only and where
    accelerate saved the model's weights."""
    out, _ = saved
    state = out / "acc" / "checkpoints" / "checkpoint_0"
    assert main(["inspect", str(state / "optimizer.bin")]) == 0
    said = capsys.readouterr().out
    assert "note: an optimizer's state_dict (torch.optim: state, param_groups): optimizer state only" in said, said
    assert (state / "model.safetensors").is_file()  # where the note says the weights are


def test_the_fix_for_a_training_checkpoint_with_numpy_values_runs_under_torch_s_default(tmp_path, monkeypatch, capsys):
    """Before: a training checkpoint holding numpy values beside the state dict ({'model': ..., 'best_acc':
    np.float64(0.9)}, a common habit) got a fix with `torch.load(CHECKPOINT, map_location='cpu')`, which torch >= 2.6
    (weights_only=True by default) refuses: "Unsupported global: GLOBAL numpy._core.multiarray.scalar". Now the file
    is noted as one weights_only=True refuses and the fix, run verbatim, loads it (every value arrives)."""
    import numpy as np
    import torch

    (tmp_path / "t6_numpy_nets.py").write_text("import torch.nn as nn\n\n\ndef net():\n"
                                      "    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import t6_numpy_nets as nets

    saved = nets.net().state_dict()
    torch.save({"model": {f"module.{k}": v for k, v in saved.items()}, "best_acc": np.float64(0.9),
                "history": np.zeros(3)}, tmp_path / "train.pt")
    monkeypatch.chdir(tmp_path)
    assert main(["diagnose", "train.pt", "--model", "t6_numpy_nets.py:net"]) == 1
    text = capsys.readouterr().out
    assert "note: torch.load(weights_only=True) refuses this file: it holds numpy values" in text, text
    fix = "\n".join(line[2:] for line in text[text.index("\nFix (") + 1:].splitlines()[1:])
    model = nets.net()
    exec(fix, {"model": model})  # verbatim
    assert all(torch.equal(model.state_dict()[k], v) for k, v in saved.items())
