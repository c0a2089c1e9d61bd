"""What the ninth new user found inside match/ (/work/coord/trial9-match-findings.py), fixed; each test fails on the
code before its fix. transformers writes the files (PyTorch and TF), in subprocesses; the printed fix runs verbatim."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CONFIG = ("BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, "
          "intermediate_size=64, max_position_embeddings=64)")
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src")}


def _run(code: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600,
                          env={**ENV, **env})
    if proc.returncode:
        pytest.fail(proc.stderr[-3000:], pytrace=False)
    return proc


def test_the_pytorch_fix_for_a_sharded_bin_set_reads_every_shard(tmp_path):
    # F1: the printed fix ran torch.load on pytorch_model.bin.index.json (UnpicklingError)
    _run("import sys, torch\nfrom transformers import BertConfig, BertModel\ntorch.manual_seed(0)\n"
         f"BertModel({CONFIG}).save_pretrained(sys.argv[1], safe_serialization=False, max_shard_size='20KB')",
         str(tmp_path / "bert"), USE_TF="0")
    assert len(list((tmp_path / "bert").glob("pytorch_model-*.bin"))) > 1
    (tmp_path / "build.py").write_text(f"from transformers import BertConfig, BertForMaskedLM\n\n\ndef build():\n"
                                       f"    return BertForMaskedLM({CONFIG})\n")
    # (in a subprocess: the builder imports transformers and torch, which never enter the test process)
    text = subprocess.run([sys.executable, "-m", "ckpt_doctor", "diagnose", str(tmp_path / "bert"), "--model",
                           f"{tmp_path}/build.py:build", "--load-with", "torch-nonstrict"], capture_output=True,
                          text=True, timeout=600, env={**ENV, "USE_TF": "0"}).stdout
    fix = textwrap.dedent(text.split("Fix (PyTorch", 1)[1].split("\n", 1)[1])
    check = (f"import sys, glob, torch\nsys.path.insert(0, {str(tmp_path)!r})\nfrom build import build\n"
             f"model = build()\n{fix}\n"
             "saved = {}\nfor shard in glob.glob(sys.argv[1] + '/pytorch_model-*.bin'):\n"
             "    saved.update(torch.load(shard, map_location='cpu'))\n"
             "got = model.state_dict()\n"
             "same = [k for k, v in saved.items() if 'bert.' + k in got and torch.equal(got['bert.' + k], v)]\n"
             "print(len(same), len([k for k in saved if 'bert.' + k in got]))\n")
    same, total = map(int, _run(check, str(tmp_path / "bert"), USE_TF="0").stdout.split()[-2:])
    assert total > 30 and same == total


def test_transformers_sharded_tf_weights_pair_without_the_models_own_scope(tmp_path):
    # F2: TFPreTrainedModel.from_pretrained compares names without the model's scope (tf_bert_model/ against
    # tf_bert_for_masked_lm/): exact names said every variable keeps its initial value
    env = {"TF_USE_LEGACY_KERAS": "1", "USE_TF": "1"}  # (another test module may have set USE_TF=0 here)
    _run(f"import sys\nfrom transformers import BertConfig, TFBertModel\nm = TFBertModel({CONFIG})\n"
         "m(m.dummy_inputs)\nm.save_pretrained(sys.argv[1], max_shard_size='20KB')", str(tmp_path / "tf"), **env)
    (tmp_path / "mlm.py").write_text(f"from transformers import BertConfig, TFBertForMaskedLM\n\n\ndef build():\n"
                                     f"    m = TFBertForMaskedLM({CONFIG})\n    m(m.dummy_inputs)\n    return m\n")
    said = subprocess.run([sys.executable, "-m", "ckpt_doctor", "diagnose", str(tmp_path / "tf"), "--model",
                           f"{tmp_path}/mlm.py:build", "--json"], capture_output=True, text=True, env={**ENV, **env})
    import json

    doc = json.loads(said.stdout)
    fresh = {v["name"] for v in doc["variables"] if v["status"] != "loaded"}
    log = _run("import sys\nfrom transformers import TFBertForMaskedLM\nTFBertForMaskedLM.from_pretrained(sys.argv[1])",
               str(tmp_path / "tf"), **env)
    told = re.search(r"newly initialized: \{([^}]*)\}", log.stdout + log.stderr)
    assert told is not None
    theirs = {n.strip().strip("'") for n in told.group(1).split(",")}
    assert len(fresh) == len(theirs) == 5
    # (transformers names them without the model's scope, `mlm___cls/predictions/bias`)
    assert {n.removesuffix(":0").split("/", 1)[1] for n in fresh} == {n.removesuffix(":0") for n in theirs}


def test_a_rule_file_that_is_no_yaml_is_one_line_naming_where(tmp_path):
    # F3: PyYAML's message (the text around the error, a caret) made an 8-line error
    bad = tmp_path / "bad.yaml"
    bad.write_text('rules:\n  - prefix: {from: "", to: "bert."\n')
    from ckpt_doctor import CheckpointError
    from ckpt_doctor.match.rules import Rules

    with pytest.raises(CheckpointError) as e:
        Rules.load(str(bad))
    assert len(str(e.value).splitlines()) == 1 and "line 3" in str(e.value) and str(bad) in str(e.value)


_PEFT = """
import sys, json, torch
from transformers import BertConfig, BertForSequenceClassification
from peft import LoraConfig, get_peft_model
from ckpt_doctor.model import load_model
torch.manual_seed(0)
net = BertForSequenceClassification({config})
peft = get_peft_model(net, LoraConfig(target_modules=["query", "value"], modules_to_save=["classifier"]))
with torch.no_grad():  # the trained copy of the head differs from the frozen original
    for p in peft.base_model.model.classifier.modules_to_save["default"].parameters():
        p.add_(1.0)
torch.save(peft.state_dict(), sys.argv[1])
merged = peft.merge_and_unload()
load_model(merged).save(sys.argv[2])
print(json.dumps({{k: v.flatten()[:3].tolist() for k, v in merged.state_dict().items() if k.startswith("classifier")}}))
"""


def test_a_peft_module_to_save_restores_its_trained_copy_not_the_frozen_original(tmp_path):
    # (held-out 12: peft's state dict of a model with `modules_to_save=["classifier"]` against the merged model)
    # peft keeps the head twice, `classifier.original_module` (frozen) and `classifier.modules_to_save.default` (the
    # copy it trains and `merge_and_unload` leaves in place): the merged head is the copy; the original is unused
    import json

    import ckpt_doctor

    out = _run(_PEFT.format(config=CONFIG), str(tmp_path / "peft.pt"), str(tmp_path / "merged.json"), USE_TF="0")
    merged = json.loads(out.stdout.strip().splitlines()[-1])
    a = ckpt_doctor.align(str(tmp_path / "peft.pt"), str(tmp_path / "merged.json"))
    got = {p.model: p.checkpoint for p in a.pairs}
    assert got["classifier.weight"] == "base_model.model.classifier.modules_to_save.default.weight"
    assert "base_model.model.classifier.original_module.weight" in a.unused
    values = ckpt_doctor.open_checkpoint(str(tmp_path / "peft.pt"))
    assert values[got["classifier.bias"]].read().flatten()[:3].tolist() == merged["classifier.bias"]
