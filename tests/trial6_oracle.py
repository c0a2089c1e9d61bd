#!/usr/bin/env python
"""Oracle for tests/test_trial6_findings.py: what a sixth new user saved with peft, accelerate,
torch.distributed.checkpoint and torch.save(model), and what the printed commands do when run verbatim.

    python tests/trial6_oracle.py OUTDIR   # writes the files below OUTDIR and OUTDIR/trial6.json

adapter/: a LoRA adapter (peft save_pretrained) of a tiny GPT-2, base/: the base model (transformers save_pretrained);
the note ckpt-doctor gives the adapter, its PeftModel.from_pretrained call run verbatim, and whether every adapter value
arrived under the key the note says; peft_sd.pt: the PEFT model's whole state dict (unmerged), the note ckpt-doctor
gives it, and whether the merged state dict it names, loaded into a plain GPT-2, computes what the PEFT model does;
peft.spec.json: the PEFT-wrapped model's spec.
acc/: 11 accelerate save_state directories (automatic naming). dcp/: a dcp.save
of {"model": state_dict}; dcp_st/: a state dict in DCP's safetensors serialization. full.pt: torch.save of a
whole nn.Module whose class lives in t6net.py; ckpt-doctor's
message about it, the command it prints run verbatim in OUTDIR, and whether the state dict it writes is the model's.
"""

from __future__ import annotations

import json
import os
import re
import sys

os.environ["USE_TF"] = "0"  # transformers and peft: PyTorch only
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

OUT = os.path.abspath(sys.argv[1])
os.makedirs(OUT, exist_ok=True)

NET = '''import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 16)
        self.bn = nn.BatchNorm1d(16)
        self.head = nn.Linear(16, 4)
'''


def peft_part() -> dict:
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    from safetensors.torch import load_file
    from transformers import GPT2Config, GPT2LMHeadModel

    import ckpt_doctor

    config = GPT2Config(n_layer=2, n_embd=16, n_head=2, vocab_size=50, n_positions=16)
    torch.manual_seed(0)
    GPT2LMHeadModel(config).save_pretrained(os.path.join(OUT, "base"))
    wrapped = get_peft_model(GPT2LMHeadModel(config), LoraConfig(r=2, target_modules=["c_attn"], fan_in_fan_out=True))
    for name, p in wrapped.named_parameters():
        if "lora_B" in name:  # peft starts lora_B at zero: values that show whether they arrived
            torch.nn.init.normal_(p)
    adapter = os.path.join(OUT, "adapter")
    wrapped.save_pretrained(adapter)
    ckpt_doctor.load_model(wrapped).save(os.path.join(OUT, "peft.spec.json"))
    note = next((n for n in ckpt_doctor.open_checkpoint(adapter).notes if n.startswith("a PEFT adapter")), None)
    if note is None:
        return {"note": None, "arrived": {}}
    call = re.search(r"with (PeftModel\.from_pretrained\(model, .*?\))", note).group(1)
    said = re.search(r"`(lora_A\.weight)` becomes `(lora_A\.default\.weight)`", note).groups()
    scope = {"model": GPT2LMHeadModel(config), "PeftModel": PeftModel}
    exec(f"loaded = {call}", scope)  # verbatim
    state = scope["loaded"].state_dict()
    saved = load_file(os.path.join(adapter, "adapter_model.safetensors"))
    arrived = {k: torch.equal(state[k.replace(said[0], said[1]).replace(said[0].replace("A", "B"),
                                                                        said[1].replace("A", "B"))], v)
               for k, v in saved.items()}
    # the same PEFT model's whole state dict, unmerged: the LoRA note's merged state dict, run verbatim, loaded into
    # a plain GPT-2 by strict load_state_dict, must compute what the PEFT model computes
    wrapped.eval()
    tokens = torch.arange(8).reshape(1, 8)
    with torch.no_grad():
        expected = wrapped(tokens).logits
    torch.save(wrapped.state_dict(), os.path.join(OUT, "peft_sd.pt"))
    lora = next((n for n in ckpt_doctor.open_checkpoint(os.path.join(OUT, "peft_sd.pt")).notes if "LoRA" in n), None)
    same = None
    if lora is not None and "save them merged: " in lora:
        scope = {"model": wrapped}
        exec(f"merged = {lora.split('save them merged: ', 1)[1]}", scope)  # verbatim
        plain = GPT2LMHeadModel(config).eval()
        plain.load_state_dict(scope["merged"], strict=True)
        with torch.no_grad():
            same = bool(torch.allclose(plain(tokens).logits, expected, atol=1e-5))
    return {"note": note, "call": call, "arrived": arrived, "lora_note": lora, "merged_computes_the_same": same}


def accelerate_dcp_part() -> dict:
    import torch
    import torch.distributed.checkpoint as dcp
    from accelerate import Accelerator
    from accelerate.utils import ProjectConfiguration

    sys.path.insert(0, OUT)
    with open(os.path.join(OUT, "t6net.py"), "w") as f:
        f.write(NET)
    import t6net

    torch.manual_seed(0)
    accelerator = Accelerator(project_config=ProjectConfiguration(project_dir=os.path.join(OUT, "acc"),
                                                                  automatic_checkpoint_naming=True))
    net, opt = accelerator.prepare(t6net.Net(), torch.optim.Adam(t6net.Net().parameters()))
    for _ in range(11):
        accelerator.save_state()
    dcp.save({"model": t6net.Net().state_dict()}, checkpoint_id=os.path.join(OUT, "dcp"))
    from torch.distributed.checkpoint.filesystem import FileSystemWriter, SerializationFormat

    dcp.save(t6net.Net().state_dict(), storage_writer=FileSystemWriter(
        os.path.join(OUT, "dcp_st"), serialization_format=SerializationFormat.SAFETENSORS))
    return {"acc": sorted(os.listdir(os.path.join(OUT, "acc", "checkpoints")))}


def full_module_part() -> dict:
    import t6net
    import torch

    import ckpt_doctor

    net = t6net.Net()
    full = os.path.join(OUT, "full.pt")
    torch.save(net, full)
    try:
        ckpt_doctor.open_checkpoint(full)
        return {"message": None}
    except ckpt_doctor.UnsafePickleError as e:
        message = e.message
    if "only for a file you trust): " not in message:
        return {"message": message, "state_dict_is_the_models": False}
    command = message.split("only for a file you trust): ", 1)[1]
    os.chdir(OUT)
    exec(command, {})  # verbatim, where the class can be imported (OUT is on sys.path)
    written = torch.load(os.path.join(OUT, "state_dict.pt"), weights_only=True)
    same = sorted(written) == sorted(net.state_dict()) and all(torch.equal(written[k], v)
                                                               for k, v in net.state_dict().items())
    return {"message": message, "command": command, "state_dict_is_the_models": same}


result = {"peft": peft_part(), "accelerate": accelerate_dcp_part(), "full": full_module_part()}
with open(os.path.join(OUT, "trial6.json"), "w") as f:
    json.dump(result, f, indent=1)
