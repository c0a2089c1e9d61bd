#!/usr/bin/env python
"""Oracle for tests/test_trial2_*.py: what a second new user did with real PyTorch, written down.

    python tests/trial2_oracle.py OUTDIR   # writes OUTDIR/torch.json

hp.ckpt: a training checkpoint as PyTorch Lightning (< 2) and many scripts save it: the state dict beside its
hyperparameters as an ``argparse.Namespace`` (pesto-pitch ships the same with omegaconf configs); whether
``torch.load``'s default (weights_only=True) reads it; the fix diagnose prints for the model wrapped in
DataParallel, executed verbatim, and which values then arrived.

wn.pt: a state dict saved from a model with the old ``torch.nn.utils.weight_norm`` (``weight_g``/``weight_v``, as
torchfcpe ships it); wn.spec.json: the same model built with ``torch.nn.utils.parametrizations.weight_norm``
(``parametrizations.weight.original0/1``); whether its strict load_state_dict of wn.pt succeeds and every value
arrives (PyTorch's weight-norm load hook renames the keys).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)


def _run_printed_fix(path: str, model) -> str | None:
    import torch

    import ckpt_doctor
    from ckpt_doctor.report.diagnose import render

    d = ckpt_doctor.diagnose(path, model)
    lines = render(d, ckpt_doctor.align(d.checkpoint, d.model, load_with=d.loader.name)).split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("Fix ("))
    block = []
    for line in lines[start + 1:]:
        if line and not line.startswith("  "):
            break
        block.append(line[2:])
    try:
        exec("\n".join(block), {"model": model, "torch": torch})
    except Exception:
        return traceback.format_exc()[-2000:]
    return None


def main() -> dict:
    import torch

    import ckpt_doctor

    torch.manual_seed(0)

    def build():
        return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))

    model = build()
    hp = os.path.join(OUT, "hp.ckpt")
    torch.save({"epoch": 3, "state_dict": model.state_dict(),
                "hyper_parameters": argparse.Namespace(lr=0.1, hidden=[4], name="mlp")}, hp)
    default_error = None
    try:
        torch.load(hp)
    except Exception as e:
        default_error = type(e).__name__
    target = torch.nn.DataParallel(build())
    fix_error = _run_printed_fix(hp, target)
    hp_arrived = {k: bool(torch.equal(v, target.module.state_dict()[k])) for k, v in model.state_dict().items()}

    old = torch.nn.utils.weight_norm(torch.nn.Linear(3, 4))  # deprecated spelling: weight_g / weight_v
    torch.save(old.state_dict(), os.path.join(OUT, "wn.pt"))
    new = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 4))
    ckpt_doctor.load_model(new).save(os.path.join(OUT, "wn.spec.json"))
    new.load_state_dict(torch.load(os.path.join(OUT, "wn.pt"), weights_only=True), strict=True)  # raises if not
    wn_arrived = {"g": bool(torch.equal(new.parametrizations.weight.original0, old.weight_g)),
                  "v": bool(torch.equal(new.parametrizations.weight.original1, old.weight_v)),
                  "bias": bool(torch.equal(new.bias, old.bias))}
    return {"default_load_error": default_error, "fix_error": fix_error, "hp_arrived": hp_arrived,
            "wn_keys": sorted(new.state_dict()), "wn_arrived": wn_arrived}


if __name__ == "__main__":
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    result = main()
    with open(os.path.join(OUT, "torch.json"), "w") as f:
        json.dump(result, f, indent=1)
