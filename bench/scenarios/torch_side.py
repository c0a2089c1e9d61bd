"""PyTorch worker: builds nn.Modules from architecture descriptions (optionally wrapped in nn.DataParallel or
torch.compile), writes their state dicts with ``torch.save`` and ``safetensors.torch.save_file``, and their
specs with ckpt-doctor (see common.py for the protocol).

Run only by make.py, in its own process: ``python torch_side.py JOBS.json``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402

common.ensure_src_on_path()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

import ckpt_doctor  # noqa: E402


class LegacyLayerNorm(nn.Module):
    """LayerNorm as pytorch-pretrained-bert wrote it: parameters ``gamma`` and ``beta``."""

    def __init__(self, d, eps=1e-12):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(d))
        self.beta = nn.Parameter(torch.zeros(d))
        self.eps = eps

    def forward(self, x):
        u = x.mean(-1, keepdim=True)
        s = (x - u).pow(2).mean(-1, keepdim=True)
        return self.gamma * (x - u) / torch.sqrt(s + self.eps) + self.beta


KIND = {nn.Linear: "dense", nn.Conv2d: "conv", nn.BatchNorm2d: "bn", nn.LayerNorm: "ln", LegacyLayerNorm: "ln",
        nn.Embedding: "emb", nn.LSTM: "lstm", nn.GRU: "gru"}


def _leaf(e):
    leaf = e["leaf"]
    if leaf == "dense":
        return nn.Linear(e["in"], e["out"], bias=e.get("bias", True))
    if leaf == "conv":
        return nn.Conv2d(e["cin"], e["cout"], e["k"], padding=e["k"] // 2)
    if leaf == "bn":
        return nn.BatchNorm2d(e["c"])
    if leaf == "ln":
        return nn.LayerNorm(e["d"])
    if leaf == "ln_legacy":
        return LegacyLayerNorm(e["d"])
    if leaf == "emb":
        return nn.Embedding(e["n"], e["d"])
    if leaf == "lstm":
        return nn.LSTM(e["in"], e["h"], batch_first=True)
    if leaf == "gru":
        return nn.GRU(e["in"], e["h"], batch_first=True)
    if leaf == "relu":
        return nn.ReLU()
    if leaf == "dropout":
        return nn.Dropout(0.1)
    raise ValueError(f"torch builder: unsupported leaf {leaf!r}")


@dataclass
class Built:
    model: Any  # what is saved / specced (possibly a wrapper)
    entries: list[tuple[str, str, Any]]  # (logical id, kind, tensor)
    writer: str


def pt_net(arch, wrap=None):
    root = nn.Module()
    for e in arch:
        parts = e["path"].split(".")
        parent = root
        for i, comp in enumerate(parts[:-1]):
            if comp not in parent._modules:
                parent.add_module(comp, nn.Sequential() if parts[i + 1].isdigit() else nn.Module())
            parent = parent._modules[comp]
        module = _leaf(e)
        module._scenario_lid = e["lid"]
        parent.add_module(parts[-1], module)
    entries = []
    for _, module in root.named_modules():
        lid = getattr(module, "_scenario_lid", None)
        if lid is None:
            continue
        kind = KIND[type(module)]
        for pname, tensor in [*module.named_parameters(recurse=False), *module.named_buffers(recurse=False)]:
            if pname == "num_batches_tracked":
                continue
            # an LSTM's b_ih holds TF's one bias (the sum of PyTorch's two: converters zero b_hh); a GRU's differ
            role = "emb" if kind == "emb" else ("g" if kind in ("bn", "ln") and pname == "weight"
                                                else "bsum" if kind == "lstm" and pname == "bias_ih_l0"
                                                else common.ROLE_BY_NAME[pname])
            entries.append((f"{lid}:{role}", kind, tensor))
    if wrap == "dataparallel":
        model, how = nn.DataParallel(root), "nn.DataParallel"
    elif wrap == "compile":
        model, how = torch.compile(root), "torch.compile"
    elif wrap == "dataparallel+compile":
        model, how = torch.compile(nn.DataParallel(root)), "torch.compile(nn.DataParallel)"
    elif wrap is None:
        model, how = root, "nn.Module"
    else:
        raise ValueError(f"unknown wrap {wrap!r}")
    return Built(model, entries, how)


BUILDERS = {"pt_net": pt_net}


def finish_source(built: Built, scenario: str, directory: str) -> dict:
    values = {lid: common.distinctive_value(scenario, lid, tuple(t.shape)) for lid, _, t in built.entries}
    if len(values) != len(built.entries):
        raise AssertionError("duplicate logical ids on the source side")
    with torch.no_grad():
        for lid, _, tensor in built.entries:
            tensor.copy_(torch.from_numpy(values[lid]))
    ckpt_dir = os.path.join(directory, "ckpt")
    os.makedirs(ckpt_dir, exist_ok=True)
    state = built.model.state_dict()
    pt_path = os.path.join(ckpt_dir, "model.pt")
    torch.save(state, pt_path)
    from safetensors.torch import load_file, save_file

    st_path = os.path.join(ckpt_dir, "model.safetensors")
    save_file({k: v.contiguous() for k, v in state.items()}, st_path)
    # Tie ids to keys through each format's own reader; both files must agree.
    stored_pt = {k: v.numpy() for k, v in torch.load(pt_path, weights_only=True).items()}
    stored_st = {k: v.numpy() for k, v in load_file(st_path).items()}
    keys, other = common.tie_keys(values, stored_pt)
    keys_st, other_st = common.tie_keys(values, stored_st)
    if keys != keys_st or other != other_st:
        raise AssertionError("torch.save and safetensors files disagree")
    return {"framework": "torch", "layout": "torch", "writer": f"torch.save + safetensors of {built.writer}",
            "checkpoint": [os.path.relpath(pt_path, directory), os.path.relpath(st_path, directory)],
            "keys": keys, "kinds": {lid: kind for lid, kind, _ in built.entries},
            "shapes": {lid: list(values[lid].shape) for lid in values}, "other_keys": other}


def finish_target(built: Built, directory: str) -> dict:
    spec = ckpt_doctor.load_model(built.model)
    path = os.path.join(directory, "model.spec.json")
    spec.save(path)
    key_of = {id(t): k for k, t in built.model.state_dict(keep_vars=True).items()}
    names = {lid: key_of[id(t)] for lid, _, t in built.entries}
    spec_names = {v.name: v for v in spec.variables}
    for lid, name in names.items():
        if name not in spec_names:
            raise AssertionError(f"{lid}: {name} is not a variable of the spec")
    other = sorted(n for n in spec_names if n not in set(names.values()))
    for n in other:
        if spec_names[n].is_weight:
            raise AssertionError(f"model weight {n} carries no logical id")
    return {"framework": "torch", "layout": "torch", "writer": built.writer, "spec": "model.spec.json",
            "names": names, "kinds": {lid: kind for lid, kind, _ in built.entries},
            "shapes": {lid: list(t.shape) for lid, _, t in built.entries}, "other_names": other}


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(common.run_jobs(BUILDERS, finish_source, finish_target))
