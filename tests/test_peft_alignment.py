"""PEFT (peft 0.13.2 writes the files, transformers 4.46.3 and torch 2.13 in this process, USE_TF=0): a LoRA
adapter against the PEFT-wrapped model (peft inserts the adapter's name, ``lora_A.default.weight``), and a base
checkpoint against it (``c_attn.base_layer.weight``): one segment inserted before the last part of names, one rule
for it, and the printed fix run verbatim. (trial6 M1, M2: all ambiguous, and one rename per key, before.)"""

from __future__ import annotations

import os

os.environ.setdefault("USE_TF", "0")

import pytest  # noqa: E402
import torch  # noqa: E402

import ckpt_doctor  # noqa: E402
from ckpt_doctor.report.diagnose import render  # noqa: E402


def _printed_fix(checkpoint, model) -> str:
    d = ckpt_doctor.diagnose(checkpoint, model)
    lines = render(d, ckpt_doctor.align(d.checkpoint, d.model, load_with=d.loader.name)).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Fix ("))
    return "\n".join(line[2:] for line in lines[start + 1:])


def _gpt2():
    from transformers import GPT2Config, GPT2LMHeadModel

    return GPT2LMHeadModel(GPT2Config(n_layer=2, n_embd=16, n_head=2, vocab_size=50, n_positions=16))


def _wrapped(seed: int):
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    return get_peft_model(_gpt2(), LoraConfig(r=2, target_modules=["c_attn"], fan_in_fan_out=True))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """base/: a tiny GPT-2 (save_pretrained); adapter/: a LoRA adapter of it on c_attn (peft save_pretrained), with
    lora_B made non-zero so that arrival shows."""
    out = tmp_path_factory.mktemp("peft")
    torch.manual_seed(0)
    _gpt2().save_pretrained(out / "base")
    wrapped = _wrapped(0)
    for name, p in wrapped.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(p)
    wrapped.save_pretrained(out / "adapter")
    return out


def test_a_lora_adapter_pairs_with_the_peft_models_adapter_name_inserted(saved):
    """adapter/adapter_model.safetensors (`base_model.model.transformer.h.0.attn.c_attn.lora_A.weight`, ...) against
    the PEFT-wrapped model (`...h.0.attn.c_attn.lora_A.default.weight`: peft inserts the adapter's name): align
    lists all 4 LoRA variables as ambiguous, "several renamings explain it equally well", each with h.0's and h.1's
    value as candidates. The names differ only by the inserted segment `default`, and the block numbers agree: a
    segment inserted before the last (`lora_A.weight` -> `lora_A.default.weight`, the same for every key) proves
    each pair. PeftModel.from_pretrained loads exactly these pairs (peft's set_peft_model_state_dict)."""
    from safetensors.torch import load_file

    model = _wrapped(1)
    a = ckpt_doctor.align(str(saved / "adapter"), model)
    assert not a.ambiguous, [x.to_json() for x in a.ambiguous]
    expected = {k: k.replace(".weight", ".default.weight") for k in load_file(saved / "adapter" /
                                                                              "adapter_model.safetensors")}
    assert a.renames() == expected
    exec(_printed_fix(str(saved / "adapter"), model), {"model": model})  # verbatim
    state = model.state_dict()
    for k, v in load_file(saved / "adapter" / "adapter_model.safetensors").items():
        assert torch.equal(state[expected[k]], v), k


def test_peft_s_base_layer_insertion_is_one_rule_not_one_rename_per_key(saved):
    """base/ against the PEFT-wrapped model: 24 keys get the prefix `base_model.model.` (one rule), and the 4 keys of
    the wrapped c_attn layers (`transformer.h.0.attn.c_attn.weight` -> `base_model.model.transformer.h.0.attn.
    c_attn.base_layer.weight`) are "4 variables (structure), each renamed on its own", one `rename` rule each. The
    pairs are right (restore-check verifies all 28), but every LoRA-wrapped linear layer of a real model (q/k/v/o of
    each of 32 layers: 256 keys) becomes a rename of its own, in the rules and in the explanation, where one fact
    explains them all: a scope `base_layer` inserted under every `c_attn` (a regex rule). The reverse (a PEFT model's
    unmerged state dict into the plain model) is said the same way, `base_layer` removed one rename at a time."""
    model = _wrapped(1)
    a = ckpt_doctor.align(str(saved / "base"), model)
    assert not a.ambiguous and len(a.pairs) == 28
    kinds = [type(r).__name__ for r in a.rules.rules]
    assert "Rename" not in kinds, (kinds, a.sentences)
    assert not any("each renamed on its own" in s for s in a.sentences), a.sentences


def test_a_verified_restore_of_an_adapter_says_what_the_file_is(saved):
    # (trial6) restore-check / restore() printed diagnose's notes but not the file's own: the note that the file is
    # a PEFT adapter, and how PEFT loads it, was missing where the restore finds nothing to load
    torch.manual_seed(2)
    report = ckpt_doctor.restore(_gpt2(), str(saved / "adapter"), strict=False)
    assert any(n.startswith("a PEFT adapter (adapter_config.json") for n in report.notes), report.notes
    assert "note: a PEFT adapter" in report.render()
